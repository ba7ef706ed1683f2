"""`cohost resync`: rebuild the database index from Matrix state alone.

Facts count only from their writers (handlers.community.facts): state set by anyone
else is reported in the log, not indexed. Matrix is read first, each fact to the end
of its history; the index is then replaced in one transaction. Each feature says how
its part is rebuilt (`house.on_resync`); this module knows none of them."""

from __future__ import annotations

from collections import Counter

import structlog

from handlers.community.facts import RoomMarker
from handlers.community.house import House
from handlers.community.rebuild import Rebuild
from handlers.framework.types import RoomId

log = structlog.get_logger(__name__)


async def rebuild_index(house: House) -> Counter[str]:
    """What was rebuilt, counted by kind ("rooms", and what each feature counts)."""
    gateway, stores = house.gateway, house.stores
    facts = house.directory.shared.to_the_end()
    rooms = await gateway.joined_rooms()
    markers: dict[RoomId, RoomMarker] = {}
    for room in rooms:
        marker = await facts.get(room, RoomMarker)
        if marker is not None:
            markers[room] = marker
    rebuild = Rebuild(gateway, stores, facts, rooms, markers)
    rebuild.counts["rooms"] = len(markers)
    for step in house.rebuild_index:
        await step(rebuild)
    await stores.community.replace_index(rebuild.entries)
    for step in house.rebuild_after:
        await step(rebuild)
    log.info("index_rebuilt", **rebuild.counts)
    return rebuild.counts
