"""Identifiers and the incoming events that handlers see (never nio's own classes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NewType

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


@dataclass(frozen=True)
class IncomingInvite:
    """An invitation of the bot into a room."""

    room_id: RoomId
    inviter: UserId
