"""Identifiers and the incoming events that handlers see (never nio's own classes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NewType

UserId = NewType("UserId", str)
RoomId = NewType("RoomId", str)
EventId = NewType("EventId", str)


@dataclass(frozen=True)
class IncomingMessage:
    """A text message in a room the bot has joined, already decrypted."""

    room_id: RoomId
    event_id: EventId
    sender: UserId
    body: str
    encrypted: bool
    origin_server_ts: int
    content: Mapping[str, Any] = field(default_factory=dict)
    notice: bool = False  # an m.notice: how bots speak (never a command)
    thread: EventId | None = None  # the root of the thread it was sent in
    # Read by this cohost on its return from an absence (its first sync after a start,
    # or after a gap in its syncing): others may have answered it meanwhile. The
    # reader's own time: the sender's server's timestamp decides nothing.
    caught_up: bool = False


@dataclass(frozen=True)
class IncomingInvite:
    """An invitation of the bot into a room."""

    room_id: RoomId
    inviter: UserId
    reason: str | None = None
    direct: bool = False  # marked as a direct message (is_direct)


@dataclass(frozen=True)
class IncomingMember:
    """A membership change (knock, invite, join, leave) in a room the bot is in."""

    room_id: RoomId
    event_id: EventId
    sender: UserId
    state_key: str
    membership: str
    prev_membership: str | None
    reason: str | None


@dataclass(frozen=True)
class IncomingReaction:
    """An m.annotation on an event, in the clear or decrypted."""

    room_id: RoomId
    event_id: EventId
    sender: UserId
    relates_to: EventId
    key: str
    origin_server_ts: int


@dataclass(frozen=True)
class IncomingPollResponse:
    """An answer to a poll (MSC3381, unstable or stable), in the clear or decrypted:
    the poll it answers and the answers' ids, the latest one standing."""

    room_id: RoomId
    event_id: EventId
    sender: UserId
    poll: EventId
    answers: tuple[str, ...]
    origin_server_ts: int


@dataclass(frozen=True)
class IncomingRedaction:
    """An event taken back (a reaction removed, say)."""

    room_id: RoomId
    event_id: EventId
    sender: UserId
    redacts: EventId
    origin_server_ts: int


@dataclass(frozen=True)
class IncomingTombstone:
    """A room replaced by another (its founders upgraded it)."""

    room_id: RoomId
    event_id: EventId
    sender: UserId
    replacement: RoomId
