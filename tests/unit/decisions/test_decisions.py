"""Consent decisions in rooms: knocks, votes by command and reaction, windows,
reminders, outcomes and carrying them out."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

from handlers.community.state import CREW_ROOM
from handlers.decisions.engine import Decisions
from handlers.decisions.schema import PROPOSAL as PROPOSAL_STATE
from handlers.decisions.schema import Decided
from handlers.framework.types import (
    EventId,
    IncomingMember,
    IncomingReaction,
    IncomingRedaction,
    RoomId,
    UserId,
)
from handlers.membership.engine import Membership
from handlers.resync import rebuild_index
from storage.database import make_engine, make_sessionmaker, migrate
from tests.fakes import BOT, Crash
from tests.unit.world import ALICE, BOB, CAROL, World

DAVE = "@dave:example.org"
ERIN = "@erin:example.org"
_ids = itertools.count()


def eid(prefix: str = "$ev") -> EventId:
    return EventId(f"{prefix}{next(_ids)}")


async def crew_of(world: World, *members: str) -> RoomId:
    """A crew whose caller (alice) and invitees, members of Riverside, have joined."""
    await world.congregation("Riverside", members=members)
    await world.say(f"!crew new Walkers {' '.join(members)}")
    await world.settle()
    [crew] = world.rooms_of_kind(CREW_ROOM)
    for person in (ALICE, *members):
        world.gateway.accept(crew, person)
    return crew


async def knock(
    world: World, room: RoomId, who: str, reason: str | None = None, *, member: bool = True
) -> None:
    """`who` knocks on a room; on a crew room as a member of its congregation unless
    `member` is False."""
    marker = world.gateway.rooms[room].content("cc.microsolidarity.room") or {}
    if member and marker.get("kind") == CREW_ROOM:
        world.gateway.accept(RoomId(marker["congregation"]), who)
    world.gateway.member(room, who, "knock")
    await world.feature(Membership).on_member(
        IncomingMember(room, eid("$knock"), UserId(who), who, "knock", None, reason)
    )


def ms(world: World) -> int:
    return int(world.clock.now().timestamp() * 1000)


async def react(world: World, room: RoomId, who: str, number: int, key: str) -> EventId:
    proposal_message = next(
        s.event_id
        for s in world.gateway.sent
        if s.room_id == room
        and s.content.get("cc.microsolidarity.proposal", {}).get("number") == number
    )
    event_id = eid("$reaction")
    await world.deliver(
        IncomingReaction(room, event_id, UserId(who), proposal_message, key, ms(world))
    )
    return event_id


def state(world: World, room: RoomId, number: int) -> dict[str, object]:
    content = world.gateway.rooms[room].content(PROPOSAL_STATE, str(number))
    assert content is not None
    return content


async def test_a_knock_becomes_a_proposal_that_passes_when_all_consent(world: World) -> None:
    crew = await crew_of(world, BOB)
    await knock(world, crew, DAVE)
    [announcement] = [n for n in world.gateway.notices_in(crew) if n.startswith("Proposal #1")]
    assert f"{DAVE} joins this crew" in announcement and "asked by knocking" in announcement
    assert f"Decided by consent of: {ALICE}, {BOB}." in announcement
    assert state(world, crew, 1)["status"] == "open"

    await react(world, crew, ALICE, 1, "👍")
    assert state(world, crew, 1)["status"] == "open"
    await react(world, crew, BOB, 1, "👍🏽")  # any skin tone
    assert state(world, crew, 1)["status"] == "passed"
    assert any(n.startswith("Proposal #1 passed") for n in world.gateway.notices_in(crew))
    await world.settle()
    assert world.gateway.rooms[crew].membership(DAVE) == "invite"
    # Carrying out again invites nobody twice.
    await world.restart()
    await world.settle()
    invites = [
        k for (t, k) in world.gateway.rooms[crew].state if t == "m.room.member" and k == DAVE
    ]
    assert invites == [DAVE] and world.gateway.rooms[crew].membership(DAVE) == "invite"


async def test_an_objection_blocks_until_withdrawn(world: World) -> None:
    crew = await crew_of(world, BOB, CAROL)
    assert "Proposal #1 is open" in await world.say(f"!crew invite {DAVE}", room=crew)
    assert "needs a reason" in await world.say("!object 1", sender=BOB, room=crew)
    assert "blocks it" in await world.say(
        "!object 1 we promised to stay small", sender=BOB, room=crew
    )
    await world.say("!consent 1", sender=CAROL, room=crew)
    assert "objections from @bob" in await world.say("!proposals", room=crew)
    assert "only the person who objected" in await world.say("!withdraw 1", sender=CAROL, room=crew)
    world.clock.advance(timedelta(days=2, minutes=1))
    await world.feature(Decisions).tick()
    assert state(world, crew, 1)["status"] == "lapsed"
    assert any("lapsed (objections stand from @bob" in n for n in world.gateway.notices_in(crew))
    await world.settle()
    assert world.gateway.rooms[crew].membership(DAVE) is None

    # A second proposal: the objection is withdrawn in time, so consent carries it.
    await world.say(f"!crew invite {DAVE}", room=crew)
    await world.say("!object 2 not yet", sender=BOB, room=crew)
    assert "withdrawn" in await world.say("!withdraw 2", sender=BOB, room=crew)
    world.clock.advance(timedelta(days=3))
    await world.feature(Decisions).tick()
    assert state(world, crew, 2)["status"] == "passed"


async def test_the_window_closes_with_the_injected_clock_and_reminds_a_day_before(
    world: World,
) -> None:
    crew = await crew_of(world, BOB, CAROL)
    await knock(world, crew, DAVE)
    await react(world, crew, ALICE, 1, "👍")
    world.clock.advance(timedelta(hours=23))
    await world.feature(Decisions).tick()
    assert not any("closes in 24 hours" in n for n in world.gateway.notices_in(crew))
    world.clock.advance(timedelta(hours=2))
    await world.feature(Decisions).tick()
    await world.feature(Decisions).tick()
    reminders = [m for m in world.gateway.messages_in(crew) if "closes in 24" in m.content["body"]]
    assert len(reminders) == 1
    # Asked to act: an m.text that mentions exactly those who have not answered.
    assert reminders[0].content["msgtype"] == "m.text"
    assert reminders[0].content["m.mentions"] == {"user_ids": [BOB, CAROL]}
    world.clock.advance(timedelta(hours=22, minutes=58))
    await world.feature(Decisions).tick()
    assert state(world, crew, 1)["status"] == "open"
    world.clock.advance(timedelta(minutes=3))
    await world.feature(Decisions).tick()
    await world.feature(Decisions).tick()
    assert state(world, crew, 1)["status"] == "passed"
    assert (
        len([n for n in world.gateway.notices_in(crew) if n.startswith("Proposal #1 passed")]) == 1
    )


async def test_silence_lapses(world: World) -> None:
    crew = await crew_of(world, BOB)
    await knock(world, crew, DAVE)
    world.clock.advance(timedelta(days=2))
    await world.feature(Decisions).tick()
    assert state(world, crew, 1)["status"] == "lapsed"
    assert any("nobody consented" in n for n in world.gateway.notices_in(crew))


async def test_a_raised_hand_asks_for_a_reason_and_blocks_only_with_one(world: World) -> None:
    crew = await crew_of(world, BOB)
    await knock(world, crew, DAVE)
    hand = await react(world, crew, BOB, 1, "✋️")
    assert any("What harm do you foresee?" in n for n in world.gateway.notices_in(crew))
    await react(world, crew, ALICE, 1, "👍")
    assert (
        state(world, crew, 1)["status"] == "open"
    )  # bob's objection has no reason, but is no consent
    await world.say("!object 1 they hurt someone here before", sender=BOB, room=crew)
    # Taking the ✋ back withdraws the objection.
    await world.deliver(
        IncomingRedaction(crew, eid("$redaction"), UserId(BOB), hand, ms(world) + 1)
    )
    world.clock.advance(timedelta(days=2))
    await world.feature(Decisions).tick()
    assert state(world, crew, 1)["status"] == "passed"


async def test_votes_from_outside_the_group_do_not_count_and_are_explained_once(
    world: World,
) -> None:
    crew = await crew_of(world, BOB)
    await knock(world, crew, DAVE)
    world.gateway.accept(crew, CAROL)  # joined after the proposal opened
    reply = await world.say("!consent 1", sender=CAROL, room=crew)
    assert "your vote does not count" in reply
    await react(world, crew, CAROL, 1, "👍")
    await react(world, crew, CAROL, 1, "👍")
    told = [n for n in world.gateway.notices_in(crew) if "does not count as a vote" in n]
    assert len(told) == 1
    await react(world, crew, ALICE, 1, "👍")
    await react(world, crew, BOB, 1, "👍")
    assert state(world, crew, 1)["consents"] == [ALICE, BOB]


async def test_refusals_change_nothing(world: World) -> None:
    crew = await crew_of(world, BOB)
    assert "no proposal #7" in await world.say("!consent 7", room=crew)
    assert "already a member" in await world.say(f"!crew invite {BOB}", room=crew)
    await world.say(f"!crew invite {DAVE}", room=crew)
    assert "already open" in await world.say(f"!crew invite {DAVE}", sender=BOB, room=crew)
    await world.say("!consent 1", sender=BOB, room=crew)  # all consented: closed
    assert "is closed (passed)" in await world.say("!consent 1", sender=BOB, room=crew)
    assert "not a Matrix user id" in await world.say("!crew invite dave", room=crew)


async def test_the_proposer_may_withdraw_their_proposal(world: World) -> None:
    crew = await crew_of(world, BOB)
    await world.say(f"!crew invite {DAVE}", room=crew)
    assert "You withdrew proposal #1" in await world.say("!withdraw 1", room=crew)
    assert state(world, crew, 1)["status"] == "withdrawn"
    await world.settle()
    assert world.gateway.rooms[crew].membership(DAVE) is None


async def test_crew_join_by_command_goes_to_the_crew(world: World) -> None:
    crew = await crew_of(world, BOB)
    space = next(iter(world.gateway.rooms))
    world.gateway.accept(space, DAVE)
    reply = await world.say("!crew join walkers", sender=DAVE)
    assert "proposal #1" in reply
    assert any(f"{DAVE} joins this crew" in n for n in world.gateway.notices_in(crew))


async def test_a_host_added_by_consent_gets_the_hosts_power(world: World) -> None:
    space = await world.congregation("Riverside", BOB)
    hosts = world.hosts_room(space)
    world.gateway.accept(space, CAROL)
    assert "must" not in await world.say(f"!host add {CAROL}", room=hosts)
    await world.say("!consent 1", sender=BOB, room=hosts)
    await world.settle()
    facts = world.gateway.rooms[space].content("cc.microsolidarity.congregation")
    assert facts is not None and CAROL in facts["hosts"]
    for room in (space, hosts):
        assert world.gateway.rooms[room].content("m.room.power_levels")["users"][CAROL] == 100
    assert world.gateway.rooms[hosts].membership(CAROL) == "invite"
    # And removed again by the others' consent.
    world.gateway.accept(hosts, CAROL)
    await world.say(f"!host remove {CAROL}", room=hosts)
    await world.say("!consent 2", sender=BOB, room=hosts)
    await world.settle()
    assert CAROL not in world.gateway.rooms[space].content("m.room.power_levels")["users"]
    assert world.gateway.rooms[hosts].membership(CAROL) == "leave"  # out of the Hosts room


async def test_a_founding_host_removed_by_consent_is_told_they_keep_their_place(
    world: World,
) -> None:
    space = await world.congregation("Riverside", f"{BOB} {CAROL}")
    hosts = world.hosts_room(space)
    await world.say(f"!host remove {CAROL}", room=hosts)
    await world.say("!consent 1", sender=BOB, room=hosts)
    await world.settle()
    facts = world.gateway.rooms[space].content("cc.microsolidarity.congregation") or {}
    assert CAROL not in facts["hosts"]
    assert world.gateway.rooms[hosts].membership(CAROL) == "join"  # a creator stays
    assert any("keep their place" in n for n in world.gateway.notices_in(hosts))


async def test_a_knock_on_the_congregation_goes_to_the_hosts(world: World) -> None:
    space = await world.congregation("Riverside", BOB)
    hosts = world.hosts_room(space)
    await knock(world, space, ERIN, reason="a friend of Bob's")
    [announcement] = [n for n in world.gateway.notices_in(hosts) if n.startswith("Proposal #1")]
    assert (
        f"{ERIN} joins the congregation" in announcement
        and "Why, in their words: “a friend of Bob's”" in announcement
    )
    await world.say("!consent 1", room=hosts)
    await world.say("!consent 1", sender=BOB, room=hosts)
    await world.settle()
    assert world.gateway.rooms[space].membership(ERIN) == "invite"
    # Erin declines: recorded with the proposal.
    world.gateway.member(space, ERIN, "leave")
    await world.feature(Membership).on_member(
        IncomingMember(space, eid(), UserId(ERIN), ERIN, "leave", "invite", None)
    )
    assert "declined_at" in state(world, hosts, 1)


async def test_a_direct_invite_is_noted_once_and_not_undone(world: World) -> None:
    crew = await crew_of(world, BOB)
    event = IncomingMember(crew, eid(), UserId(BOB), DAVE, "invite", None, None)
    await world.feature(Membership).on_member(event)
    await world.feature(Membership).on_member(event)
    noted = [n for n in world.gateway.notices_in(crew) if "invited @dave" in n]
    assert len(noted) == 1 and "directly" in noted[0]


async def test_a_close_that_came_while_cohost_was_down_happens_once_at_start(world: World) -> None:
    crew = await crew_of(world, BOB)
    await knock(world, crew, DAVE)
    await react(world, crew, BOB, 1, "👍")  # cast before the close, seen before the restart
    world.clock.advance(timedelta(days=5))
    await world.restart()
    await world.feature(Decisions).tick()
    await world.restart()
    await world.feature(Decisions).tick()
    assert state(world, crew, 1)["status"] == "passed"
    assert (
        len([n for n in world.gateway.notices_in(crew) if n.startswith("Proposal #1 passed")]) == 1
    )
    await world.settle()
    assert world.gateway.rooms[crew].membership(DAVE) == "invite"


async def test_a_vote_cast_after_the_close_does_not_count(world: World) -> None:
    crew = await crew_of(world, BOB)
    await knock(world, crew, DAVE)
    world.clock.advance(timedelta(days=3))
    await react(world, crew, ALICE, 1, "👍")  # arrives late (cohost was away at the close)
    await world.feature(Decisions).tick()
    assert state(world, crew, 1)["status"] == "lapsed"


async def test_forget_me_erases_votes_and_says_what_stays(world: World) -> None:
    crew = await crew_of(world, BOB)
    await knock(world, crew, DAVE)
    await react(world, crew, BOB, 1, "👍")
    assert BOB in {a["voter"] for a in state(world, crew, 1)["acts"]}  # type: ignore[attr-defined]
    reply = await world.say("!forget me", sender=BOB)
    assert "votes: 1" in reply and "What stays in Matrix" in reply
    assert BOB not in {a["voter"] for a in state(world, crew, 1)["acts"]}  # type: ignore[attr-defined]
    assert "only forget the person who asks" in await world.say("!forget alice", sender=BOB)
    await react(world, crew, ALICE, 1, "👍")
    assert state(world, crew, 1)["status"] == "open"  # bob's vote is gone
    assert BOT not in state(world, crew, 1)["deciders"]  # type: ignore[operator]


async def test_an_open_proposal_and_its_votes_come_back_from_room_state_after_resync(
    world: World, tmp_path: Path
) -> None:
    crew = await crew_of(world, BOB, CAROL)
    await world.say(f"!crew invite {DAVE}", room=crew)  # proposing is consenting
    thumbs = await react(world, crew, BOB, 1, "👍")
    acts = state(world, crew, 1)["acts"]
    assert isinstance(acts, list) and {a["voter"] for a in acts} == {ALICE, BOB}

    # The database is lost; a fresh one is rebuilt from Matrix alone.
    (tmp_path / "fresh").mkdir()
    world.db_url = f"sqlite:///{tmp_path / 'fresh' / 'cohost.db'}"
    engine = make_engine(world.db_url)
    await migrate(engine)
    await world.restart()
    assert "No proposals are open" in await world.say("!proposals", room=crew)
    summary = await rebuild_index(world.house_over(make_sessionmaker(engine)))
    await engine.dispose()
    assert summary["proposals"] == 1
    assert "2 of 3 consented" in await world.say("!proposals", room=crew)

    # Taking back a reaction made before the loss still withdraws it.
    await world.deliver(
        IncomingRedaction(crew, eid("$redaction"), UserId(BOB), thumbs, ms(world) + 1)
    )
    assert "1 of 3 consented" in await world.say("!proposals", room=crew)
    world.clock.advance(timedelta(minutes=1))
    await react(world, crew, BOB, 1, "👍")
    await world.say("!consent 1", sender=CAROL, room=crew)
    assert state(world, crew, 1)["status"] == "passed"
    await world.settle()
    assert world.gateway.rooms[crew].membership(DAVE) == "invite"
    # Resync again changes nothing: the proposal is closed, and known.
    summary = await rebuild_index(world.cohost.house)
    assert summary["proposals"] == 0


async def test_resync_takes_up_no_proposal_written_by_someone_else(world: World) -> None:
    crew = await crew_of(world, BOB)
    await world.say(f"!crew invite {DAVE}", room=crew)
    room = world.gateway.rooms[crew]
    forged = dict(room.state[(PROPOSAL_STATE, "1")])
    forged["sender"] = "@mallory:evil.example"
    forged["state_key"] = "2"
    room.state[(PROPOSAL_STATE, "2")] = forged
    summary = await rebuild_index(world.cohost.house)
    assert summary["proposals"] == 0  # #1 is still known; #2 is nobody's to open
    assert "#2" not in await world.say("!proposals", room=crew)


async def test_a_knock_on_a_crew_from_outside_the_congregation_is_refused(world: World) -> None:
    crew = await crew_of(world, BOB)
    await knock(world, crew, DAVE, member=False)
    assert not any(n.startswith("Proposal #") for n in world.gateway.notices_in(crew))
    await knock(world, crew, ERIN)
    assert any(n.startswith("Proposal #1") for n in world.gateway.notices_in(crew))


async def test_a_crash_while_posting_an_outcome_still_carries_it_out(world: World) -> None:
    """The outcome and its carrying out are recorded with the closing, in one unit of
    work: cohost dies as it posts the outcome, and after a restart both happen once."""
    crew = await crew_of(world, BOB)
    await world.say(f"!crew invite {DAVE}", sender=BOB, room=crew)
    world.gateway.crash_on_send = "passed"
    try:
        await world.say("!consent 1", sender=ALICE, room=crew)
    except Crash:
        pass
    else:
        raise AssertionError("the outcome was not posted")
    assert state(world, crew, 1)["status"] == "open"  # recorded in state after posting
    await world.restart()
    await world.settle()
    assert [n for n in world.gateway.notices_in(crew) if "#1 passed" in n] != []
    assert world.gateway.rooms[crew].membership(DAVE) == "invite"
    assert state(world, crew, 1)["status"] == "passed"
    await world.restart()
    await world.settle()
    assert len([n for n in world.gateway.notices_in(crew) if "#1 passed" in n]) == 1


def test_a_carrying_out_written_by_an_earlier_version_still_loads() -> None:
    """Operations persisted before carrying out was typed have the same keys, with
    times as text: they load as they are (a restart after an upgrade resumes them)."""
    old = {
        "proposal": 7,
        "number": 3,
        "room": "!hosts:example.org",
        "scope": "!space:example.org",
        "subject": "@carol:example.org",
        "proposer": None,
        "not_before": "2026-11-27T12:00:30+00:00",
    }
    decided = Decided.model_validate(old)
    assert decided.not_before == datetime(2026, 11, 27, 12, 0, 30, tzinfo=UTC)
    assert (decided.proposal, decided.subject) == (7, "@carol:example.org")
    assert Decided.model_validate({**old, "not_before": None}).not_before is None


async def test_a_decider_extends_a_proposal_once_within_the_longest_window(
    world: World,
) -> None:
    crew = await crew_of(world, BOB, CAROL)
    assert "is open" in await world.say("!propose We meet outside", ALICE, crew)
    world.gateway.accept(crew, DAVE)  # in the room now, not of the group fixed at opening
    record = world.gateway.rooms[crew].content(PROPOSAL_STATE, "1") or {}
    closes = record["closes_at"]
    assert "decided by" in await world.say("!extend 1 P1D", DAVE, crew)
    assert "30 days at most" in await world.say("!extend 1 P40D", BOB, crew)
    assert "positive duration" in await world.say("!extend 1 P0D", BOB, crew)
    assert (world.gateway.rooms[crew].content(PROPOSAL_STATE, "1") or {})["closes_at"] == closes
    reply = await world.say("!extend 1 P2D", BOB, crew)
    assert "now closes Tuesday 1 December, 12:00 UTC (in 4 days)" in reply
    assert "extended once already" in await world.say("!extend 1 P1D", CAROL, crew)
    recorded = world.gateway.rooms[crew].content(PROPOSAL_STATE, "1") or {}
    assert recorded["closes_at"] != closes and recorded["details"]["extended_by"] == BOB

    # It did not close at its first close; its reminder comes a day before the new one.
    world.clock.advance(timedelta(days=2, hours=1))
    await world.feature(Decisions).tick()
    assert "#1" in await world.say("!proposals", ALICE, crew)
    world.clock.advance(timedelta(days=1))
    await world.feature(Decisions).tick()
    assert any("closes in 24 hours" in n for n in world.gateway.notices_in(crew))
    world.clock.advance(timedelta(days=1))
    await world.feature(Decisions).tick()
    await world.settle()
    assert (world.gateway.rooms[crew].content(PROPOSAL_STATE, "1") or {})["status"] == "passed"


async def test_a_long_window_reminds_halfway_and_a_day_before_each_once(world: World) -> None:
    space = await world.congregation("Riverside", BOB)
    hosts = world.hosts_room(space)
    assert "is open" in await world.say("!propose We meet monthly", ALICE, hosts)  # 7 days

    def reminders() -> list[str]:
        return [n for n in world.gateway.notices_in(hosts) if "Not yet answered" in n]

    world.clock.advance(timedelta(days=3, hours=11))
    await world.feature(Decisions).tick()
    assert reminders() == []
    world.clock.advance(timedelta(hours=2))
    await world.feature(Decisions).tick()
    await world.feature(Decisions).tick()
    [halfway] = reminders()
    assert "is halfway through its time" in halfway and BOB in halfway and ALICE not in halfway
    world.clock.advance(timedelta(days=2, hours=12))  # a day before its close
    await world.feature(Decisions).tick()
    assert len(reminders()) == 2 and "closes in 24 hours" in reminders()[1]
