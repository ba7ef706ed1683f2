"""!release, the network, and rebuilding the index from Matrix alone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from handlers.community.facts import MAX_VERSIONS, MEMBER
from handlers.community.state import COMMONS, CREW_ROOM, LOBBY, NETWORK_ANNOUNCEMENTS, NETWORK_SPACE
from handlers.decisions.engine import SPEC, Decisions
from handlers.decisions.schema import PROPOSAL as PROPOSAL_STATE
from handlers.framework.types import EventId, IncomingInvite, IncomingMessage, RoomId, UserId
from handlers.network.membership import NetworkMembership
from handlers.network.schema import NETWORK_JOIN
from handlers.resync import rebuild_index
from storage.database import make_engine, make_sessionmaker, migrate
from tests.fakes import BOT, message
from tests.unit.world import ALICE, BOB, CAROL, World


async def test_release_from_a_crew_records_it_leaves_and_never_acts_again(world: World) -> None:
    space = await world.congregation("Riverside", members=(BOB,))
    await world.say(f"!crew new Walkers {BOB}")
    await world.settle()
    [crew] = world.rooms_of_kind(CREW_ROOM)
    assert "Only members of this crew" in await world.say("!release", sender=BOB, room=crew)
    world.gateway.accept(crew, BOB)
    assert "Releasing the crew **Walkers**" in await world.say("!release", sender=BOB, room=crew)
    await world.settle()

    room = world.gateway.rooms[crew]
    assert room.content("cc.microsolidarity.release", BOT)["released_by"] == BOB
    assert room.membership(BOT) == "leave"
    assert world.gateway.rooms[space].content("cc.microsolidarity.crew", crew)["released"] is True
    # The founders keep the top level; cohost answers nothing there any more.
    assert BOB in room.creators
    sent_before = len(world.gateway.sent)
    await world.cohost.commands.on_message(message("!ping", sender=BOB, room=crew))
    assert len(world.gateway.sent) == sent_before
    assert "released" in await world.say("!crew list")


async def test_release_of_a_whole_congregation_by_a_host(world: World) -> None:
    space = await world.congregation("Riverside", BOB)
    await world.say("!crew new Walkers")
    await world.settle()
    hosts = world.hosts_room(space)
    [lobby] = world.rooms_of_kind(LOBBY)
    assert "in a crew's room" in await world.say("!release", room=lobby)
    world.gateway.accept(space, CAROL)
    assert "Only the hosts" in await world.say("!release", sender=CAROL, room=hosts)
    assert "every room of **Riverside**" in await world.say("!release", room=hosts)
    await world.settle()
    assert await world.gateway.joined_rooms() == []
    assert world.gateway.rooms[space].content("cc.microsolidarity.congregation")["released"] is True


async def test_network_create_needs_a_host_in_the_hosts_room(world: World) -> None:
    space = await world.congregation("Riverside", BOB)
    hosts = world.hosts_room(space)
    [lobby] = world.rooms_of_kind(LOBBY)
    assert "Hosts room" in await world.say("!network create Rivers", room=lobby)
    world.gateway.accept(hosts, CAROL)
    assert "Only the hosts" in await world.say("!network create Rivers", sender=CAROL, room=hosts)
    assert "on its way" in await world.say("!network create Rivers of Care", sender=BOB, room=hosts)
    await world.settle()

    [network] = world.rooms_of_kind(NETWORK_SPACE)
    [announcements] = world.rooms_of_kind(NETWORK_ANNOUNCEMENTS)
    [commons] = world.rooms_of_kind(COMMONS)
    g = world.gateway
    assert g.rooms[network].content("m.room.history_visibility") == {
        "history_visibility": "world_readable"
    }
    assert g.rooms[announcements].content("m.room.join_rules") == {"join_rule": "public"}
    assert g.rooms[commons].content("m.room.join_rules") == {"join_rule": "invite"}
    assert g.rooms[network].content("m.space.child", space) is not None
    assert g.rooms[space].content("m.space.parent", network)["canonical"] is True
    assert g.rooms[network].creators == {BOT, ALICE, BOB}
    for room in (network, announcements, commons):
        assert g.rooms[room].content("m.room.power_levels")["events"]["m.room.tombstone"] == 100
    assert g.rooms[space].content("cc.microsolidarity.congregation")["network"] == network
    info = await world.say("!network info")
    assert "**Rivers of Care**" in info and "Congregations: **Riverside**" in info
    assert "already belongs to a network" in await world.say("!network create Again", room=hosts)


async def test_resync_rebuilds_the_same_answers_from_matrix_alone(
    world: World, tmp_path: Path
) -> None:
    space = await world.congregation("Riverside", BOB, members=(CAROL,))
    await world.say(f"!crew new Walkers {CAROL} intention: walk and talk")
    await world.say("!crew new Bakers")
    await world.say("!network create Rivers", room=world.hosts_room(space))
    await world.settle()
    [walkers, _] = sorted(world.rooms_of_kind(CREW_ROOM))
    world.gateway.accept(walkers, CAROL)
    await world.say("!release", sender=CAROL, room=walkers)
    await world.settle()
    questions = [
        "!crew list",
        "!crew info Walkers",
        "!crew info Bakers",
        "!congregation info",
        "!network info",
    ]
    before = [await world.say(q) for q in questions]

    # The database is gone: a fresh one, rebuilt from the homeserver's state.
    (tmp_path / "fresh").mkdir()
    world.db_url = f"sqlite:///{tmp_path / 'fresh' / 'cohost.db'}"
    engine = make_engine(world.db_url)
    await migrate(engine)
    await world.restart()
    assert "not a member of any congregation" in await world.say("!crew list")
    summary = await rebuild_index(world.house_over(make_sessionmaker(engine)))
    assert (summary["congregations"], summary["crews"], summary["networks"]) == (1, 2, 1)
    assert [await world.say(q) for q in questions] == before


async def test_resync_ignores_facts_written_by_someone_else(world: World, tmp_path: Path) -> None:
    """A congregation whose only version of its facts is someone else's: a cohost that
    lost its database (and with it the version it kept) indexes nothing."""
    space = await world.congregation("Riverside")
    room = world.gateway.rooms[space]
    forged = dict(room.state[("cc.microsolidarity.congregation", "")])
    forged["sender"] = "@mallory:evil.example"
    room.state[("cc.microsolidarity.congregation", "")] = forged
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    await migrate(engine)
    summary = await rebuild_index(world.house_over(make_sessionmaker(engine)))
    await engine.dispose()
    assert summary["congregations"] == 0


async def test_resync_reads_a_facts_history_to_its_end(world: World, tmp_path: Path) -> None:
    """A cohost that lost its database has no kept versions: `cohost resync` finds the
    writer's version behind any number of overwrites."""
    space = await world.congregation("Riverside")
    g = world.gateway
    facts = dict(g.rooms[space].content("cc.microsolidarity.congregation") or {})
    for _ in range(MAX_VERSIONS + 10):
        g.set_state(space, "cc.microsolidarity.congregation", "", {**facts, "name": "X"}, CAROL)
    engine = make_engine(f"sqlite:///{tmp_path / 'lost.db'}")
    await migrate(engine)
    summary = await rebuild_index(world.house_over(make_sessionmaker(engine)))
    await engine.dispose()
    assert summary["congregations"] == 1


async def test_a_fact_overwritten_past_the_historys_reach_keeps_its_kept_version(
    world: World,
) -> None:
    """A host overwrites the congregation's facts more times than cohost looks back:
    the version cohost kept when it last read it still counts, and cohost writes it back
    (once within WRITE_BACK_EVERY however many overwrites follow)."""
    space = await world.congregation("Riverside", BOB)
    hosts = world.hosts_room(space)
    g = world.gateway
    facts = dict(g.rooms[space].content("cc.microsolidarity.congregation") or {})
    for _ in range(MAX_VERSIONS + 5):
        g.set_state(
            space, "cc.microsolidarity.congregation", "", {**facts, "hosts": [CAROL]}, CAROL
        )
    assert "Only the hosts" in await world.say("!release", CAROL, hosts)
    restored = g.rooms[space].state[("cc.microsolidarity.congregation", "")]
    assert restored["sender"] == BOT and CAROL not in restored["content"]["hosts"]
    for _ in range(3):  # overwritten again at once: not written back again so soon
        g.set_state(
            space, "cc.microsolidarity.congregation", "", {**facts, "hosts": [CAROL]}, CAROL
        )
        assert "Only the hosts" in await world.say("!release", CAROL, hosts)
    assert g.rooms[space].state[("cc.microsolidarity.congregation", "")]["sender"] == CAROL


async def test_a_congregation_leaves_its_network(world: World) -> None:
    space = await world.congregation("Riverside", BOB)
    hosts = world.hosts_room(space)
    await world.say("!network create Rivers", room=hosts)
    await world.settle()
    [network] = world.rooms_of_kind(NETWORK_SPACE)
    g = world.gateway
    entry = g.rooms[network].content("cc.microsolidarity.member", space)
    assert entry == {"name": "Riverside", "bot": BOT, "hosts": [ALICE, BOB]}
    assert "Only the hosts" in await world.say("!network leave", sender=CAROL, room=hosts)
    assert "is leaving the network" in await world.say("!network leave", room=hosts)
    await world.settle()
    assert g.rooms[network].content("cc.microsolidarity.member", space) == {}
    assert g.rooms[network].content("m.space.child", space) == {}
    assert g.rooms[space].content("m.space.parent", network) == {}
    assert g.rooms[network].membership(BOT) == "leave"
    assert any("has left the network" in text for text in g.notices_in(hosts))
    assert "not part of a network" in await world.say("!network info")
    assert "not part of a network" in await world.say("!network leave", room=hosts)


async def test_leaving_a_network_never_leaves_a_room_its_facts_wrongly_list(
    world: World,
) -> None:
    """The network's facts name the congregation's own Lobby among its rooms (a peer
    cohost wrote them so): `!network leave` leaves the network's rooms, not the Lobby."""
    space = await world.congregation("Riverside", BOB)
    hosts = world.hosts_room(space)
    await world.say("!network create Rivers", room=hosts)
    await world.settle()
    [network] = world.rooms_of_kind(NETWORK_SPACE)
    [lobby] = world.rooms_of_kind("lobby")
    g = world.gateway
    facts = dict(g.rooms[network].content("cc.microsolidarity.network") or {})
    facts["rooms"] = {**facts["rooms"], "extra": lobby}
    g.set_state(network, "cc.microsolidarity.network", "", facts, BOT)
    await world.say("!network leave", room=hosts)
    await world.settle()
    assert g.rooms[network].membership(BOT) == "leave"
    assert g.rooms[lobby].membership(BOT) == "join"
    assert lobby not in g.left


OTHER = "@cohost:hilltop.example"
DELTA_BOT = "@cohost:delta.example"


async def a_proposal_opened_by_another_cohost(
    world: World,
    acts: list[dict[str, object]] | None = None,
    shown_by: dict[str, str] | None = None,
) -> tuple[RoomId, RoomId]:
    """Riverside's network with Hilltop's cohost in its register; Hilltop's cohost has
    opened proposal #1 in the Commons (Delta applies), decided by Riverside alone, and
    recorded these acts in its room state; `shown_by` names who sent `!consent 1` in
    the room as each act's event (the events a record's acts are checked against)."""
    space = await world.congregation("Riverside")
    await world.say("!network create Rivers", room=world.hosts_room(space))
    await world.settle()
    [network] = world.rooms_of_kind(NETWORK_SPACE)
    [commons] = world.rooms_of_kind(COMMONS)
    g = world.gateway
    # Hilltop was admitted by a decision the founding cohost recorded in the Commons.
    admitted = {"kind": NETWORK_JOIN, "subject": OTHER, "scope": network, "status": "passed"}
    g.set_state(commons, PROPOSAL_STATE, "9", {**admitted, "space": "!hilltop"}, BOT)
    g.set_state(network, MEMBER, "!hilltop", {"name": "Hilltop", "bot": OTHER}, OTHER)
    g.accept(commons, ALICE)
    now = world.clock.now()
    spec = {
        "number": 1,
        "kind": NETWORK_JOIN,
        "subject": DELTA_BOT,
        "scope": network,
        "proposer": None,
        "reason": "Delta asks to join this network · !delta",
        "deciders": [space],
        "voices": {ALICE: space},
        "opened_at": now.isoformat(),
        "closes_at": (now + timedelta(days=7)).isoformat(),
        "opening_key": "$delta-knock",
    }
    opened = IncomingMessage(
        commons,
        EventId("$proposal-by-hilltop"),
        UserId(OTHER),
        "Proposal #1: the congregation Delta joins the network",
        False,
        0,
        {"msgtype": "m.notice", "body": "Proposal #1", SPEC: spec},
    )
    for event_id, sender in (shown_by or {}).items():
        g.post(commons, sender, "m.room.message", {"body": "!consent 1"}, event_id)
    if acts is not None:
        g.set_state(commons, PROPOSAL_STATE, "1", record(spec, "open", acts=acts), OTHER)
    await world.deliver(opened)
    return network, commons


def record(spec: dict[str, Any] | None, status: str, **more: object) -> dict[str, Any]:
    """A proposal as its opener records it in room state."""
    assert spec is not None
    return {**spec, "status": status, **more}


async def outcomes(world: World, commons: RoomId) -> list[str]:
    return [n for n in world.gateway.notices_in(commons) if n.startswith("Proposal #1 passed")]


async def test_when_the_cohost_that_opened_a_proposal_is_gone_another_posts_the_outcome(
    world: World,
) -> None:
    network, commons = await a_proposal_opened_by_another_cohost(world)
    assert "which it calls “Delta”" in await world.say("!proposals", room=commons)
    await world.say("!consent 1", room=commons)  # Riverside's one voice: it passes
    await world.settle()
    assert await outcomes(world, commons) == []  # the opener's turn first

    world.clock.advance(timedelta(seconds=31))
    await world.cohost.runner.resume_pending()
    await world.settle()
    assert len(await outcomes(world, commons)) == 1
    recorded = world.gateway.rooms[commons].content(PROPOSAL_STATE, "1")
    assert recorded is not None and recorded["status"] == "passed"
    assert world.gateway.rooms[network].membership(DELTA_BOT) == "invite"


async def test_an_outcome_the_opener_recorded_is_not_posted_again(world: World) -> None:
    network, commons = await a_proposal_opened_by_another_cohost(world)
    await world.say("!consent 1", room=commons)
    opened = {"kind": NETWORK_JOIN, "subject": DELTA_BOT, "scope": network}
    recorded = record(opened, "passed")
    world.gateway.set_state(commons, PROPOSAL_STATE, "1", recorded, OTHER)
    world.clock.advance(timedelta(seconds=31))
    await world.cohost.runner.resume_pending()
    await world.settle()
    assert await outcomes(world, commons) == []


async def test_acts_recorded_before_a_cohost_took_a_proposal_on_count(world: World) -> None:
    consent = {"event": "$early", "voter": ALICE, "act": "consent", "ts": 1, "reason": None}
    _, commons = await a_proposal_opened_by_another_cohost(
        world, acts=[consent], shown_by={"$early": ALICE}
    )
    assert "No proposals are open" in await world.say("!proposals", room=commons)
    assert await world.feature(Decisions).store.by_number(commons, 1) is not None  # taken on


async def test_a_record_with_an_act_nobody_sent_is_not_taken_on(world: World) -> None:
    """A peer's record says Alice consented; no event of hers shows it."""
    forged = {"event": "$forged", "voter": ALICE, "act": "consent", "ts": 1, "reason": None}
    _, commons = await a_proposal_opened_by_another_cohost(world, acts=[forged])
    assert await world.feature(Decisions).store.by_number(commons, 1) is None
    [told] = [n for n in world.gateway.notices_in(commons) if "do not show" in n]
    assert OTHER in told


async def test_an_act_shown_by_someone_elses_event_is_not_theirs(world: World) -> None:
    forged = {"event": "$bobs", "voter": ALICE, "act": "consent", "ts": 1, "reason": None}
    _, commons = await a_proposal_opened_by_another_cohost(
        world, acts=[forged], shown_by={"$bobs": BOB}
    )
    assert await world.feature(Decisions).store.by_number(commons, 1) is None


async def test_resync_keeps_a_pending_network_application(world: World, tmp_path: Path) -> None:
    space = await world.congregation("Riverside")
    hosts = world.hosts_room(space)
    reply = await world.say("!network join !rivers:far.example far.example", room=hosts)
    assert "I knocked on the network" in reply
    invite = IncomingInvite(
        RoomId("!rivers:far.example"),
        UserId("@cohost:far.example"),
        "Welcome to the network. cohost:network:!rivers:far.example",
    )
    assert await world.feature(NetworkMembership).expects(invite)

    (tmp_path / "fresh").mkdir()
    world.db_url = f"sqlite:///{tmp_path / 'fresh' / 'cohost.db'}"
    engine = make_engine(world.db_url)
    await migrate(engine)
    await world.restart()
    assert not await world.feature(NetworkMembership).expects(invite)  # the index is gone
    summary = await rebuild_index(world.house_over(make_sessionmaker(engine)))
    assert summary["applications"] == 1
    assert await world.feature(NetworkMembership).expects(invite)  # the invitation is still awaited
    await engine.dispose()
