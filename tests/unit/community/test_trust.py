"""Facts count only from their writers (SPEC §3.7), tried as an attacker would: a host or
member who writes `cc.microsolidarity.*` state, a human in the network who names
himself a cohost, a member cohost that reaches for another congregation's entry."""

from __future__ import annotations

from datetime import timedelta

from handlers.announcements.engine import Announcements
from handlers.community.facts import MEMBER
from handlers.community.state import CONGREGATION, NETWORK_ANNOUNCEMENTS, NETWORK_SPACE
from handlers.decisions.schema import PROPOSAL as PROPOSAL_STATE
from handlers.framework.types import (
    EventId,
    IncomingInvite,
    IncomingMessage,
    IncomingReaction,
    RoomId,
    UserId,
)
from handlers.network.membership import NetworkMembership
from handlers.network.schema import NETWORK_JOIN
from tests.fakes import BOT
from tests.unit.across.test_release_network_resync import (
    DELTA_BOT,
    OTHER,
    a_proposal_opened_by_another_cohost,
)
from tests.unit.world import ALICE, BOB, CAROL, World

MALLORY = "@mallory:evil.example"


async def test_a_host_who_rewrites_the_hosts_gains_nothing(world: World) -> None:
    space = await world.congregation("Riverside", BOB)
    hosts_room = world.hosts_room(space)
    facts = world.gateway.rooms[space].content(CONGREGATION)
    assert facts is not None
    world.gateway.accept(space, CAROL)
    # Bob (a host, with the power to write state in the space) names himself the only
    # host and adds a friend: the facts cohost wrote still count, and nothing else.
    world.gateway.set_state(space, CONGREGATION, "", {**facts, "hosts": [BOB, CAROL]}, BOB)
    world.gateway.accept(hosts_room, CAROL)
    assert "Only the hosts" in await world.say(f"!host add {MALLORY}", CAROL, hosts_room)
    assert "Proposal #1 is open" in await world.say(f"!host add {CAROL}", ALICE, hosts_room)
    info = await world.say("!congregation info", ALICE, hosts_room)
    assert ALICE in info and BOB in info


async def test_a_host_removed_by_consent_cannot_write_himself_back(world: World) -> None:
    space = await world.congregation("Riverside", f"{BOB} {CAROL}")
    hosts_room = world.hosts_room(space)
    await world.say(f"!host remove {CAROL}", ALICE, hosts_room)
    await world.say("!consent 1", BOB, hosts_room)
    await world.settle()
    facts = world.gateway.rooms[space].content(CONGREGATION)
    assert facts is not None and CAROL not in facts["hosts"]
    world.gateway.set_state(space, CONGREGATION, "", {**facts, "hosts": [CAROL]}, CAROL)
    assert "Only the hosts" in await world.say("!release", CAROL, hosts_room)
    assert world.gateway.rooms[space].membership(BOT) == "join"


async def test_a_human_who_names_himself_a_cohost_is_not_one(world: World) -> None:
    network, commons = await a_proposal_opened_by_another_cohost(world)
    g = world.gateway
    # Alice, a host with power in the network space, writes a register entry naming
    # herself as a congregation's cohost, and announces "from" it.
    g.set_state(network, MEMBER, "!fake", {"name": "Fake", "bot": ALICE, "hosts": [ALICE]}, ALICE)
    info = await world.say("!network info")
    assert "Fake" not in info and "Hilltop" in info
    [announcements] = [
        r
        for r in world.rooms_of_kind(NETWORK_ANNOUNCEMENTS)
        if g.rooms[r].content("cc.microsolidarity.room")["network"] == network  # type: ignore[index]
    ]
    forged = IncomingMessage(
        announcements,
        EventId("$forged-announcement"),
        UserId(ALICE),
        "Everyone must leave",
        False,
        0,
        {
            "msgtype": "m.text",
            "body": "Everyone must leave",
            "cc.microsolidarity.origin": {"congregation": "!fake", "name": "Fake", "text": "x"},
        },
    )
    sent = len(g.sent)
    await world.feature(Announcements).relay(forged)
    assert len(g.sent) == sent  # nothing relayed


async def test_a_member_cohost_cannot_take_over_another_congregations_entry(
    world: World,
) -> None:
    network, _ = await a_proposal_opened_by_another_cohost(world)
    g = world.gateway
    [riverside] = [k for (t, k) in g.rooms[network].state if t == MEMBER and k not in ("!hilltop",)]
    # Hilltop's cohost (admitted for !hilltop) writes an entry for Riverside's space.
    g.set_state(network, MEMBER, riverside, {"name": "Riverside", "bot": OTHER}, OTHER)
    members = await world.cohost.directory.shared.members(network)
    # The forged entry counts for nobody: Riverside's own stands.
    assert set(members) == {"!hilltop", riverside} and members[riverside].bot == BOT
    # And an admission recorded by someone untrusted admits nobody.
    admitted = {"kind": NETWORK_JOIN, "subject": MALLORY, "scope": network, "status": "passed"}
    [commons] = [
        r
        for r, room in g.rooms.items()
        if (room.content("cc.microsolidarity.room") or {}).get("kind") == "commons"
    ]
    g.set_state(commons, PROPOSAL_STATE, "50", {**admitted, "space": "!evil"}, ALICE)
    g.set_state(network, MEMBER, "!evil", {"name": "Evil", "bot": MALLORY}, MALLORY)
    assert "!evil" not in await world.cohost.directory.shared.members(network)
    assert MALLORY not in await world.cohost.directory.shared.network_cohosts(network)


async def test_votes_forged_in_proposal_state_do_not_count(world: World) -> None:
    forged = {"event": "$forged", "voter": "@x:y", "act": "consent", "ts": 1, "reason": None}
    network, commons = await a_proposal_opened_by_another_cohost(world)
    # Another human writes a record of #1 with a consent before cohost takes it on:
    # only the opener's record counts, so the proposal stays open with no votes.
    state = world.gateway.rooms[commons].content(PROPOSAL_STATE, "1")
    assert state is None
    await world.say("!proposals", room=commons)
    base = {"kind": NETWORK_JOIN, "subject": DELTA_BOT, "scope": network, "status": "open"}
    world.gateway.set_state(commons, PROPOSAL_STATE, "2", {**base, "acts": [forged]}, ALICE)
    assert "0 of 1 consented" in await world.say("!proposals", room=commons)


async def test_proposal_numbers_are_read_strictly(world: World) -> None:
    space = await world.congregation("Riverside", BOB)
    hosts_room = world.hosts_room(space)
    world.gateway.accept(space, CAROL)
    for key in ("١", "²", "99999999999999999999", "-1", " 7"):
        world.gateway.set_state(hosts_room, PROPOSAL_STATE, key, {"status": "open"}, BOT)
    assert "Proposal #1 is open" in await world.say(f"!host add {CAROL}", ALICE, hosts_room)
    world.clock.advance(timedelta(seconds=1))
    assert "#1" in await world.say("!proposals", ALICE, hosts_room)


async def test_a_room_marked_as_a_network_room_by_a_human_is_not_one(world: World) -> None:
    """A host who writes a network marker into a congregation's room, or names a room
    the Commons of a real network, gives nobody a writer's trust there."""
    space = await world.congregation("Riverside")
    hosts_room = world.hosts_room(space)
    await world.say("!network create Rivers", room=hosts_room)
    await world.settle()
    [network] = world.rooms_of_kind(NETWORK_SPACE)
    shared = world.cohost.directory.shared
    assert await shared.network_cohosts(network) == {BOT}
    lobby = RoomId(world.gateway.rooms[space].content(CONGREGATION)["rooms"]["lobby"])  # type: ignore[index]
    marker = "cc.microsolidarity.room"
    world.gateway.set_state(lobby, marker, "", {"kind": "network"}, ALICE)
    assert await shared.writers(lobby) == {BOT}
    world.gateway.set_state(lobby, marker, "", {"kind": "commons", "network": network}, ALICE)
    assert await shared.writers(lobby) == {BOT}


async def test_a_reaction_counts_only_in_the_proposals_own_room(world: World) -> None:
    space = await world.congregation("Riverside", BOB)
    hosts_room = world.hosts_room(space)
    world.gateway.accept(space, CAROL)
    await world.say(f"!host add {CAROL}", ALICE, hosts_room)
    [proposal] = [s for s in world.gateway.sent if PROPOSAL_STATE in s.content]
    # Bob reacts 👍 to the proposal's event id, but from a room of his own.
    target = proposal.event_id
    await world.deliver(
        IncomingReaction(RoomId("!elsewhere"), EventId("$r1"), UserId(BOB), target, "👍", 1)
    )
    assert "1 of 2 consented" in await world.say("!proposals", ALICE, hosts_room)
    await world.deliver(IncomingReaction(hosts_room, EventId("$r2"), UserId(BOB), target, "👍", 2))
    assert world.gateway.rooms[hosts_room].content(PROPOSAL_STATE, "1")["status"] == "passed"  # type: ignore[index]


async def test_the_network_mark_opens_only_the_network_applied_to(world: World) -> None:
    space = await world.congregation("Riverside")
    await world.say("!network join !rivers:far.example far.example", room=world.hosts_room(space))
    network = world.feature(NetworkMembership)

    def invite(room: str, marked: str) -> IncomingInvite:
        reason = f"Welcome to the network. cohost:network:{marked}"
        return IncomingInvite(RoomId(room), UserId("@anyone:far.example"), reason)

    assert await network.expects(invite("!rivers:far.example", "!rivers:far.example"))
    # The mark naming the network, on an invitation into some other room: not joined
    # now (left pending until the network's trusted facts name that room).
    other = invite("!commons-or-not:far.example", "!rivers:far.example")
    assert not await network.expects(other) and await network.awaits(other)
    # A mark naming a network nobody applied to opens nothing.
    stray = invite("!lure:evil.example", "!lure:evil.example")
    assert not await network.expects(stray) and not await network.awaits(stray)
    await world.cohost.invites.on_invite(stray)
    assert RoomId("!lure:evil.example") not in world.gateway.joined
