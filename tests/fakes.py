"""Fakes for handler unit tests: an in-memory homeserver behind the MatrixGateway
protocol (rooms, state, membership, creators) and a settable clock. Tests assert on
what it holds, as a user or another bot would see it."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.framework.errors import HomeserverUnavailable, MatrixError
from handlers.framework.types import EventId, IncomingMessage, RoomId, UserId
from tests.catalogs import heard, unmarked

BOT = UserId("@cohost:example.org")


@dataclass
class Sent:
    room_id: RoomId
    event_type: str
    content: dict[str, Any]
    event_id: EventId


@dataclass
class FakeRoom:
    room_id: RoomId
    request: dict[str, Any]
    state: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)  # state events, oldest first

    def content(self, event_type: str, key: str = "") -> dict[str, Any] | None:
        event = self.state.get((event_type, key))
        return None if event is None else event["content"]

    def membership(self, user: str) -> str | None:
        member = self.content("m.room.member", user)
        return None if member is None else member.get("membership")

    @property
    def creators(self) -> set[str]:
        create = self.state[("m.room.create", "")]
        return {create["sender"], *create["content"].get("additional_creators", [])}


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so no handler catches it."""


@dataclass
class FakeGateway:
    user_id: UserId = BOT
    sent: list[Sent] = field(default_factory=list)
    rooms: dict[RoomId, FakeRoom] = field(default_factory=dict)
    joined: list[RoomId] = field(default_factory=list)
    join_refusals: int = 0
    left: list[RoomId] = field(default_factory=list)
    offline: bool = False
    crash_after_create: bool = False  # die right after the homeserver made a room
    crash_on_send: str | None = None  # die as a message with this text is sent, once
    room_version: str = "12"
    refuse_creation: str | None = None  # an errcode the homeserver answers createRoom with
    knocked: list[tuple[RoomId, str, list[str]]] = field(default_factory=list)
    aliases: dict[str, RoomId] = field(default_factory=dict)
    # What people sent in rooms, as the homeserver holds it (tests put it here).
    timeline: dict[EventId, dict[str, Any]] = field(default_factory=dict)
    _txns: dict[str, EventId] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=itertools.count)  # type: ignore[type-arg]

    def _check(self) -> None:
        if self.offline:
            raise HomeserverUnavailable("fake homeserver is offline")

    def _room(self, room_id: RoomId) -> FakeRoom:
        if room_id not in self.rooms:
            raise MatrixError(404, "M_NOT_FOUND", "no such room")
        return self.rooms[room_id]

    def _set(
        self,
        room: FakeRoom,
        event_type: str,
        key: str,
        content: dict[str, Any],
        sender: str,
        ts: int = 0,
    ) -> EventId:
        event_id = EventId(f"$state{next(self._ids)}")
        event: dict[str, Any] = {
            "type": event_type,
            "state_key": key,
            "sender": sender,
            "content": content,
            "event_id": event_id,
            "origin_server_ts": ts,
        }
        room.state[(event_type, key)] = event
        room.history.append(event)
        return event_id

    # -- the protocol ----------------------------------------------------------
    async def send_event(
        self, room_id: RoomId, event_type: str, content: dict[str, Any], txn_id: str
    ) -> EventId:
        self._check()
        if self.crash_on_send and self.crash_on_send in unmarked(str(content.get("body", ""))):
            self.crash_on_send = None
            raise Crash()
        # Like a homeserver: a repeated transaction id returns the first event.
        if txn_id in self._txns:
            return self._txns[txn_id]
        event_id = EventId(f"$sent{len(self.sent)}")
        self._txns[txn_id] = event_id
        self.sent.append(Sent(room_id, event_type, heard(event_type, content), event_id))
        return event_id

    async def create_room(self, request: dict[str, Any]) -> RoomId:
        self._check()
        if self.refuse_creation:
            raise MatrixError(403, self.refuse_creation, "refused")
        room_id = RoomId(f"!r{next(self._ids)}")
        request = unmarked(request)
        room = FakeRoom(room_id, request)
        creation = {
            **request.get("creation_content", {}),
            "room_version": request.get("room_version", "12"),
        }
        self._set(room, "m.room.create", "", creation, self.user_id)
        self._set(room, "m.room.member", self.user_id, {"membership": "join"}, self.user_id)
        self._set(
            room,
            "m.room.power_levels",
            "",
            request.get("power_level_content_override", {}),
            self.user_id,
        )
        for event in request.get("initial_state", []):
            self._set(
                room, event["type"], event.get("state_key", ""), event["content"], self.user_id
            )
        for invitee in request.get("invite", []):  # as Synapse does for createRoom
            self._set(room, "m.room.member", invitee, {"membership": "invite"}, self.user_id)
        for key in ("name", "topic"):
            if key in request:
                self._set(room, f"m.room.{key}", "", {key: request[key]}, self.user_id)
        self.rooms[room_id] = room
        if self.crash_after_create:
            self.crash_after_create = False
            raise Crash()
        return room_id

    async def put_state(
        self, room_id: RoomId, event_type: str, state_key: str, content: dict[str, Any]
    ) -> EventId:
        self._check()
        room = self._room(room_id)
        if room.membership(self.user_id) != "join":
            raise MatrixError(403, "M_FORBIDDEN", "not in room")
        return self._set(room, event_type, state_key, unmarked(content), self.user_id)

    async def get_state(
        self, room_id: RoomId, event_type: str, state_key: str = ""
    ) -> dict[str, Any] | None:
        self._check()
        return self._room(room_id).content(event_type, state_key)

    async def state_event(
        self, room_id: RoomId, event_type: str, state_key: str = ""
    ) -> dict[str, Any] | None:
        self._check()
        return self._room(room_id).state.get((event_type, state_key))

    async def room_state(self, room_id: RoomId) -> list[dict[str, Any]]:
        self._check()
        return list(self._room(room_id).state.values())

    async def event(self, room_id: RoomId, event_id: str) -> dict[str, Any] | None:
        self._check()
        found = self.timeline.get(EventId(event_id))
        if found is None:
            sent = next((e for e in self.sent if e.event_id == event_id), None)
            if sent is not None:
                found = {"room_id": sent.room_id, "type": sent.event_type,
                         "sender": self.user_id, "content": sent.content}  # fmt: skip
        if found is None or found["room_id"] != room_id:
            raise MatrixError(404, "M_NOT_FOUND", "no such event")
        return {**found, "event_id": event_id}

    async def joined_members(self, room_id: RoomId) -> set[UserId]:
        self._check()
        room = self._room(room_id)
        return {
            UserId(k)
            for (t, k) in room.state
            if t == "m.room.member" and room.membership(k) == "join"
        }

    async def state_history(
        self, room_id: RoomId, event_type: str, state_key: str, limit: int
    ) -> list[dict[str, Any]]:
        self._check()
        earlier = [
            e
            for e in reversed(self._room(room_id).history)
            if e["type"] == event_type and e["state_key"] == state_key
        ]
        return earlier[:limit]

    async def joined_rooms(self) -> list[RoomId]:
        return [r for r, room in self.rooms.items() if room.membership(self.user_id) == "join"]

    async def default_room_version(self) -> str:
        return self.room_version

    async def invite(self, room_id: RoomId, user_id: UserId, reason: str | None = None) -> None:
        self._check()
        room = self._room(room_id)
        if room.membership(user_id) == "join":
            raise MatrixError(403, "M_FORBIDDEN", f"{user_id} is already in the room")
        self._set(room, "m.room.member", user_id, {"membership": "invite"}, self.user_id)

    async def kick(self, room_id: RoomId, user_id: UserId, reason: str) -> None:
        self._check()
        room = self._room(room_id)
        if user_id in room.creators:
            raise MatrixError(403, "M_FORBIDDEN", "cannot kick a creator")
        self._set(
            room,
            "m.room.member",
            user_id,
            {"membership": "leave", "reason": unmarked(reason)},
            self.user_id,
        )

    async def join_room(self, room_id: RoomId, via: Sequence[str] = ()) -> None:
        if self.join_refusals > 0:  # as a server refuses before it knows its invitation
            self.join_refusals -= 1
            raise MatrixError(403, "M_FORBIDDEN", "You are not invited to this room.")
        self.joined.append(room_id)
        if room_id in self.rooms:
            self._set(
                self.rooms[room_id],
                "m.room.member",
                self.user_id,
                {"membership": "join"},
                self.user_id,
            )

    async def leave_room(self, room_id: RoomId) -> None:
        self.left.append(room_id)
        if room_id in self.rooms:
            self._set(
                self.rooms[room_id],
                "m.room.member",
                self.user_id,
                {"membership": "leave"},
                self.user_id,
            )

    async def knock(self, room_id: RoomId, reason: str, via: Sequence[str]) -> None:
        self.knocked.append((room_id, reason, list(via)))

    async def resolve_alias(self, alias: str) -> tuple[RoomId, list[str]]:
        if alias not in self.aliases:
            raise MatrixError(404, "M_NOT_FOUND", "no such alias")
        return self.aliases[alias], [alias.split(":", 1)[1]]

    # -- what people do, for tests --------------------------------------------
    def member(self, room_id: RoomId, user: str, membership: str) -> None:
        """A person's own membership change: a knock, a leave, a declined invitation."""
        self._set(self.rooms[room_id], "m.room.member", user, {"membership": membership}, user)

    def set_state(
        self,
        room_id: RoomId,
        event_type: str,
        key: str,
        content: dict[str, Any],
        sender: str,
        ts: int = 0,
    ) -> None:
        """State written by someone else: another cohost, or a person (`ts`: when, by
        the sender's server)."""
        self._set(self.rooms[room_id], event_type, key, content, sender, ts)

    def post(
        self, room_id: RoomId, sender: str, event_type: str, content: dict[str, Any], event_id: str
    ) -> EventId:
        """An event someone sent in a room (a command, a reaction), as the room holds it."""
        self.timeline[EventId(event_id)] = {
            "room_id": room_id, "type": event_type, "sender": sender, "content": content
        }  # fmt: skip
        return EventId(event_id)

    def accept(self, room_id: RoomId, user: str) -> None:
        """A person accepts their invitation (or joins a room open to them)."""
        self._set(self.rooms[room_id], "m.room.member", user, {"membership": "join"}, user)

    def replies_to(self, event_id: str) -> list[dict[str, Any]]:
        return [
            s.content
            for s in self.sent
            if s.content.get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")
            == event_id
        ]

    def notices_in(self, room_id: str) -> list[str]:
        return [m.content["body"] for m in self.messages_in(room_id)]

    def messages_in(self, room_id: str) -> list[Sent]:
        return [s for s in self.sent if s.room_id == room_id and s.event_type == "m.room.message"]

    def reactions_to(self, event_id: str) -> list[tuple[str, str]]:
        """The reactions sent on an event: (room, key)."""
        return [
            (s.room_id, s.content["m.relates_to"]["key"])
            for s in self.sent
            if s.event_type == "m.reaction" and s.content["m.relates_to"]["event_id"] == event_id
        ]


@dataclass
class FakeClock:
    current: datetime = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


_counter = itertools.count()


def message(
    body: str, sender: str = "@alice:example.org", room: str = "!dm:example.org"
) -> IncomingMessage:
    return IncomingMessage(
        room_id=RoomId(room),
        event_id=EventId(f"$cmd{next(_counter)}"),
        sender=UserId(sender),
        body=body,
        encrypted=False,
        origin_server_ts=0,
    )
