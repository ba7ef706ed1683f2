"""A room its founders upgrade: cohost follows it to its successor with its facts, its
place in the space, its open proposals and its cycle, and answers there."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.community.state import CREW_ROOM
from handlers.framework.types import IncomingReaction, IncomingTombstone, RoomId, UserId
from tests.fakes import BOT, FakeRoom
from tests.unit.decisions.test_decisions import crew_of, eid, ms, state
from tests.unit.world import ALICE, BOB, World

NEW = RoomId("!successor:example.org")


def successor(world: World, old: RoomId, **create: Any) -> None:
    """The room Synapse makes for an upgrade: its creation names the old room."""
    content = {"room_version": "12", "predecessor": {"room_id": old}, **create}
    world.gateway.rooms[NEW] = FakeRoom(NEW, {})
    world.gateway.set_state(NEW, "m.room.create", "", content, ALICE)
    for person in (ALICE, BOB):
        world.gateway.accept(NEW, person)


async def upgrade(world: World, old: RoomId) -> None:
    world.gateway.set_state(old, "m.room.tombstone", "", {"replacement_room": NEW}, ALICE)
    await world.deliver(IncomingTombstone(old, eid("$tomb"), UserId(ALICE), NEW))
    await world.settle()


async def test_a_crew_room_upgraded_is_followed_with_what_cohost_keeps(world: World) -> None:
    crew = await crew_of(world, BOB)
    await world.say("!crew cycle 3 meetings every Tuesday 19:00 Europe/Berlin", room=crew)
    await world.say("!propose We meet outside", room=crew)
    space = next(r for r in world.rooms_of_kind("congregation"))
    successor(world, crew, additional_creators=[BOT])
    await upgrade(world, crew)

    rooms = world.gateway.rooms
    # Its facts, written by cohost in the new room; the space names the new room.
    for kind in ("cc.microsolidarity.room", "cc.microsolidarity.crew"):
        assert rooms[NEW].state[(kind, "")]["sender"] == BOT
    assert rooms[NEW].content("cc.microsolidarity.cycle", "1") is not None
    assert rooms[space].content("m.space.child", NEW)
    assert rooms[space].content("m.space.child", crew) == {}
    assert rooms[space].content("cc.microsolidarity.crew", NEW)["name"] == "Walkers"
    assert rooms[space].content("cc.microsolidarity.crew", crew) == {}
    assert rooms[NEW].content("m.space.parent", space)
    assert world.rooms_of_kind(CREW_ROOM) == [crew, NEW]  # the old room still says what it was
    assert crew in world.gateway.left

    # Commands are answered in the new room, the open proposal carried over.
    assert "**Walkers**" in await world.say("!crew info", sender=BOB, room=NEW)
    assert "meeting 1" in (await world.say("!crew host", sender=BOB, room=NEW)).lower()
    [carried] = [m for m in world.gateway.messages_in(NEW) if "Carried over" in m.content["body"]]
    assert carried.content["m.mentions"] == {"user_ids": [BOB]}
    assert sorted(k for _, k in world.gateway.reactions_to(carried.event_id)) == ["✋", "👍"]
    await world.deliver(
        IncomingReaction(NEW, eid("$r"), UserId(BOB), carried.event_id, "👍", ms(world))
    )
    assert state(world, NEW, 1)["status"] == "passed"
    assert len([m for m in world.gateway.messages_in(NEW) if "continues" in m.content["body"]]) == 1


async def test_a_tombstone_naming_a_room_that_does_not_continue_it_is_not_followed(
    world: World,
) -> None:
    crew = await crew_of(world, BOB)
    successor(world, RoomId("!another:example.org"), additional_creators=[BOT])
    await upgrade(world, crew)
    assert "Walkers" in await world.say("!crew info", sender=BOB, room=crew)
    assert world.rooms_of_kind(CREW_ROOM) == [crew]
    assert NEW in world.gateway.left and crew not in world.gateway.left


async def test_without_power_in_the_new_room_cohost_asks_once_and_waits(world: World) -> None:
    crew = await crew_of(world, BOB)
    successor(world, crew)
    await upgrade(world, crew)
    [asked] = world.gateway.messages_in(NEW)
    assert asked.content["msgtype"] == "m.text"
    assert asked.content["m.mentions"] == {"user_ids": [ALICE]}
    assert "level 100" in asked.content["body"]
    assert "Walkers" in await world.say("!crew info", sender=BOB, room=crew)  # not moved yet
    await world.cohost.runner.run_one(f"follow-{crew}")
    assert len(world.gateway.messages_in(NEW)) == 1  # asked once
    # The founders give cohost the power; it carries on.
    world.gateway.set_state(NEW, "m.room.power_levels", "", {"users": {BOT: 100}}, ALICE)
    await world.cohost.runner.run_one(f"follow-{crew}")
    assert "Walkers" in await world.say("!crew info", sender=BOB, room=NEW)
    assert crew in world.gateway.left


async def test_waiting_for_power_is_given_up_after_two_days(world: World) -> None:
    crew = await crew_of(world, BOB)
    successor(world, crew)
    await upgrade(world, crew)
    world.clock.advance(timedelta(days=2, minutes=1))
    await world.cohost.runner.run_one(f"follow-{crew}")
    stored = await world.cohost.stores.operations.get(f"follow-{crew}")
    assert stored is not None and stored.status == "failed"
    assert len(world.gateway.messages_in(NEW)) == 1  # asked once, then no more
    assert "Walkers" in await world.say("!crew info", sender=BOB, room=crew)  # stays here
