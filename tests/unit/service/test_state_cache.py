"""The room state cache: read once, forgotten on any change the sync reports."""

from __future__ import annotations

import asyncio
from typing import Any

from service.state_cache import StateCache

ROOM = "!room"


class Homeserver:
    """Counts reads of one room's state, which tests change at will."""

    def __init__(self) -> None:
        self.facts: dict[str, Any] = {"hosts": ["@ana:x"]}
        self.reads = 0

    async def read(self) -> dict[str, Any]:
        self.reads += 1
        return {"hosts": list(self.facts["hosts"])}


async def test_a_joined_room_is_read_once_until_its_state_changes() -> None:
    cache, hs = StateCache(), Homeserver()
    cache.synced(joined=[ROOM], changed=[], left=[])
    assert await cache.read(ROOM, "facts", hs.read) == {"hosts": ["@ana:x"]}
    assert await cache.read(ROOM, "facts", hs.read) == {"hosts": ["@ana:x"]}
    assert hs.reads == 1

    hs.facts["hosts"] = ["@ana:x", "@ben:x"]
    cache.synced(joined=[ROOM], changed=[ROOM], left=[])
    assert await cache.read(ROOM, "facts", hs.read) == {"hosts": ["@ana:x", "@ben:x"]}
    assert hs.reads == 2


async def test_what_a_caller_changes_is_not_what_the_next_caller_reads() -> None:
    cache, hs = StateCache(), Homeserver()
    cache.synced(joined=[ROOM], changed=[], left=[])
    facts = await cache.read(ROOM, "facts", hs.read)
    facts["hosts"].append("@mallory:x")
    assert await cache.read(ROOM, "facts", hs.read) == {"hosts": ["@ana:x"]}


async def test_rooms_not_joined_or_left_are_read_every_time() -> None:
    cache, hs = StateCache(), Homeserver()
    await cache.read(ROOM, "facts", hs.read)
    await cache.read(ROOM, "facts", hs.read)
    assert hs.reads == 2  # the sync has not reported the room as joined

    cache.synced(joined=[ROOM], changed=[], left=[])
    await cache.read(ROOM, "facts", hs.read)
    cache.synced(joined=[], changed=[], left=[ROOM])
    await cache.read(ROOM, "facts", hs.read)
    await cache.read(ROOM, "facts", hs.read)
    assert hs.reads == 5


async def test_a_read_overtaken_by_a_change_is_not_kept() -> None:
    cache, hs = StateCache(), Homeserver()
    cache.synced(joined=[ROOM], changed=[], left=[])
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_read() -> dict[str, Any]:
        value = await hs.read()  # the old facts, read before the change below
        started.set()
        await release.wait()
        return value

    pending = asyncio.create_task(cache.read(ROOM, "facts", slow_read))
    await started.wait()
    hs.facts["hosts"] = []
    cache.forget(ROOM)
    release.set()
    assert await pending == {"hosts": ["@ana:x"]}
    assert await cache.read(ROOM, "facts", hs.read) == {"hosts": []}
    assert hs.reads == 2


async def test_rooms_are_kept_apart() -> None:
    cache, hs = StateCache(), Homeserver()
    cache.synced(joined=[ROOM, "!other"], changed=[], left=[])
    await cache.read(ROOM, "facts", hs.read)
    await cache.read("!other", "facts", hs.read)
    cache.synced(joined=[], changed=["!other"], left=[])
    await cache.read(ROOM, "facts", hs.read)
    await cache.read("!other", "facts", hs.read)
    assert hs.reads == 3
