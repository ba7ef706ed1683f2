"""Abuse has limits (SPEC §3.9): what one person can set going, and how people's free
text is kept and shown. Each refusal is clear and changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from handlers.community.state import CREW_ROOM, LOBBY
from handlers.decisions.schema import PROPOSAL
from handlers.framework.replies import MAX_BODY, MAX_MENTIONS, notice
from handlers.framework.text import one_line, quoted
from handlers.framework.types import EventId, IncomingMember, RoomId, UserId
from handlers.membership.engine import Membership
from handlers.resync import rebuild_index
from storage.database import make_engine, make_sessionmaker, migrate
from tests.unit.decisions.test_decisions import crew_of
from tests.unit.world import ALICE, BOB, World, make_world


@given(st.text(), st.integers(min_value=2, max_value=600))
def test_free_text_is_one_bounded_line(text: str, limit: int) -> None:
    line = one_line(text, limit)
    assert len(line) <= limit
    assert "\n" not in line and "\r" not in line and "\u202e" not in line
    assert line == line.strip()


def test_quoted_words_stay_on_their_line() -> None:
    assert quoted("line one\n!release\u202e", 100) == "“line one !release”"


def test_no_message_outgrows_an_event() -> None:
    people = tuple(UserId(f"@p{n}:example.org") for n in range(1000))
    content = notice("Not yet answered: " + ", ".join(people), people)
    assert len(content["m.mentions"]["user_ids"]) == MAX_MENTIONS
    assert len(content["body"]) <= MAX_BODY + 60
    assert "more characters left out" in content["body"]


async def test_open_proposals_per_person_in_a_room(world: World) -> None:
    crew = await crew_of(world, BOB)
    for n in range(3):
        assert "is open" in await world.say(f"!crew invite @n{n}:example.org", BOB, crew)
    sent = len(world.gateway.sent)
    refusal = await world.say("!crew invite @n9:example.org", BOB, crew)
    assert "3 proposals open in this room already" in refusal
    assert len(world.gateway.sent) == sent + 1  # the refusal, and nothing else
    assert "is open" in await world.say("!crew invite @n9:example.org", ALICE, crew)


async def test_crews_per_person_per_day(world: World) -> None:
    await world.congregation("Riverside")
    for name in ("One", "Two", "Three"):
        assert "on its way" in await world.say(f"!crew new {name}")
    assert "call the next one tomorrow" in await world.say("!crew new Four")
    await world.settle()
    assert len(world.rooms_of_kind(CREW_ROOM)) == 3
    world.clock.advance(timedelta(days=1, minutes=1))
    assert "on its way" in await world.say("!crew new Four")


async def test_cohosts_named_at_creation(world: World) -> None:
    many = " ".join(f"@h{n}:example.org" for n in range(9))
    assert "at most 8 co-hosts" in await world.say(f"!congregation create Big {many}")
    assert world.gateway.rooms == {}


async def test_knock_opened_proposals_per_room_per_hour(world: World) -> None:
    space = await world.congregation("Riverside")
    for n in range(12):
        who = f"@k{n}:example.org"
        world.gateway.member(space, who, "knock")
        await world.feature(Membership).on_member(
            IncomingMember(RoomId(space), EventId(f"$k{n}"), UserId(who), who, "knock", None, None)
        )
    opened = [
        n for n in world.gateway.notices_in(world.hosts_room(space)) if n.startswith("Proposal #")
    ]
    assert len(opened) == 10


async def test_a_proposal_decided_by_thousands_fits_in_matrix_events_and_is_rebuilt(
    tmp_path: Path,
) -> None:
    """2,400 members decide: every event cohost sends or writes stays within Matrix's
    64 KiB (the record's deciders and acts in parts), and a cohost that lost its
    database reads the whole group and its votes back from Matrix."""
    world = await make_world(tmp_path, membership_decided_by="members")
    try:
        space = await world.congregation()
        [lobby] = world.rooms_of_kind(LOBBY)
        members = [f"@member{n:04d}:example.org" for n in range(2400)]
        for member in members:
            world.gateway.accept(space, member)
            world.gateway.accept(lobby, member)
        assert "is open" in await world.say("!propose We meet in the park", room=lobby)
        for member in members[:3]:
            assert "recorded" in await world.say("!consent 1", member, lobby)
        written = [e["content"] for r in world.gateway.rooms.values() for e in r.history]
        sizes = [len(json.dumps(c)) for c in [*written, *(s.content for s in world.gateway.sent)]]
        assert max(sizes) < 60_000  # the envelope's room, sender and ids fit in the rest
        record = world.gateway.rooms[lobby].content(PROPOSAL, "1") or {}
        assert record["parts"] >= 2 and record["deciders"] == []
        before = await world.say("!proposals", room=lobby)
        assert "4 of 2401 consented" in before

        (tmp_path / "fresh").mkdir()
        world.db_url = f"sqlite:///{tmp_path / 'fresh' / 'cohost.db'}"
        engine = make_engine(world.db_url)
        await migrate(engine)
        await world.restart()
        summary = await rebuild_index(world.house_over(make_sessionmaker(engine)))
        assert summary["proposals"] == 1
        assert await world.say("!proposals", room=lobby) == before
        assert "recorded" in await world.say("!consent 1", members[3], lobby)
        assert "5 of 2401 consented" in await world.say("!proposals", room=lobby)
    finally:
        await world.engine.dispose()
