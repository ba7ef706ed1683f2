"""Crews: rooms of peers inside a congregation."""

from __future__ import annotations

import asyncio

import pytest

from handlers.community.state import CREW_ROOM, LOBBY
from handlers.crews.engine import CREATE, Creating
from tests.fakes import BOT, Crash
from tests.unit.world import ALICE, BOB, CAROL, World


async def test_crew_new_makes_an_encrypted_knock_room_in_the_space(world: World) -> None:
    space = await world.congregation("Riverside", members=(BOB, CAROL))
    [lobby] = world.rooms_of_kind(LOBBY)
    reply = await world.say(
        f'!crew new "Tuesday circle" {BOB} {CAROL} intention: support through change', room=lobby
    )
    assert "on its way" in reply
    await world.settle()

    [crew] = world.rooms_of_kind(CREW_ROOM)
    room = world.gateway.rooms[crew]
    assert room.content("m.room.encryption") == {"algorithm": "m.megolm.v1.aes-sha2"}
    assert room.content("m.room.join_rules") == {"join_rule": "knock"}
    assert room.creators == {BOT, ALICE, BOB, CAROL}
    assert room.content("m.room.topic") == {
        "topic": "support through change · Send !help to see what cohost can do here."
    }
    assert room.content("m.space.parent", space)["canonical"] is True
    assert world.gateway.rooms[space].content("m.space.child", crew)["order"].startswith("50-")
    # Everyone is invited and joins by accepting; nobody is joined by cohost.
    assert {room.membership(u) for u in (ALICE, BOB, CAROL)} == {"invite"}
    entry = world.gateway.rooms[space].content("cc.microsolidarity.crew", crew)
    assert entry["name"] == "Tuesday circle" and entry["caller"] == ALICE
    assert any("Crew **Tuesday circle** is ready" in n for n in world.gateway.notices_in(lobby))


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("!crew new", "Missing `name`"),
        ('!crew new "   "', "Give the crew a name"),
        ("!crew new " + "y" * 65, "keep it to 64"),
        ("!crew new Walkers @bob", "not a Matrix user id"),
        ("!crew new Walkers " + " ".join(f"@u{i}:example.org" for i in range(8)), "3–8 people"),
        ("!crew new Walkers intention: " + "z" * 501, "500 characters"),
    ],
)
async def test_bad_input_changes_nothing(world: World, command: str, expected: str) -> None:
    await world.congregation("Riverside")
    before = set(world.gateway.rooms)
    assert expected in await world.say(command)
    await world.settle()
    assert set(world.gateway.rooms) == before


async def test_crew_names_are_unique_per_congregation_even_while_pending(world: World) -> None:
    await world.congregation("Riverside")
    await world.say("!crew new Walkers")
    assert "already has a crew called" in await world.say("!crew new WALKERS")
    await world.settle()
    assert "already has a crew called" in await world.say("!crew new walkers")
    assert len(world.rooms_of_kind(CREW_ROOM)) == 1


async def test_a_non_member_cannot_call_a_crew(world: World) -> None:
    space = await world.congregation("Riverside")
    [lobby] = world.rooms_of_kind(LOBBY)
    reply = await world.say("!crew new Walkers", sender=CAROL, room=lobby)
    assert "Only members of **Riverside**" in reply
    world.gateway.accept(space, CAROL)
    assert "on its way" in await world.say("!crew new Walkers", sender=CAROL, room=lobby)


async def test_list_and_info(world: World) -> None:
    await world.congregation("Riverside", members=(BOB,))
    await world.say("!crew new Walkers intention: walk and talk")
    await world.say(f"!crew new Bakers {BOB}")
    await world.settle()
    listing = await world.say("!crew list")
    assert listing.index("**Bakers**") < listing.index("**Walkers**")
    info = await world.say("!crew info walkers")
    assert (
        "Intention: “walk and talk”" in info
        and "called by @alice:example.org on 2026-11-27" in info
    )
    [bakers] = [
        r
        for r in world.rooms_of_kind(CREW_ROOM)
        if world.gateway.rooms[r].content("m.room.name") == {"name": "Bakers"}
    ]
    world.gateway.accept(bakers, BOB)
    here = await world.say("!crew info", room=bakers, sender=BOB)
    assert f"Members (1): {BOB}" in here
    assert "no crew called **Nope**" in await world.say("!crew info Nope")


async def test_leaving_a_crew(world: World) -> None:
    space = await world.congregation("Riverside")
    await world.say("!crew new Walkers")
    await world.settle()
    [crew] = world.rooms_of_kind(CREW_ROOM)
    world.gateway.accept(crew, CAROL)  # joined later, by consent: not a founder
    world.gateway.accept(space, CAROL)
    assert "taking you out" in await world.say("!crew leave", sender=CAROL, room=crew)
    assert world.gateway.rooms[crew].membership(CAROL) == "leave"
    world.gateway.accept(crew, ALICE)
    assert "leave from Element" in await world.say("!crew leave", room=crew)
    assert world.gateway.rooms[crew].membership(ALICE) == "join"
    assert "in your crew's room" in await world.say("!crew leave")


async def test_a_crash_in_the_middle_of_a_creation_resumes_without_duplicates(world: World) -> None:
    await world.congregation("Riverside", members=(BOB,))
    await world.say(f"!crew new Walkers {BOB}")
    world.gateway.crash_after_create = True  # the room exists, cohost dies before noting it
    with pytest.raises(Crash):
        await world.settle()
    assert len(world.rooms_of_kind(CREW_ROOM)) == 1

    await world.restart()
    await world.settle()

    [crew] = world.rooms_of_kind(CREW_ROOM)
    assert world.gateway.rooms[crew].membership(BOB) == "invite"
    ready = [
        n for n in world.gateway.notices_in("!dm:example.org") if "Crew **Walkers** is ready" in n
    ]
    assert len(ready) == 1
    assert await world.cohost.runner.pending(CREATE, Creating) == []


async def test_the_homeserver_away_delays_an_operation_without_losing_it(world: World) -> None:
    await world.congregation("Riverside")
    await world.say("!crew new Walkers")
    world.cohost.runner.retry_delay = 0
    world.gateway.offline = True
    await world.settle()
    world.gateway.offline = False
    await asyncio.sleep(0.01)  # the operation comes back to the queue after retry_delay
    await world.settle()
    assert len(world.rooms_of_kind(CREW_ROOM)) == 1
    assert any(
        "Crew **Walkers** is ready" in n for n in world.gateway.notices_in("!dm:example.org")
    )


async def test_a_creation_the_homeserver_refuses_is_reported_once(world: World) -> None:
    await world.congregation("Riverside")
    await world.say("!crew new Walkers")
    world.gateway.refuse_creation = "M_FORBIDDEN"
    await world.settle()
    await world.settle()
    failed = [n for n in world.gateway.notices_in("!dm:example.org") if "could not finish" in n]
    assert failed == [
        "I could not finish creating crew **Walkers** (M_FORBIDDEN). "
        "The operator can find the details in cohost's log."
    ]
    assert world.rooms_of_kind(CREW_ROOM) == []
    assert await world.cohost.runner.pending(CREATE, Creating) == []


async def test_a_crew_forms_among_the_congregations_members(world: World) -> None:
    """Someone who has not joined the congregation (a stranger on any server) is
    neither invited nor made one of the crew room's creators."""
    await world.congregation("Riverside", members=(BOB,))
    stranger = "@mallory:evil.example"
    rooms = len(world.gateway.rooms)
    reply = await world.say(f"!crew new Walkers {BOB} {stranger}")
    assert f"{stranger} has not joined **Riverside**" in reply
    assert f"`!congregation invite {stranger}`" in reply
    await world.settle()
    assert len(world.gateway.rooms) == rooms  # nothing made
    assert "on its way" in await world.say(f"!crew new Walkers {BOB}")
    await world.settle()
    [crew] = world.rooms_of_kind(CREW_ROOM)
    assert stranger not in world.gateway.rooms[crew].creators
