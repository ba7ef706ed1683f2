"""The practice pathway (`!pathway`) and feedback from crewmates (`!feedback`)."""

from __future__ import annotations

from datetime import timedelta

from handlers.community.state import DIRECT
from handlers.framework.types import RoomId
from tests.fakes import Crash
from tests.unit.decisions.test_decisions import DAVE, crew_of
from tests.unit.rhythm.test_rhythm import run_until
from tests.unit.world import ALICE, BOB, CAROL, DM, World

QUESTION = "What skills do you think I should develop"


def direct_room(world: World, person: str) -> RoomId:
    """The room cohost opened with one person (invited, marked direct)."""
    [room] = [
        r.room_id
        for r in world.gateway.rooms.values()
        if (r.content("cc.microsolidarity.room") or {}).get("kind") == DIRECT
        and r.membership(person) in ("invite", "join")
    ]
    return room


async def a_completed_cycle(world: World) -> RoomId:
    """Alice and Bob's crew meets once; Alice hosts; both answer the retrospective."""
    crew = await crew_of(world, BOB)
    await world.say("!crew cycle 1 meetings every Tuesday 19:00 UTC", ALICE, crew)
    await world.say("!crew host", ALICE, crew)
    await run_until(world, world.clock.now() + timedelta(days=5))  # the retro is open
    await world.say("!crew retro pause", ALICE, crew)
    await world.say("!crew retro pause", BOB, crew)
    return crew


async def test_the_pathway_tells_the_asker_their_own_record(world: World) -> None:
    await a_completed_cycle(world)
    reply = await world.say("!pathway", ALICE, DM)
    assert "Crews you called: 1 (**Walkers**)" in reply
    assert "Crews you are in: 1 (**Walkers**)" in reply
    assert "Meetings you hosted: 1" in reply
    assert "Cycles you completed: 1" in reply
    assert "Retrospectives you answered: 1" in reply
    assert "Congregations you host: 1 (**Riverside**)" in reply
    bob = await world.say("!pathway", BOB, "!dm-bob:example.org")
    assert "Crews you called: 0" in bob and "Meetings you hosted: 0" in bob
    assert "Congregations you host: 0" in bob


async def test_the_pathway_is_told_only_in_a_dm_and_only_of_the_asker(world: World) -> None:
    crew = await crew_of(world, BOB)
    assert "direct message" in await world.say("!pathway", BOB, crew)
    assert "Too many arguments" in await world.say(f"!pathway {ALICE}", BOB, DM)


async def test_forgetting_erases_what_the_pathway_reads(world: World) -> None:
    await a_completed_cycle(world)
    await world.say("!forget me", ALICE, DM)
    reply = await world.say("!pathway", ALICE, DM)
    assert "Meetings you hosted: 0" in reply
    assert "Cycles you completed: 0" in reply
    assert "Retrospectives you answered: 0" in reply


async def test_feedback_goes_to_the_asker_alone_named_or_anonymous(world: World) -> None:
    crew = await crew_of(world, BOB, CAROL)
    assert "2 crewmates" in await world.say("!feedback ask", ALICE, crew)
    await world.settle()
    bob_room, carol_room = direct_room(world, BOB), direct_room(world, CAROL)
    alice_room = direct_room(world, ALICE)
    assert world.gateway.rooms[bob_room].request.get("is_direct") is True
    for room, mate in ((bob_room, BOB), (carol_room, CAROL)):
        [asked] = world.gateway.messages_in(room)
        assert QUESTION in asked.content["body"] and ALICE in asked.content["body"]
        # Asked to act: an m.text that notifies exactly the crewmate asked.
        assert asked.content["msgtype"] == "m.text"
        assert asked.content["m.mentions"] == {"user_ids": [mate]}
    assert not [n for n in world.gateway.notices_in(crew) if QUESTION in n]  # never in public

    reply = await world.say("!feedback give Walkers You listen well", BOB, bob_room)
    assert f"passed it on to {ALICE}, with your name" in reply
    reply = await world.say("!feedback give Walkers anonymous Speak up more", CAROL, carol_room)
    assert "without your name" in reply
    named, anonymous = world.gateway.notices_in(alice_room)
    assert named == f"Feedback for you from {BOB}: “You listen well”"
    assert anonymous.endswith("“Speak up more”") and CAROL not in anonymous
    # Each answers once; nobody else answers; and never in a shared room.
    assert "waiting for your feedback" in await world.say(
        "!feedback give Walkers Again", BOB, bob_room
    )
    assert "waiting for your feedback" in await world.say(
        "!feedback give Walkers Hello", DAVE, "!dm-dave:example.org"
    )
    assert "direct message" in await world.say("!feedback give Walkers Hi", BOB, crew)
    assert len(world.gateway.notices_in(alice_room)) == 2


async def test_asking_resumes_after_a_crash_without_asking_twice(world: World) -> None:
    crew = await crew_of(world, BOB, CAROL)
    await world.say("!feedback ask", ALICE, crew)
    world.gateway.crash_on_send = "asks you"
    try:
        await world.settle()
    except Crash:
        pass
    else:
        raise AssertionError("nobody was asked")
    await world.restart()
    await world.settle()
    await world.restart()
    await world.settle()
    for person in (ALICE, BOB, CAROL):
        direct_room(world, person)  # exactly one room each
    for person in (BOB, CAROL):
        assert len(world.gateway.notices_in(direct_room(world, person))) == 1


async def test_forgetting_drops_requests_and_answers_waiting(world: World) -> None:
    crew = await crew_of(world, BOB)
    await world.say("!feedback ask", ALICE, crew)
    await world.settle()
    await world.say("!forget me", ALICE, DM)
    assert "waiting for your feedback" in await world.say(
        "!feedback give Walkers Thanks", BOB, direct_room(world, BOB)
    )


async def test_feedback_as_cohost_suggests_it_quoted_name_and_anonymous_on_its_own_line(
    world: World,
) -> None:
    await world.congregation("Riverside", members=(BOB,))
    await world.say(f'!crew new "Tuesday circle" {BOB}')
    await world.settle()
    [crew] = world.rooms_of_kind("crew")
    for person in (ALICE, BOB):
        world.gateway.accept(crew, person)
    await world.say("!feedback ask", ALICE, crew)
    await world.settle()
    bob_room, alice_room = direct_room(world, BOB), direct_room(world, ALICE)
    [asked] = world.gateway.notices_in(bob_room)
    assert '`!feedback give "Tuesday circle" anonymous <your answer>`' in asked
    reply = await world.say('!feedback give "Tuesday circle" anonymous\nSpeak up', BOB, bob_room)
    assert "without your name" in reply, reply
    [passed] = world.gateway.notices_in(alice_room)
    assert passed.endswith("“Speak up”") and BOB not in passed


async def test_feedback_is_asked_of_a_crew_once_a_week_at_most(world: World) -> None:
    crew = await crew_of(world, BOB)
    assert "asking your crewmate," in await world.say("!feedback ask", ALICE, crew)
    await world.settle()
    assert "Ask again after a week" in await world.say("!feedback ask", ALICE, crew)
    await world.settle()
    assert len(world.gateway.messages_in(direct_room(world, BOB))) == 1
    world.clock.advance(timedelta(days=7, minutes=1))
    assert "asking your crewmate," in await world.say("!feedback ask", ALICE, crew)


async def test_feedback_asked_by_two_crewmates_goes_to_the_one_named(world: World) -> None:
    """Alice and Carol both ask in Walkers: Bob's answer is not guessed for either."""
    crew = await crew_of(world, BOB, CAROL)
    await world.say("!feedback ask", ALICE, crew)
    await world.say("!feedback ask", CAROL, crew)
    await world.settle()
    bob_room = direct_room(world, BOB)
    refused = await world.say("!feedback give Walkers You listen well", BOB, bob_room)
    assert ALICE in refused and CAROL in refused and "Name the one you answer" in refused

    def feedback_for(person: str) -> list[str]:
        return [n for n in world.gateway.notices_in(direct_room(world, person)) if "for you" in n]

    assert feedback_for(ALICE) == []
    reply = await world.say(f"!feedback give Walkers {CAROL} anonymous Thank you", BOB, bob_room)
    assert f"passed it on to {CAROL}, without your name" in reply
    [given] = feedback_for(CAROL)
    assert given.endswith("“Thank you”") and BOB not in given
    reply = await world.say("!feedback give Walkers You listen well", BOB, bob_room)
    assert f"passed it on to {ALICE}" in reply  # only one still waits
