"""The narrow view of Matrix that handlers use; service/ implements it over nio."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from handlers.framework.types import EventId, RoomId, UserId


class MatrixGateway(Protocol):
    @property
    def user_id(self) -> UserId: ...

    async def send_event(
        self, room_id: RoomId, event_type: str, content: dict[str, Any], txn_id: str
    ) -> EventId:
        """Send a timeline event; the same txn_id never sends twice."""
        ...

    async def create_room(self, request: dict[str, Any]) -> RoomId: ...

    async def put_state(
        self, room_id: RoomId, event_type: str, state_key: str, content: dict[str, Any]
    ) -> EventId: ...

    async def get_state(
        self, room_id: RoomId, event_type: str, state_key: str = ""
    ) -> dict[str, Any] | None:
        """The content of one state event, None when there is none."""
        ...

    async def room_state(self, room_id: RoomId) -> list[dict[str, Any]]:
        """Every current state event of a room (type, state_key, sender, content)."""
        ...

    async def state_event(
        self, room_id: RoomId, event_type: str, state_key: str = ""
    ) -> dict[str, Any] | None:
        """One current state event whole (type, state_key, sender, content, unsigned),
        None when there is none: what shared facts are read from, sender included."""
        ...

    async def event(self, room_id: RoomId, event_id: str) -> dict[str, Any] | None:
        """One event of a room (type, sender, content), decrypted where it was
        encrypted; None when this account cannot read it. MatrixError M_NOT_FOUND when
        the room holds no such event."""
        ...

    async def joined_members(self, room_id: RoomId) -> set[UserId]: ...

    async def state_history(
        self, room_id: RoomId, event_type: str, state_key: str, limit: int
    ) -> list[dict[str, Any]]:
        """Earlier versions of one piece of state, newest first, as far back as the
        room's history shows them to this account (at most `limit`)."""
        ...

    async def joined_rooms(self) -> list[RoomId]: ...

    async def default_room_version(self) -> str: ...

    async def invite(self, room_id: RoomId, user_id: UserId, reason: str | None = None) -> None: ...

    async def kick(self, room_id: RoomId, user_id: UserId, reason: str) -> None: ...

    async def join_room(self, room_id: RoomId, via: Sequence[str] = ()) -> None: ...

    async def leave_room(self, room_id: RoomId) -> None: ...

    async def knock(self, room_id: RoomId, reason: str, via: Sequence[str]) -> None: ...

    async def resolve_alias(self, alias: str) -> tuple[RoomId, list[str]]:
        """The room an alias names, and servers that can help join it."""
        ...
