"""cohost speaking in a room: the people its text names become pills with their display
names in that room, reports are notices, and what asks people to act mentions exactly
them (handlers.framework.replies)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from handlers.framework.errors import MatrixError
from handlers.framework.gateway import MatrixGateway
from handlers.framework.markdown import RoomLink, users_named
from handlers.framework.matrix_names import ANNOTATION, RELATES_TO, EventType, Membership
from handlers.framework.replies import Names, ask, notice
from handlers.framework.text import one_line
from handlers.framework.types import EventId, RoomId, UserId

MAX_DISPLAY_NAME = 64  # as a pill shows it
MAX_NAME_READ = 256  # Synapse's own limit for display names
MANY_NAMED = 12  # more people named than this: their names come from one read of the room


async def names_in(gateway: MatrixGateway, room_id: RoomId, text: str) -> Names:
    """The display names, in this room, of the people the text names, as pills show
    them (one line, bounded)."""
    names = await display_names(gateway, room_id, users_named(text))
    return {user: one_line(name, MAX_DISPLAY_NAME) for user, name in names.items()}


async def display_names(gateway: MatrixGateway, room_id: RoomId, users: set[str]) -> Names:
    """People's display names in a room (the gateway keeps what it read); those without
    one, or not in the room, are left out. A few are read each from their own member
    event, not out of the room's whole state: a Lobby of 150 would be read again after
    each join. Many (a round's groups) are read in one go."""
    if len(users) > MANY_NAMED:
        return await _names_in_state(gateway, room_id, users)
    people = sorted(users)
    found = await asyncio.gather(*(_member_of(gateway, room_id, user) for user in people))
    named = ((user, _display_name(content)) for user, content in zip(people, found, strict=True))
    return {user: name for user, name in named if name is not None}


async def _member_of(gateway: MatrixGateway, room_id: RoomId, user: str) -> dict[str, Any] | None:
    try:
        return await gateway.get_state(room_id, EventType.MEMBER, user)
    except MatrixError:
        return None  # a room whose state this account cannot read: the pill shows the id


async def _names_in_state(gateway: MatrixGateway, room_id: RoomId, users: set[str]) -> Names:
    try:
        state = await gateway.room_state(room_id)
    except MatrixError:
        return {}
    names: dict[str, str] = {}
    for event in state:
        user = event.get("state_key")
        if event.get("type") == EventType.MEMBER and user in users:
            name = _display_name(event.get("content"))
            if name is not None:
                names[str(user)] = name
    return names


def _display_name(content: object) -> str | None:
    if not isinstance(content, dict) or content.get("membership") == Membership.LEAVE:
        return None
    name = content.get("displayname")
    if isinstance(name, str) and name.strip() and len(name) <= MAX_NAME_READ:
        return name
    return None


async def tell(
    gateway: MatrixGateway,
    room_id: RoomId,
    text: str,
    txn_id: str,
    mentions: Sequence[UserId] = (),
    extra: dict[str, Any] | None = None,
) -> EventId:
    """Tell the room something (an m.notice: nobody is notified)."""
    content = notice(text, tuple(mentions), await names_in(gateway, room_id, text))
    content.update(extra or {})
    return await gateway.send_event(room_id, EventType.MESSAGE, content, txn_id)


async def ask_to_act(
    gateway: MatrixGateway,
    room_id: RoomId,
    text: str,
    txn_id: str,
    asked: Sequence[UserId],
    extra: dict[str, Any] | None = None,
    *,
    whole_room: bool = False,
    rooms: Mapping[str, RoomLink] | None = None,
) -> EventId:
    """Ask people to act: Element notifies exactly those asked (or, with `whole_room`,
    everyone in the room)."""
    names = await names_in(gateway, room_id, text)
    content = ask(text, tuple(asked), names, rooms, room=whole_room)
    content.update(extra or {})
    return await gateway.send_event(room_id, EventType.MESSAGE, content, txn_id)


async def offer_reactions(
    gateway: MatrixGateway, room_id: RoomId, event_id: EventId, choices: Mapping[str, str]
) -> None:
    """Reactions under cohost's own message (choice: emoji), so that answering is one
    click; once each, by their transaction ids."""
    for choice, emoji in choices.items():
        await gateway.send_event(
            room_id,
            EventType.REACTION,
            {RELATES_TO: {"rel_type": ANNOTATION, "event_id": event_id, "key": emoji}},
            f"cohost-offer-{event_id}-{choice}",
        )
