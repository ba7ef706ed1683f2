"""In rooms several cohosts share, a command the answering cohost leaves unanswered
(it is gone) is answered by another in its turn, once; one that was answered is not
answered again, also by the answering cohost catching up after being away."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from handlers.framework.stand_in import PICKED, TURN, StandIns, op_id
from handlers.framework.types import EventId, IncomingMessage, RoomId, UserId
from handlers.rhythm.engine import Rhythm
from handlers.rhythm.schema import CYCLE
from tests.fakes import message
from tests.unit.network.test_network_crews import BEA, OTHER, a_meta_crew, cycle_record
from tests.unit.world import ALICE, World

TURNS = 2 * TURN + timedelta(seconds=1)  # past every stand-in's turn among two cohosts


async def crew_kept_by_other(world: World) -> RoomId:
    _, _, crew = await a_meta_crew(world)
    world.gateway.set_state(crew, CYCLE, "1", cycle_record(world, timedelta(days=3)), OTHER)
    world.gateway.accept(crew, OTHER)
    assert not await world.feature(Rhythm).keeps(crew)
    return crew


def reply_of(sender: str, command: IncomingMessage) -> IncomingMessage:
    """A notice answering the command, as another cohost (or anyone) sends it."""
    relation = {"m.relates_to": {"m.in_reply_to": {"event_id": command.event_id}}}
    return IncomingMessage(
        command.room_id, EventId(f"$re{command.event_id}"), UserId(sender), "",
        False, command.origin_server_ts, relation, notice=True,
    )  # fmt: skip


async def later(world: World, command: IncomingMessage, by: timedelta = TURNS) -> None:
    world.clock.advance(by)
    await world.cohost.runner.run_one(op_id(command.event_id))


async def test_a_command_the_keeper_leaves_unanswered_is_answered_once(world: World) -> None:
    crew = await crew_kept_by_other(world)
    command = world.now(message("!crew info", sender=ALICE, room=crew))
    await world.deliver(command)
    assert world.gateway.replies_to(command.event_id) == []  # the keeper's to answer
    await later(world, command, timedelta(seconds=10))
    assert world.gateway.replies_to(command.event_id) == []  # its turn has not come
    # The first turn after the keeper's is this cohost's: the keeper is not in the order.
    await later(world, command, TURN)
    [answer] = world.gateway.replies_to(command.event_id)
    assert "Meta Crew" in answer["body"]
    await later(world, command)
    assert len(world.gateway.replies_to(command.event_id)) == 1
    # What it carried, the command's text, is forgotten once answered; the record of
    # the wait a day later.
    done = await world.cohost.stores.operations.get(op_id(command.event_id))
    assert done is not None and done.params == {}
    await world.cohost.runner.prune("stand_in", timedelta(days=1))
    assert await world.cohost.stores.operations.get(op_id(command.event_id)) is not None
    world.clock.advance(timedelta(days=1, minutes=1))
    for tick in world.cohost.house.ticks:
        await tick()
    assert await world.cohost.stores.operations.get(op_id(command.event_id)) is None


async def test_an_answer_from_the_keeper_settles_it(world: World) -> None:
    crew = await crew_kept_by_other(world)
    command = world.now(message("!crew info", sender=ALICE, room=crew))
    await world.deliver(command)
    await world.deliver(reply_of(OTHER, command))
    await later(world, command)
    assert world.gateway.replies_to(command.event_id) == []


async def test_a_reply_from_someone_not_a_cohost_does_not_silence_it(world: World) -> None:
    crew = await crew_kept_by_other(world)
    command = world.now(message("!crew info", sender=ALICE, room=crew))
    await world.deliver(command)
    await world.deliver(reply_of(BEA, command))  # Bea is a person, whatever she sends
    await later(world, command)
    assert len(world.gateway.replies_to(command.event_id)) == 1


async def test_a_wait_survives_a_restart(world: World) -> None:
    crew = await crew_kept_by_other(world)
    command = world.now(message("!crew info", sender=ALICE, room=crew))
    await world.deliver(command)
    await world.restart()
    await later(world, command)
    assert len(world.gateway.replies_to(command.event_id)) == 1


async def test_the_keeper_catching_up_does_not_answer_twice(world: World) -> None:
    """This cohost keeps the crew, was away, and finds a command another answered."""
    _, _, crew = await a_meta_crew(world)
    world.gateway.accept(crew, OTHER)
    answered = world.now(message("!crew info", sender=ALICE, room=crew))
    unanswered = world.now(message("!crew info", sender=ALICE, room=crew))
    world.clock.advance(timedelta(minutes=5))
    for command in (answered, unanswered):
        # Read on its return (the router marks what it reads after an absence).
        await world.deliver(dataclasses.replace(command, caught_up=True))
    await world.deliver(reply_of(OTHER, answered))
    assert world.gateway.replies_to(answered.event_id) == []
    assert world.gateway.replies_to(unanswered.event_id) == []
    await later(world, answered)
    await later(world, unanswered)
    assert world.gateway.replies_to(answered.event_id) == []
    assert len(world.gateway.replies_to(unanswered.event_id)) == 1
    # A fresh command is answered at once, as ever.
    assert "Meta Crew" in await world.say("!crew info", ALICE, crew)


async def test_a_vote_is_counted_at_once_and_its_answer_stood_in_for(world: World) -> None:
    _, commons, _ = await a_meta_crew(world)
    await world.say('!propose "We meet in spring"', ALICE, commons)
    vote = world.now(message("!consent 11", sender=BEA, room=commons))
    await world.deliver(vote)
    assert world.gateway.replies_to(vote.event_id) == []  # Hilltop's cohost answers Bea
    record = world.gateway.rooms[commons].content("cc.microsolidarity.proposal", "11") or {}
    assert record["status"] == "passed"  # counted here at once, as every cohost does
    await later(world, vote)
    [answer] = world.gateway.replies_to(vote.event_id)
    assert "11" in answer["body"]


async def test_a_stand_in_gives_up_on_what_is_hours_old(world: World) -> None:
    crew = await crew_kept_by_other(world)
    command = world.now(message("!crew info", sender=ALICE, room=crew))
    await world.deliver(command)
    await later(world, command, timedelta(hours=2))
    assert world.gateway.replies_to(command.event_id) == []


async def test_rooms_one_cohost_answers_in_are_answered_at_once_even_late(world: World) -> None:
    """A congregation's own rooms: no waiting, also for a command from long ago."""
    old = message("!ping", sender=ALICE)
    old = dataclasses.replace(old, origin_server_ts=1)
    await world.deliver(old)
    assert len(world.gateway.replies_to(old.event_id)) == 1
    assert await world.cohost.stores.operations.get(op_id(old.event_id)) is None


async def test_forget_me_forgets_the_text_of_commands_waiting_for_a_stand_in(
    world: World,
) -> None:
    crew = await crew_kept_by_other(world)
    command = world.now(message("!crew info", sender=ALICE, room=crew))
    await world.deliver(command)
    waiting = await world.cohost.stores.operations.get(op_id(command.event_id))
    assert waiting is not None and waiting.params["body"] == "!crew info"
    assert "commands kept for stand-ins: 1" in await world.say("!forget me", ALICE)
    forgotten = await world.cohost.stores.operations.get(op_id(command.event_id))
    assert forgotten is not None and forgotten.params == {}
    await later(world, command)
    assert world.gateway.replies_to(command.event_id) == []  # given up with it


async def test_turns_count_from_when_the_command_was_read_not_the_senders_clock(
    world: World,
) -> None:
    """A command stamped hours early is neither answered by every stand-in at once nor
    given up; one stamped a day ahead is still stood in for, in its turn."""
    crew = await crew_kept_by_other(world)
    hour = 3_600_000
    for skew in (-3 * hour, 24 * hour):
        stamped = world.now(message("!crew info", sender=ALICE, room=crew))
        stamped = dataclasses.replace(stamped, origin_server_ts=stamped.origin_server_ts + skew)
        await world.deliver(stamped)
        await later(world, stamped, timedelta(seconds=10))
        assert world.gateway.replies_to(stamped.event_id) == []  # not before its turn
        await later(world, stamped, TURN)
        assert len(world.gateway.replies_to(stamped.event_id)) == 1  # in its turn, once


async def test_a_stand_in_reads_the_people_a_command_picked(world: World) -> None:
    """The wait keeps how people were picked (pills), so a stand-in reads the command as
    the answering cohost would have; the rest of the content is not kept."""
    answered: list[IncomingMessage] = []

    async def answer(message: IncomingMessage, worked_out: str | None) -> None:
        answered.append(message)

    async def nobody_is_a_cohost(room: RoomId, user: UserId) -> bool:
        return False

    stand_ins = StandIns(world.cohost.runner, world.clock, answer, nobody_is_a_cohost)
    content = {
        "msgtype": "m.text",
        "body": "!crew invite Bea",
        "format": "org.matrix.custom.html",
        "formatted_body": f'!crew invite <a href="https://matrix.to/#/{BEA}">Bea</a>',
        "m.mentions": {"user_ids": [BEA]},
        "unrelated": "not kept",
    }
    command = dataclasses.replace(
        world.now(message("!crew invite Bea", sender=ALICE, room="!shared")), content=content
    )
    await stand_ins.wait(command, 1, None)
    await later(world, command)
    [read] = answered
    assert read.content == {k: v for k, v in content.items() if k in PICKED}
