"""Power levels: the one place that builds and changes them (SPEC §3.8).

Synapse replaces a room's whole `events` map when it is given one (at creation, and by
any later `m.room.power_levels` event), so a map that names only the types a room
changes would drop the protected ones to `state_default`, within members' reach. Every
content cohost writes therefore carries the full map: Synapse's defaults, the room's
own entries over them, and the protected types never missing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import structlog

from handlers.framework.gateway import MatrixGateway
from handlers.framework.matrix_names import EventType
from handlers.framework.types import RoomId, UserId

log = structlog.get_logger(__name__)

POWER_LEVELS = EventType.POWER_LEVELS
# Kept at the founders' level whatever else changes.
PROTECTED = (
    POWER_LEVELS,
    EventType.TOMBSTONE,
    EventType.ENCRYPTION,
    EventType.HISTORY_VISIBILITY,
    EventType.SERVER_ACL,
)
CREATOR_ROOM_VERSIONS = frozenset({"12"})
FOUNDERS_LEVEL = 100
# Above every level that can be granted: in room version 12 only creators reach it.
CREATORS_ONLY = 150


def default_events(room_version: str) -> dict[str, int]:
    """Synapse's own `events` map for a new room (synapse/handlers/room.py)."""
    return {
        EventType.NAME: 50,
        POWER_LEVELS: FOUNDERS_LEVEL,
        EventType.HISTORY_VISIBILITY: FOUNDERS_LEVEL,
        EventType.CANONICAL_ALIAS: 50,
        EventType.AVATAR: 50,
        EventType.TOMBSTONE: CREATORS_ONLY
        if room_version in CREATOR_ROOM_VERSIONS
        else FOUNDERS_LEVEL,
        EventType.SERVER_ACL: FOUNDERS_LEVEL,
        EventType.ENCRYPTION: FOUNDERS_LEVEL,
    }


def full_events(room_version: str, own: Mapping[str, int]) -> dict[str, int]:
    """The map a room is created with: Synapse's defaults with the room's own entries."""
    return {**default_events(room_version), **own}


def with_protected(power: Mapping[str, Any], room_version: str) -> dict[str, Any]:
    """The power levels with every protected type present (at Synapse's default level
    where it was missing), and everything else as it was."""
    events = power.get("events")
    events = dict(events) if isinstance(events, dict) else {}
    defaults = default_events(room_version)
    for kind in PROTECTED:
        if not isinstance(events.get(kind), int):
            events[kind] = defaults[kind]
    return {**power, "events": events}


async def room_version(gateway: MatrixGateway, room: RoomId) -> str:
    create = await gateway.state_event(room, EventType.CREATE)
    content = create.get("content") if create else None
    return str(content.get("room_version", "1")) if isinstance(content, dict) else "1"


async def change_users(
    gateway: MatrixGateway, room: RoomId, change: Callable[[dict[str, Any]], None]
) -> bool:
    """Change users' levels in a room; the protected types come along. True when
    something was written."""
    power = dict(await gateway.get_state(room, POWER_LEVELS) or {})
    users = power.get("users")
    users = dict(users) if isinstance(users, dict) else {}
    change(users)
    base = {**power, "users": users} if users or "users" in power else power
    wanted = with_protected(base, await room_version(gateway, room))
    if wanted == power:
        return False
    await gateway.put_state(room, POWER_LEVELS, "", wanted)
    return True


async def raise_to(gateway: MatrixGateway, room: RoomId, users: list[UserId], level: int) -> bool:
    """At least `level` for each of `users` (nobody is lowered)."""

    def lift(levels: dict[str, Any]) -> None:
        for user in users:
            current = levels.get(user, 0)
            if not isinstance(current, int) or current < level:
                levels[user] = level

    return await change_users(gateway, room, lift)


async def repair(gateway: MatrixGateway, room: RoomId) -> bool:
    """Put back protected types that a room made by an earlier cohost lacks. Idempotent:
    a room that has them all is not written."""
    changed = await change_users(gateway, room, lambda users: None)
    if changed:
        log.info("power_levels_repaired", room_id=room)
    return changed


async def own_level(gateway: MatrixGateway, room: RoomId) -> float:
    """cohost's power in a room: infinite as one of its creators (room version 12),
    otherwise its level in the power levels."""
    me = gateway.user_id
    create = await gateway.state_event(room, EventType.CREATE) or {}
    found = create.get("content")
    content: dict[str, Any] = found if isinstance(found, dict) else {}
    extra = content.get("additional_creators")
    if content.get("room_version") in CREATOR_ROOM_VERSIONS and (
        create.get("sender") == me or (isinstance(extra, list) and me in extra)
    ):
        return float("inf")
    power = await gateway.get_state(room, POWER_LEVELS) or {}
    users = power.get("users")
    level = (users if isinstance(users, dict) else {}).get(me, power.get("users_default", 0))
    return float(level) if isinstance(level, int) else 0.0


async def may_mention_room(gateway: MatrixGateway, room: RoomId) -> bool:
    """Whether cohost's `@room` notifies (the `notifications.room` level, 50 by default)."""
    power = await gateway.get_state(room, POWER_LEVELS) or {}
    notifications = power.get("notifications")
    needed = notifications.get("room", 50) if isinstance(notifications, dict) else 50
    return isinstance(needed, int) and await own_level(gateway, room) >= needed
