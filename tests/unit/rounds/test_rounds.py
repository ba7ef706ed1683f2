"""Get-to-know-you rounds in a congregation: a round of five members (a two and a
three), each group's room made once with its prompt, nobody twice, crewmates apart,
new people in the next round, `!rounds again` answered, `!forget me`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from handlers.community.state import ROOM
from handlers.rounds.grouping import pairs_of
from tests.unit.world import ALICE, BOB, CAROL, World

DAVE, ERIN = "@dave:example.org", "@erin:example.org"
FIVE = (ALICE, BOB, CAROL, DAVE, ERIN)


def round_rooms(world: World) -> dict[str, set[str]]:
    """The rooms rounds opened, with who was invited to each."""
    found = {}
    for room in world.gateway.rooms.values():
        if (room.content(ROOM) or {}).get("kind") == "round":
            found[room.room_id] = {u for u in FIVE if room.membership(u) in ("invite", "join")}
    return found


async def test_a_round_of_five_meets_in_a_two_and_a_three_and_new_people_next(
    world: World,
) -> None:
    space = await world.congregation("Riverside", members=(BOB, CAROL, DAVE, ERIN))
    lobby, hosts = world.lobby(space), world.hosts_room(space)
    assert "two members" in await world.say("!rounds now", ALICE, hosts)  # nobody yet
    for person in FIVE:
        assert "get-to-know-you rounds" in await world.say("!rounds join", person, lobby)
    assert "Hosts room" in await world.say("!rounds now", BOB, lobby)
    assert await world.say("!rounds now", ALICE, hosts) == (
        "Round 1: 2 groups, each in a room of its own."
    )
    await world.settle()
    await world.settle()  # a retried operation makes nothing twice
    first = round_rooms(world)
    assert sorted(len(g) for g in first.values()) == [2, 3]
    assert set().union(*first.values()) == set(FIVE)  # everyone, once
    for room, group in first.items():
        [prompt] = [m for m in world.gateway.messages_in(room) if "round 1" in m.content["body"]]
        assert prompt.content["msgtype"] == "m.text"  # it asks them: a mention notifies
        assert set(prompt.content["m.mentions"]["user_ids"]) == group

    await world.say("!rounds now", ALICE, hosts)
    await world.settle()
    second = {r: g for r, g in round_rooms(world).items() if r not in first}
    met_before = set().union(*(pairs_of(g) for g in first.values()))
    met_now = set().union(*(pairs_of(g) for g in second.values()))
    # New people where possible: after a two and a three, five people cannot form a
    # three of new pairs, so exactly one pair meets again (the fewest there can be).
    assert len(met_before & met_now) == 1

    # Everyone of a group would meet again: a crew is suggested, once.
    room, group = next((r, g) for r, g in first.items() if len(g) == 2)
    one, other = sorted(group)
    assert "When everyone here says so" in await world.say("!rounds again", one, room)
    assert "call a crew together" in await world.say("!rounds again", other, room)
    assert "Noted" in await world.say("!rounds again", one, room)  # said once already
    stranger = next(p for p in FIVE if p not in group)
    assert "a round you took part in" in await world.say("!rounds again", stranger, room)

    assert "round groups: 2" in await world.say("!forget me", BOB)
    assert BOB not in await world.cohost.stores.rounds.members(space)


async def test_crewmates_are_kept_apart_while_others_are_left(world: World) -> None:
    space = await world.congregation("Riverside", members=(BOB, CAROL, DAVE))
    await world.say(f"!crew new Walkers {BOB}", ALICE, world.lobby(space))
    await world.settle()
    crew = next(
        r.room_id
        for r in world.gateway.rooms.values()
        if (r.content(ROOM) or {}).get("kind") == "crew"
    )
    world.gateway.accept(crew, ALICE)
    world.gateway.accept(crew, BOB)
    for person in (ALICE, BOB, CAROL, DAVE):
        await world.say("!rounds join", person, world.lobby(space))
    await world.say("!rounds now", ALICE, world.hosts_room(space))
    await world.settle()
    groups = list(round_rooms(world).values())
    assert {ALICE, BOB} not in groups and len(groups) == 2


async def test_rounds_come_by_themselves_on_the_hosts_rhythm_once_per_date(
    world: World,
) -> None:
    space = await world.congregation("Riverside", members=(BOB, CAROL, DAVE))
    hosts = world.hosts_room(space)
    for person in (ALICE, BOB, CAROL, DAVE):
        await world.say("!rounds join", person, world.lobby(space))
    await world.say("!congregation zone Europe/Berlin", ALICE, hosts)
    reply = await world.say("!rounds every other Tuesday", ALICE, hosts)
    assert "the next on Tuesday 1 December, 10:00 CET" in reply  # the clock: Friday 27 Nov
    assert "every week or every other" in await world.say(
        "!rounds every first Tuesday", ALICE, hosts
    )

    async def run_until(end: datetime) -> None:
        while world.clock.now() < end:
            world.clock.advance(timedelta(hours=1))
            await world.tick()
            await world.settle()

    await run_until(datetime(2026, 12, 1, 9, 30, tzinfo=UTC))  # 10:30 in Berlin
    assert len(round_rooms(world)) == 2  # four people: two twos, once
    await run_until(datetime(2026, 12, 14, 0, 0, tzinfo=UTC))
    assert len(round_rooms(world)) == 2  # not the week after: every other week
    await run_until(datetime(2026, 12, 15, 9, 30, tzinfo=UTC))
    assert len(round_rooms(world)) == 4
    assert "No more rounds" in await world.say("!rounds stop", ALICE, hosts)
    await run_until(datetime(2026, 12, 29, 12, 0, tzinfo=UTC))
    assert len(round_rooms(world)) == 4


async def test_resync_takes_rounds_up_again_and_forget_me_leaves_no_trace_in_matrix(
    world: World, tmp_path: Path
) -> None:
    """The database lost: who takes part, the hosts' rhythm (its next date), the groups
    met and who would meet again all come back from Matrix; the next round still
    avoids pairs that met, comes once, and `!rounds again` goes on where it was.
    `!forget me` rewrites the records without the person, so a resync after it does
    not bring them back."""
    space = await world.congregation("Riverside", members=(BOB, CAROL, DAVE))
    hosts, lobby = world.hosts_room(space), world.lobby(space)
    for person in (ALICE, BOB, CAROL, DAVE):
        await world.say("!rounds join", person, lobby)
    await world.say("!rounds now", ALICE, hosts)
    await world.settle()
    first = round_rooms(world)
    room, group = next(iter(first.items()))
    one, other = sorted(group)
    await world.say("!rounds again", one, room)
    reply = await world.say("!rounds every Tuesday", ALICE, hosts)
    assert "the next on Tuesday 1 December" in reply

    summary = await world.resync_into_a_fresh_database(tmp_path)
    assert summary["round groups"] == 2
    rounds = world.cohost.stores.rounds
    assert await rounds.members(space) == sorted((ALICE, BOB, CAROL, DAVE))
    rhythm = await rounds.rhythm(space)
    assert rhythm is not None and rhythm.next_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert "call a crew together" in await world.say("!rounds again", other, room)

    while world.clock.now() < datetime(2026, 12, 1, 12, 0, tzinfo=UTC):
        world.clock.advance(timedelta(hours=1))
        await world.tick()
        await world.settle()
    second = {r: g for r, g in round_rooms(world).items() if r not in first}
    assert len(second) == 2  # once, on the date the records kept
    met_before = set().union(*(pairs_of(g) for g in first.values()))
    assert not met_before & set().union(*(pairs_of(g) for g in second.values()))

    await world.say("!forget me", BOB)
    taking_part = world.gateway.rooms[space].content("cc.microsolidarity.rounds") or {}
    assert BOB not in taking_part["taking_part"]
    for kept in round_rooms(world):
        assert BOB not in str(world.gateway.rooms[kept].content("cc.microsolidarity.round"))
    (tmp_path / "again").mkdir()
    await world.resync_into_a_fresh_database(tmp_path / "again")
    restored = world.cohost.stores.rounds
    assert await restored.members(space) == sorted((ALICE, CAROL, DAVE))
    assert all(BOB not in g.members for g in await restored.groups(space))


async def test_rounds_records_count_only_as_cohost_wrote_them(world: World, tmp_path: Path) -> None:
    """A host may write any state in the space; a record of rounds that cohost did not
    write brings nobody in on `cohost resync` (nor a rhythm): cohost's own earlier
    version stands."""
    space = await world.congregation("Riverside", members=(BOB,))
    await world.say("!rounds join", BOB, world.lobby(space))
    mallory = "@mallory:example.org"
    forged = {"taking_part": [mallory], "weekday": 0, "pattern": "weekly",
              "next_at": "2026-11-30T10:00:00Z"}  # fmt: skip
    world.gateway.set_state(space, "cc.microsolidarity.rounds", "", forged, ALICE)
    summary = await world.resync_into_a_fresh_database(tmp_path)
    assert summary["round groups"] == 0
    rounds = world.cohost.stores.rounds
    assert await rounds.members(space) == [BOB] and await rounds.rhythm(space) is None
