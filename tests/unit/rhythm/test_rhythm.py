"""Crew life with an injected clock: cycles, rotation, reminders, retrospectives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handlers.community.state import CREW_ROOM
from handlers.framework.arguments import parse_time
from handlers.framework.types import (
    EventId,
    IncomingMember,
    IncomingReaction,
    IncomingRedaction,
    RoomId,
    UserId,
)
from handlers.rhythm.arithmetic import meeting_times, next_host
from handlers.rhythm.engine import Rhythm
from tests.unit.world import ALICE, BOB, CAROL, World

DAVE = "@dave:example.org"
ERIN = "@erin:example.org"
BERLIN = ZoneInfo("Europe/Berlin")


async def crew(world: World, *others: str) -> RoomId:
    await world.congregation("Riverside", members=others)
    await world.say(f"!crew new Walkers {' '.join(others)}")
    await world.settle()
    [room] = world.rooms_of_kind(CREW_ROOM)
    for person in (ALICE, *others):
        world.gateway.accept(room, person)
    return room


async def run_until(world: World, end: datetime, step: timedelta = timedelta(hours=1)) -> None:
    while world.clock.now() < end:
        world.clock.advance(step)
        await world.feature(Rhythm).tick()


def reminders(world: World, room: RoomId) -> list[str]:
    return [n for n in world.gateway.notices_in(room) if n.startswith("Reminder:")]


def test_meetings_keep_local_time_across_daylight_saving() -> None:
    # Berlin leaves summer time on Sunday 25 October 2026.
    times = meeting_times(datetime(2026, 10, 16, tzinfo=UTC), 3, 1, parse_time("19:00"), BERLIN)
    assert [t.astimezone(BERLIN).strftime("%a %d %H:%M") for t in times] == [
        "Tue 20 19:00",
        "Tue 27 19:00",
        "Tue 03 19:00",
    ]
    assert [t.hour for t in times] == [
        17,
        18,
        18,
    ]  # in UTC: the offset changed, the meeting did not


def test_everyone_hosts_once_before_anyone_hosts_twice() -> None:
    from collections import Counter

    rotation, members, hosted = ["a", "b", "c"], {"a", "b", "c"}, Counter[str]()
    order = []
    for _ in range(6):
        host = next_host(rotation, members, hosted)
        assert host is not None
        hosted[host] += 1
        order.append(host)
    assert order == ["a", "b", "c", "a", "b", "c"]
    # b leaves, d arrives: b is skipped, d comes after those already in the rotation.
    members = {"a", "c", "d"}
    assert next_host(rotation, members, Counter({"a": 2, "c": 2})) == "d"


async def test_a_six_meeting_cycle_from_start_to_retrospective(world: World) -> None:
    room = await crew(world, BOB, CAROL, DAVE)
    reply = await world.say("!crew cycle 6 meetings every Tuesday 19:00 Europe/Berlin", room=room)
    assert (
        "Cycle 1: 6 meetings every Tuesday at 19:00 Europe/Berlin, from Tuesday 1 December, "
        "19:00 CET" in reply
    )
    await run_until(world, datetime(2027, 1, 5, 18, 30, tzinfo=UTC))

    sent = reminders(world, room)
    assert len(sent) == 12  # a day and an hour before each of six meetings
    assert sent[0].startswith("Reminder: meeting 1 of 6 is tomorrow, Tuesday 1 December, 19:00 CET")
    hosts = [s.split("Hosting: ")[1].rstrip(".") for s in sent if "within the hour" in s]
    assert sorted(hosts[:4]) == sorted([ALICE, BOB, CAROL, DAVE])
    assert hosts[4:] == hosts[:2]
    retro = [n for n in world.gateway.notices_in(room) if "time for the retrospective" in n]
    assert len(retro) == 1
    # Reminders and the retrospective ask the crew: m.text mentioning each of them.
    said = world.gateway.messages_in(room)
    reminder = next(m for m in said if m.content["body"].startswith("Reminder:"))
    assert reminder.content["msgtype"] == "m.text"
    assert set(reminder.content["m.mentions"]["user_ids"]) == {ALICE, BOB, CAROL, DAVE}
    [asked] = [m for m in said if "time for the retrospective" in m.content["body"]]
    assert asked.content["msgtype"] == "m.text"
    offered = [key for _, key in world.gateway.reactions_to(asked.event_id)]
    assert sorted(offered) == sorted(["🔁", "🛠", "✂", "⏸"])  # one click to answer

    await world.say("!crew retro continue", room=room)
    await world.say("!crew retro continue", sender=BOB, room=room)
    await world.say("!crew retro continue", sender=CAROL, room=room)
    assert "No retrospective" not in await world.say("!crew retro pause", sender=DAVE, room=room)
    chose = [n for n in world.gateway.notices_in(room) if "chose **continue**" in n]
    assert len(chose) == 1 and "`continue`: 3, `pause`: 1" in chose[0]
    assert "Meeting 1 of 6, Tuesday 12 January" in await world.say("!crew host", room=room)
    state = world.gateway.rooms[room].content("cc.microsolidarity.cycle", "2")
    assert state is not None and state["status"] == "active"


async def test_a_pause_stops_the_reminders(world: World) -> None:
    room = await crew(world, BOB)
    await world.say("!crew cycle 1 meeting every Tuesday 19:00 Europe/Berlin", room=room)
    await run_until(world, datetime(2026, 12, 1, 18, 30, tzinfo=UTC))
    await world.say("!crew retro pause", room=room)
    await world.say("!crew retro pause", sender=BOB, room=room)
    before = len(reminders(world, room))
    await run_until(world, datetime(2026, 12, 30, tzinfo=UTC), step=timedelta(hours=6))
    assert len(reminders(world, room)) == before
    assert any("chose **pause**" in n for n in world.gateway.notices_in(room))


async def test_rotation_skips_who_left_and_adds_newcomers_at_the_end(world: World) -> None:
    room = await crew(world, BOB, CAROL)
    await world.say("!crew cycle 6 meetings every Tuesday 19:00 UTC", room=room)
    await run_until(world, datetime(2026, 12, 8, 20, 0, tzinfo=UTC))  # two meetings done
    hosted = [
        s.split("Hosting: ")[1].rstrip(".")
        for s in reminders(world, room)
        if "within the hour" in s
    ]
    assert hosted == [ALICE, BOB]
    # Carol leaves, Dave arrives.
    world.gateway.member(room, CAROL, "leave")
    world.gateway.accept(room, DAVE)
    await run_until(world, datetime(2026, 12, 22, 20, 0, tzinfo=UTC))
    hosted = [
        s.split("Hosting: ")[1].rstrip(".")
        for s in reminders(world, room)
        if "within the hour" in s
    ]
    assert hosted == [ALICE, BOB, DAVE, ALICE]


async def test_rotate_passes_hosting_on(world: World) -> None:
    room = await crew(world, BOB, CAROL)
    await world.say("!crew cycle 3 meetings every Tuesday 19:00 UTC", room=room)
    assert f"hosted by {ALICE}" in await world.say("!crew host", sender=BOB, room=room)
    assert f"passed hosting on: {BOB} hosts meeting 1" in await world.say("!crew rotate", room=room)
    assert f"hosted by {BOB}" in await world.say("!crew host", room=room)


async def test_a_restart_sends_a_missed_reminder_once_and_never_a_stale_burst(world: World) -> None:
    room = await crew(world, BOB)
    await world.say("!crew cycle 3 meetings every Tuesday 19:00 UTC", room=room)
    # Down from Friday until Monday 20:00, past the day reminder's time (Monday 19:00).
    world.clock.current = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    await world.restart()
    await world.feature(Rhythm).tick()
    await world.feature(Rhythm).tick()
    assert [r.split(",")[0] for r in reminders(world, room)] == [
        "Reminder: meeting 1 of 3 is tomorrow"
    ]
    # Down again across both reminders of meeting 2, back 30 minutes before it.
    world.clock.current = datetime(2026, 12, 8, 18, 30, tzinfo=UTC)
    await world.restart()
    await world.feature(Rhythm).tick()
    assert [r.split(",")[0] for r in reminders(world, room)][1:] == [
        "Reminder: meeting 2 of 3 is within the hour"
    ]
    # Down past meeting 3 entirely: nothing stale, the retrospective opens.
    world.clock.current = datetime(2026, 12, 15, 21, 0, tzinfo=UTC)
    await world.restart()
    await world.feature(Rhythm).tick()
    assert len(reminders(world, room)) == 2
    assert any("time for the retrospective" in n for n in world.gateway.notices_in(room))


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("!crew cycle 6 meetings every Tuesday 19:00 Mars/Olympus", "not a time zone"),
        ("!crew cycle 6 meetings every Tuesday 19:00 Europe", "not a time zone"),  # a folder
        ("!crew cycle 6 meetings every Tuesday 19:00 " + "x" * 300, "not a time zone"),
        ("!crew cycle 6 meetings every Toosday 19:00 UTC", "not a weekday"),
        ("!crew cycle 6 meetings every Tuesday 7pm UTC", "not a time of day"),
        ("!crew cycle 6 meetings every Tuesday 24:00 UTC", "not a time of day"),
        ("!crew cycle 0 meetings every Tuesday 19:00 UTC", "1 to 52 meetings"),
        ("!crew cycle 1000 meetings every Tuesday 19:00 UTC", "1 to 52 meetings"),
        ("!crew cycle six meetings every Tuesday 19:00 UTC", "whole number"),
        ("!crew cycle 6 sessions each Tuesday 19:00 UTC", "Write it as"),
        ("!crew cycle 6 meetings every Tuesday", "Missing `time`"),
    ],
)
async def test_bad_cycles_are_refused_and_change_nothing(
    world: World, command: str, expected: str
) -> None:
    room = await crew(world, BOB)
    assert expected in await world.say(command, room=room)
    assert "no cycle running" in await world.say("!crew host", room=room)


async def test_only_members_set_the_cycle(world: World) -> None:
    room = await crew(world, BOB)
    reply = await world.say(
        "!crew cycle 6 meetings every Tuesday 19:00 UTC", sender=ERIN, room=room
    )
    assert "Only members of this crew" in reply
    assert "your crew's room" in await world.say("!crew cycle 6 meetings every Tuesday 19:00 UTC")


async def test_a_ninth_member_brings_one_word_about_splitting(world: World) -> None:
    others = [f"@m{i}:example.org" for i in range(7)]
    room = await crew(world, *others)  # alice and seven: eight
    newcomer = "@ninth:example.org"
    world.gateway.accept(room, newcomer)
    event = IncomingMember(room, EventId("$j1"), UserId(newcomer), newcomer, "join", "invite", None)
    await world.feature(Rhythm).on_member(event)
    await world.feature(Rhythm).on_member(
        IncomingMember(room, EventId("$j2"), UserId(newcomer), newcomer, "join", "join", None)
    )
    told = [n for n in world.gateway.notices_in(room) if "work best with 3–8" in n]
    assert len(told) == 1


async def test_the_retrospective_is_answered_with_reactions(world: World) -> None:
    room = await crew(world, BOB)
    await world.say("!crew cycle 1 meeting every Tuesday 19:00 UTC", room=room)
    await run_until(world, datetime(2026, 12, 1, 19, 30, tzinfo=UTC))
    retro = next(
        s.event_id for s in world.gateway.sent if "time for the retrospective" in s.content["body"]
    )
    now = int(world.clock.now().timestamp() * 1000)
    rhythm = world.feature(Rhythm)

    def reaction(event: str, who: str, key: str, ts: int) -> IncomingReaction:
        return IncomingReaction(room, EventId(event), UserId(who), EventId(retro), key, ts)

    await rhythm.on_reaction(reaction("$r1", ALICE, "⏸️", now))
    taken_back = IncomingRedaction(room, EventId("$x1"), UserId(ALICE), EventId("$r1"), now + 1)
    await rhythm.on_redaction(taken_back)  # alice takes it back
    await rhythm.on_reaction(reaction("$r2", ALICE, "🔁", now + 2))
    assert not any("chose" in n for n in world.gateway.notices_in(room))
    await rhythm.on_reaction(reaction("$r3", BOB, "🔁", now + 3))
    assert any("chose **continue** (`continue`: 2)" in n for n in world.gateway.notices_in(room))


async def lose_the_database(world: World, tmp_path: Path) -> None:
    """A fresh, empty database, rebuilt from the homeserver's state by `cohost resync`."""
    summary = await world.resync_into_a_fresh_database(tmp_path)
    assert summary["cycles"] == 1


async def test_resync_takes_a_cycle_up_again_without_repeating_its_reminders(
    world: World, tmp_path: Path
) -> None:
    room = await crew(world, BOB)
    await world.say("!crew cycle 3 meetings every Tuesday 19:00 UTC", room=room)
    await run_until(world, datetime(2026, 11, 30, 20, 30, tzinfo=UTC))  # the day before
    assert len(reminders(world, room)) == 1
    host_before = await world.say("!crew host", room=room)

    await lose_the_database(world, tmp_path)
    await world.feature(Rhythm).tick()
    assert len(reminders(world, room)) == 1  # the day reminder went out already
    assert await world.say("!crew host", room=room) == host_before
    await run_until(world, datetime(2026, 12, 1, 18, 30, tzinfo=UTC))
    assert len(reminders(world, room)) == 2  # the hour reminder, once
    await run_until(world, datetime(2026, 12, 15, 19, 30, tzinfo=UTC))
    assert any("time for the retrospective" in n for n in world.gateway.notices_in(room))


async def test_reminders_show_the_crews_local_time_across_the_change_to_summer_time(
    world: World,
) -> None:
    world.clock.current = datetime(2027, 3, 20, 12, 0, tzinfo=UTC)  # Berlin: CEST from the 28th
    room = await crew(world, BOB, CAROL)
    reply = await world.say("!crew cycle 2 meetings every Tuesday 19:00 Europe/Berlin", room=room)
    assert "from Tuesday 23 March, 19:00 CET" in reply
    await run_until(world, datetime(2027, 3, 30, 18, 30, tzinfo=UTC))
    tomorrow = [s for s in reminders(world, room) if "tomorrow" in s]
    assert "Tuesday 23 March, 19:00 CET" in tomorrow[0]
    assert "Tuesday 30 March, 19:00 CEST" in tomorrow[1]  # 17:00 UTC, still 19:00 there


def test_fortnightly_and_monthly_rhythms_by_rrule_keep_local_time() -> None:
    from handlers.rhythm.arithmetic import FORTNIGHTLY

    after = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # Monday; summer time from the 28th
    seven = parse_time("19:00")

    def shown(pattern: str, count: int = 3) -> list[str]:
        times = meeting_times(after, count, 1, seven, BERLIN, pattern)
        return [t.astimezone(BERLIN).strftime("%d %b %H:%M %Z") for t in times]

    assert shown(FORTNIGHTLY) == ["02 Mar 19:00 CET", "16 Mar 19:00 CET", "30 Mar 19:00 CEST"]
    assert shown("first") == ["02 Mar 19:00 CET", "06 Apr 19:00 CEST", "04 May 19:00 CEST"]
    assert shown("last") == ["30 Mar 19:00 CEST", "27 Apr 19:00 CEST", "25 May 19:00 CEST"]
    assert shown("fourth", 2) == ["23 Mar 19:00 CET", "27 Apr 19:00 CEST"]
    # Strictly after: a Tuesday whose 19:00 has passed starts the next occurrence.
    late = datetime(2027, 3, 2, 19, 30, tzinfo=UTC)
    [next_one] = meeting_times(late, 1, 1, seven, BERLIN, FORTNIGHTLY)
    assert next_one.astimezone(BERLIN).strftime("%d %b") == "16 Mar"


async def test_a_crew_meets_every_other_week_or_monthly_and_resync_keeps_it(
    world: World, tmp_path: Path
) -> None:
    room = await crew(world, BOB)
    world.clock.current = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
    reply = await world.say(
        "!crew cycle 3 meetings every other Tuesday 19:00 Europe/Berlin", room=room
    )
    assert reply.startswith(
        "Cycle 1: 3 meetings every other Tuesday at 19:00 Europe/Berlin, from Tuesday 2 March"
    )
    cycle = await world.cohost.stores.rhythm.current(room)
    assert cycle is not None and cycle.pattern == "fortnightly"
    meetings = await world.cohost.stores.rhythm.meetings(cycle.id)
    assert [m.at.astimezone(BERLIN).strftime("%d %b %Z") for m in meetings] == [
        "02 Mar CET",
        "16 Mar CET",
        "30 Mar CEST",
    ]
    assert "not a weekday" in await world.say(
        "!crew cycle 3 meetings every fifth Tuesday 19:00 Europe/Berlin", room=room
    )
    await lose_the_database(world, tmp_path)  # resync: from the cycle's record alone
    cycle = await world.cohost.stores.rhythm.current(room)
    assert cycle is not None and cycle.pattern == "fortnightly"
    monthly = await world.say("!crew cycle 2 meetings every last Friday 18:00 UTC", room=room)
    assert monthly.startswith(
        "Cycle 2: 2 meetings every last Friday of the month at 18:00 UTC, from Friday 26 March"
    )


async def test_the_retrospective_is_also_a_poll_answered_once_each(world: World) -> None:
    """Element shows the retrospective as a poll (MSC3381): a member's answer counts
    like a reaction, the latest standing; one from outside the crew or another room
    never counts; the poll ends with the outcome."""
    from handlers.framework.matrix_names import Poll
    from handlers.framework.types import IncomingPollResponse

    room = await crew(world, BOB)
    await world.say("!crew cycle 1 meeting every Tuesday 19:00 UTC", room=room)
    await run_until(world, datetime(2026, 12, 1, 19, 30, tzinfo=UTC))
    [start] = [s for s in world.gateway.sent if s.event_type == Poll.START]
    assert start.room_id == room
    poll = start.content[Poll.START]
    assert poll["max_selections"] == 1 and poll["kind"] == Poll.DISCLOSED
    assert [a["id"] for a in poll["answers"]] == ["continue", "adjust", "split", "pause"]
    assert poll["question"][Poll.TEXT] == "How does the crew go on?"
    assert "1. 🔁 continue" in start.content[Poll.TEXT]  # what other clients show
    now = int(world.clock.now().timestamp() * 1000)

    def answer(event: str, who: str, choice: str, ts: int, where: RoomId = room) -> None:
        response = IncomingPollResponse(
            where, EventId(event), UserId(who), start.event_id, (choice,), ts
        )
        return world.deliver(response)  # type: ignore[return-value]

    await answer("$p1", ALICE, "pause", now)
    await answer("$p2", DAVE, "split", now + 1)  # not in the crew
    await answer("$p3", BOB, "split", now + 2, where=RoomId("!elsewhere:example.org"))
    assert not any("chose" in n for n in world.gateway.notices_in(room))
    await answer("$p4", ALICE, "continue", now + 3)  # she changes her mind
    await answer("$p5", BOB, "continue", now + 4)
    [chose] = [n for n in world.gateway.notices_in(room) if "chose" in n]
    assert "chose **continue** (`continue`: 2)" in chose
    [end] = [s for s in world.gateway.sent if s.event_type == Poll.END]
    assert end.content["m.relates_to"] == {"rel_type": "m.reference", "event_id": start.event_id}
    assert end.content[Poll.TEXT] == "The retrospective chose: continue"
