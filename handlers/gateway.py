"""The narrow view of Matrix that handlers use; service/ implements it over nio."""

from __future__ import annotations

from typing import Any, Protocol

from handlers.types import EventId, RoomId, UserId


class MatrixGateway(Protocol):
    @property
    def user_id(self) -> UserId: ...

    async def send_event(
        self, room_id: RoomId, event_type: str, content: dict[str, Any], txn_id: str
    ) -> EventId:
        """Send a timeline event; the same txn_id never sends twice."""
        ...

    async def join_room(self, room_id: RoomId) -> None: ...

    async def leave_room(self, room_id: RoomId) -> None: ...
