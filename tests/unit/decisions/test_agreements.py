"""Decisions about anything: `!propose` where a group decides, and `!decisions`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from handlers.community.state import COMMONS, CREW_ROOM, LOBBY
from handlers.decisions.engine import Decisions
from handlers.decisions.schema import PROPOSAL
from handlers.framework.types import RoomId
from handlers.resync import rebuild_index
from storage.database import make_engine, make_sessionmaker, migrate
from tests.unit.decisions.test_decisions import DAVE, crew_of, react, state
from tests.unit.world import ALICE, BOB, CAROL, World, make_world


async def test_a_crew_agrees_and_the_outcome_carries_the_text(world: World) -> None:
    crew = await crew_of(world, BOB, CAROL)
    reply = await world.say("!propose We meet on Tuesdays\nfrom now on", BOB, crew)
    assert "Proposal #1 is open" in reply
    opened = world.gateway.notices_in(crew)[-2]  # then the reply
    assert opened.startswith("Proposal #1: “We meet on Tuesdays from now on”")  # one line
    assert state(world, crew, 1)["details"] == {"text": "We meet on Tuesdays from now on"}
    assert "1 of 3 consented" in await world.say("!proposals", ALICE, crew)  # proposing
    await world.say("!consent 1", ALICE, crew)
    await react(world, crew, CAROL, 1, "👍")
    outcome = world.gateway.notices_in(crew)[-1]
    assert outcome.startswith("Proposal #1 passed: “We meet on Tuesdays from now on”")
    assert state(world, crew, 1)["status"] == "passed"
    listed = await world.say("!decisions", CAROL, crew)
    assert "#1" in listed and "We meet on Tuesdays from now on" in listed


async def test_an_objection_with_a_reason_blocks_and_nothing_is_listed(world: World) -> None:
    crew = await crew_of(world, BOB)
    await world.say("!propose We double the meetings", BOB, crew)
    await world.say("!object 1 Two a week is more than I can give", ALICE, crew)
    world.clock.advance(timedelta(days=2, minutes=1))
    await world.feature(Decisions).tick()
    assert "lapsed" in world.gateway.notices_in(crew)[-1]
    assert "Nothing has been agreed here yet" in await world.say("!decisions", ALICE, crew)


async def test_decisions_are_listed_newest_first(world: World) -> None:
    crew = await crew_of(world, BOB)
    for text in ("First we rest", "Then we walk"):
        await world.say(f"!propose {text}", BOB, crew)
        world.clock.advance(timedelta(minutes=5))
    await world.say("!consent 1", ALICE, crew)
    world.clock.advance(timedelta(minutes=5))
    await world.say("!consent 2", ALICE, crew)
    listed = await world.say("!decisions", ALICE, crew)
    assert listed.index("Then we walk") < listed.index("First we rest")


async def test_the_window_can_be_chosen_within_the_limits(world: World) -> None:
    crew = await crew_of(world, BOB)
    await world.say("!propose --for P3D We try a silent meeting", BOB, crew)
    closes = state(world, crew, 1)["closes_at"]
    assert str(closes).startswith((world.clock.now() + timedelta(days=3)).strftime("%Y-%m-%d"))
    for too in ("PT5M", "P90D"):
        reply = await world.say(f"!propose --for {too} Something else", BOB, crew)
        assert "stays open between" in reply
    assert "not a duration" in await world.say("!propose --for soon We wait", BOB, crew)
    assert "Missing `text`" in await world.say("!propose --for P2D", BOB, crew)
    assert world.gateway.rooms[crew].content(PROPOSAL, "2") is None  # nothing else opened


@pytest.mark.parametrize(
    ("who", "where", "expected"),
    [
        (DAVE, "crew", "Only those who decide here"),  # not in the crew
        (ALICE, "dm", "where a group decides"),
        (BOB, "hosts", "Only those who decide here"),  # not a host
        (BOB, "lobby", "Only those who decide here"),  # the Lobby decides by its hosts
    ],
)
async def test_only_the_group_that_decides_proposes(
    world: World, who: str, where: str, expected: str
) -> None:
    crew = await crew_of(world, BOB)
    rooms = {
        "crew": crew,
        "dm": RoomId("!dm:example.org"),
        "hosts": world.hosts_room(await _space(world)),
        "lobby": world.rooms_of_kind(LOBBY)[0],
    }
    assert expected in await world.say("!propose We buy a kettle", who, rooms[where])
    assert not [s for s in world.gateway.sent if PROPOSAL in s.content and s.room_id != crew]


async def test_the_lobby_decides_by_its_members_when_the_setting_says_so(tmp_path: Path) -> None:
    world = await make_world(tmp_path, membership_decided_by="members")
    try:
        space = await world.congregation("Riverside")
        [lobby] = world.rooms_of_kind(LOBBY)
        world.gateway.accept(space, BOB)
        assert "Proposal #1 is open" in await world.say("!propose A picnic in June", BOB, lobby)
        assert sorted(state(world, lobby, 1)["deciders"]) == [ALICE, BOB]  # type: ignore[arg-type]
    finally:
        await world.engine.dispose()


async def test_the_hosts_decide_in_their_room(world: World) -> None:
    space = await world.congregation("Riverside", BOB)
    hosts = world.hosts_room(space)
    await world.say("!propose We meet the other congregation", ALICE, hosts)
    assert sorted(state(world, hosts, 1)["deciders"]) == [ALICE, BOB]  # type: ignore[arg-type]
    await world.say("!consent 1", BOB, hosts)
    assert world.gateway.notices_in(hosts)[-2].startswith("Proposal #1 passed")  # then the reply


async def test_the_commons_decides_one_voice_per_congregation(world: World) -> None:
    space = await world.congregation("Riverside")
    await world.say("!network create Rivers", room=world.hosts_room(space))
    await world.settle()
    [commons] = world.rooms_of_kind(COMMONS)
    world.gateway.accept(commons, ALICE)
    assert "Proposal #1" in await world.say("!propose The network meets monthly", ALICE, commons)
    record = state(world, commons, 1)
    assert record["deciders"] == [space] and record["voices"] == {ALICE: space}
    # The only member congregation gave its voice by proposing: it passes at once.
    assert record["status"] == "passed"
    assert "The network meets monthly" in await world.say("!decisions", ALICE, commons)


async def test_an_open_proposal_comes_back_with_resync(world: World, tmp_path: Path) -> None:
    crew = await crew_of(world, BOB)
    await world.say("!propose We keep notes", BOB, crew)
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    await migrate(engine)
    summary = await rebuild_index(world.house_over(make_sessionmaker(engine)))
    assert summary["proposals"] == 1
    await engine.dispose()


async def _space(world: World) -> RoomId:
    return next(
        r.room_id
        for r in world.gateway.rooms.values()
        if r.content("cc.microsolidarity.congregation") is not None
    )


async def test_a_quorum_fixed_when_a_proposal_opens_decides_its_close(world: World) -> None:
    """`!congregation quorum 3`: in its crews too, at the close at least three of the
    deciders must have answered; what the quorum was at opening stays in the record."""
    space = await world.congregation("Riverside", members=(BOB, CAROL, DAVE))
    hosts = world.hosts_room(space)
    await world.say(f"!crew new Walkers {BOB} {CAROL} {DAVE}")
    await world.settle()
    [crew] = world.rooms_of_kind(CREW_ROOM)
    for person in (ALICE, BOB, CAROL, DAVE):
        world.gateway.accept(crew, person)
    assert "0 to 150" in await world.say("!congregation quorum 151", ALICE, hosts)
    assert "Only the hosts" in await world.say("!congregation quorum 3", CAROL, world.lobby(space))
    assert "at least 3 of its deciders" in await world.say("!congregation quorum 3", ALICE, hosts)
    lobby = crew  # its four members decide
    assert "Proposal #1 is open" in await world.say(
        "!propose --for P1D We meet in spring", BOB, lobby
    )
    announced = [m for m in world.gateway.notices_in(lobby) if "We meet in spring" in m][0]
    assert "At least 3 of you must have answered by then." in announced
    assert state(world, lobby, 1)["details"]["quorum"] == 3
    assert "now" in await world.say("!congregation quorum 0", ALICE, hosts)  # open ones keep 3
    await world.say("!consent 1", CAROL, lobby)  # bob (by proposing) and carol: two answers
    world.clock.advance(timedelta(days=1, minutes=1))
    await world.feature(Decisions).tick()
    assert state(world, lobby, 1)["status"] == "lapsed"
    lapsed = world.gateway.notices_in(lobby)[-1]
    assert "lapsed (2 of the 3 answers needed came before it closed)" in lapsed

    # A new proposal has no quorum now: one consent carries it at the close.
    await world.say("!propose --for P1D We meet in summer", BOB, lobby)
    assert "quorum" not in (state(world, lobby, 2).get("details") or {})
    world.clock.advance(timedelta(days=1, minutes=1))
    await world.feature(Decisions).tick()
    assert state(world, lobby, 2)["status"] == "passed"
    # With the quorum met, an objection still answers and still blocks.
    await world.say("!congregation quorum 3", ALICE, hosts)
    await world.say("!propose --for P1D We meet in autumn", BOB, lobby)
    await world.say("!consent 3", CAROL, lobby)
    await world.say("!object 3 too late in the year", DAVE, lobby)
    world.clock.advance(timedelta(days=1, minutes=1))
    await world.feature(Decisions).tick()
    assert "lapsed (objections stand from @dave" in world.gateway.notices_in(lobby)[-1]


async def test_a_passed_decision_comes_back_for_review_once_when_due(
    world: World, tmp_path: Path
) -> None:
    crew = await crew_of(world, BOB, CAROL)
    await world.say("!propose We meet on Tuesdays", BOB, crew)
    await world.say("!consent 1", ALICE, crew)
    await world.say("!propose We meet monthly", BOB, crew)  # still open
    refused = await world.say("!review 2 P90D", ALICE, crew)
    assert refused == "Only a decision that passed comes back for review; #2 is open."
    assert "no decision #9" in await world.say("!review 9 P90D", ALICE, crew)
    await react(world, crew, CAROL, 1, "👍")
    assert state(world, crew, 1)["status"] == "passed"
    assert "within 730 days" in await world.say("!review 1 P800D", ALICE, crew)
    assert "not a duration" in await world.say("!review 1 soon", ALICE, crew)
    reply = await world.say("!review 1 P90D", CAROL, crew)
    assert reply == "Decision #1 comes back before the group on 25 February 2027."
    assert state(world, crew, 1)["details"]["review_by"] == CAROL  # in the record
    world.clock.advance(timedelta(days=89))
    await world.tick()
    assert not any(
        n.startswith("Decision #1 comes back for review") for n in world.gateway.notices_in(crew)
    )

    # Resync from Matrix alone keeps the review, and it comes back once, when due.
    counts = await world.resync_into_a_fresh_database(tmp_path)
    assert counts["reviews"] == 1
    world.clock.advance(timedelta(days=1, minutes=1))
    await world.tick()
    await world.tick()
    back = [
        n
        for n in world.gateway.notices_in(crew)
        if n.startswith("Decision #1 comes back for review")
    ]
    assert back == [
        f"Decision #1 comes back for review, as {CAROL} asked: “We meet on Tuesdays”, agreed "
        "27 November 2026. Does it still serve you? Propose a change with `!propose`, or let "
        "it stand."
    ]
    said = next(
        m
        for m in world.gateway.messages_in(crew)
        if m.content["body"].startswith("Decision #1 comes back for review")
    )
    assert said.content["msgtype"] == "m.text"  # it asks the group: a mention notifies
    assert set(said.content["m.mentions"]["user_ids"]) == {ALICE, BOB, CAROL}
    assert "reviewed_at" in state(world, crew, 1)["details"]
