"""A fake MatrixGateway that records what a user would see, and a settable clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.errors import HomeserverUnavailable
from handlers.types import EventId, IncomingMessage, RoomId, UserId

BOT = UserId("@cohost:example.org")


@dataclass
class Sent:
    room_id: RoomId
    event_type: str
    content: dict[str, Any]
    event_id: EventId


@dataclass
class FakeGateway:
    user_id: UserId = BOT
    sent: list[Sent] = field(default_factory=list)
    joined: list[RoomId] = field(default_factory=list)
    left: list[RoomId] = field(default_factory=list)
    offline: bool = False
    _txns: dict[str, EventId] = field(default_factory=dict)

    async def send_event(
        self, room_id: RoomId, event_type: str, content: dict[str, Any], txn_id: str
    ) -> EventId:
        if self.offline:
            raise HomeserverUnavailable("fake homeserver is offline")
        # Like a homeserver: a repeated transaction id returns the first event.
        if txn_id in self._txns:
            return self._txns[txn_id]
        event_id = EventId(f"$sent{len(self.sent)}")
        self._txns[txn_id] = event_id
        self.sent.append(Sent(room_id, event_type, content, event_id))
        return event_id

    async def join_room(self, room_id: RoomId) -> None:
        self.joined.append(room_id)

    async def leave_room(self, room_id: RoomId) -> None:
        self.left.append(room_id)

    def replies_to(self, event_id: str) -> list[dict[str, Any]]:
        return [
            s.content
            for s in self.sent
            if s.content.get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
            == event_id
        ]


@dataclass
class FakeClock:
    current: datetime = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


_counter = 0


def message(
    body: str, sender: str = "@alice:example.org", room: str = "!dm:example.org"
) -> IncomingMessage:
    global _counter
    _counter += 1
    return IncomingMessage(
        room_id=RoomId(room),
        event_id=EventId(f"$cmd{_counter}"),
        sender=UserId(sender),
        body=body,
        encrypted=False,
        origin_server_ts=0,
    )
