"""Power levels keep the protected types at the founders' level (SPEC §3.8)."""

from __future__ import annotations

from handlers.community.rooms import repair_rooms
from handlers.community.state import CREW_ROOM
from handlers.framework.power import POWER_LEVELS, PROTECTED
from tests.unit.world import BOB, World


async def test_every_room_cohost_makes_carries_the_protected_levels(world: World) -> None:
    space = await world.congregation("Riverside", members=(BOB,))
    await world.say(f"!crew new Walkers {BOB}")
    await world.say("!network create Rivers", room=world.hosts_room(space))
    await world.settle()
    assert len(world.gateway.rooms) == 8  # space, 3 rooms, crew, network space and 2 rooms
    for room in world.gateway.rooms.values():
        events = (room.content(POWER_LEVELS) or {})["events"]
        assert {kind: events.get(kind, 0) >= 100 for kind in PROTECTED} == dict.fromkeys(
            PROTECTED, True
        ), room.room_id
    [crew] = world.rooms_of_kind(CREW_ROOM)
    crew_events = world.gateway.rooms[crew].content(POWER_LEVELS)["events"]  # type: ignore[index]
    assert crew_events["m.room.tombstone"] == 150  # room version 12: creators only
    assert crew_events["m.room.topic"] == 50  # and the crew's own entries


async def test_rooms_made_with_a_partial_map_are_repaired_once(world: World) -> None:
    await world.congregation("Riverside", members=(BOB,))
    await world.say(f"!crew new Walkers {BOB}")
    await world.settle()
    [crew] = world.rooms_of_kind(CREW_ROOM)
    room = world.gateway.rooms[crew]
    old = {**(room.content(POWER_LEVELS) or {}), "events": {"m.room.topic": 50}}
    world.gateway.set_state(crew, POWER_LEVELS, "", old, "@alice:example.org")

    assert await repair_rooms(world.gateway) == 1
    events = (room.content(POWER_LEVELS) or {})["events"]
    assert events["m.room.topic"] == 50 and events[POWER_LEVELS] == 100
    assert events["m.room.tombstone"] == 150
    assert await repair_rooms(world.gateway) == 0  # idempotent: nothing written again
