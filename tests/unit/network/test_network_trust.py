"""The network's trust (handlers.network.trust), tried as a rogue member cohost would
(SPEC §3.10): Hilltop's cohost, admitted and holding power in the network's rooms,
writes records of admissions that nobody decided, or rewrites one that passed."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from handlers.community.facts import MEMBER
from handlers.decisions.schema import PROPOSAL
from handlers.framework.types import EventId, IncomingMember, RoomId, UserId
from handlers.network.schema import NETWORK_JOIN, Knock
from tests.fakes import message
from tests.unit.network.test_network_crews import BEA, HILLTOP, OTHER, network_with_hilltop
from tests.unit.world import ALICE, World

MALLORY = "@cohost:evil.example"
EVIL = "!evil"
DELTA = "@cohost:delta.example"


def riverside_of(world: World, network: RoomId) -> str:
    return next(k for (t, k) in world.gateway.rooms[network].state if t == MEMBER and k != HILLTOP)


def claimed_admission(
    world: World, network: RoomId, deciders: list[str], voices: dict[str, str], acts: list[str]
) -> dict[str, Any]:
    """A passed admission of Mallory's cohost as a record states it; `acts`: the event
    ids of the consents it lists, voter first (`@voter|$event`)."""
    now = world.clock.now()
    return {
        "kind": NETWORK_JOIN,
        "subject": MALLORY,
        "scope": network,
        "status": "passed",
        "deciders": deciders,
        "voices": voices,
        "details": {"space": EVIL, "name": "Evil"},
        "opened_at": (now - timedelta(hours=1)).isoformat(),
        "closes_at": (now + timedelta(days=6)).isoformat(),
        "closed_at": now.isoformat(),
        "acts": [
            {"event": a.split("|")[1], "voter": a.split("|")[0], "act": "consent", "ts": 1}
            for a in acts
        ],
    }


async def admitted(world: World, network: RoomId) -> bool:
    shared = world.cohost.directory.shared
    return MALLORY in await shared.network_cohosts(network) and EVIL in await shared.members(
        network
    )


async def test_a_peers_record_of_an_admission_counts_only_when_its_own_acts_pass_it(
    world: World,
) -> None:
    _, network, commons = await network_with_hilltop(world)
    riverside = riverside_of(world, network)
    g = world.gateway
    g.set_state(network, MEMBER, EVIL, {"name": "Evil", "bot": MALLORY, "hosts": []}, MALLORY)
    both = sorted([riverside, HILLTOP])
    voices = {ALICE: riverside, BEA: HILLTOP}
    g.post(commons, BEA, "m.room.message", {"body": "!consent 20"}, "$bea-20")

    # Alice's consent that Alice never sent.
    forged = claimed_admission(world, network, both, voices, [f"{ALICE}|$a", f"{BEA}|$bea-20"])
    g.set_state(commons, PROPOSAL, "20", forged, OTHER)
    assert not await admitted(world, network)
    # Riverside left out of the deciding group: Bea's real consent alone.
    g.set_state(
        commons,
        PROPOSAL,
        "20",
        claimed_admission(world, network, [HILLTOP], {BEA: HILLTOP}, [f"{BEA}|$bea-20"]),
        OTHER,
    )
    assert not await admitted(world, network)
    # Bea made Riverside's voice: Bea is no host of Riverside.
    g.set_state(
        commons,
        PROPOSAL,
        "20",
        claimed_admission(world, network, both, {BEA: riverside}, [f"{BEA}|$bea-20"]),
        OTHER,
    )
    assert not await admitted(world, network)
    # Every voice consented, each in the Commons itself: it holds, recomputed here.
    g.post(commons, ALICE, "m.room.message", {"body": "!consent 20"}, "$alice-20")
    genuine = claimed_admission(
        world, network, both, voices, [f"{ALICE}|$alice-20", f"{BEA}|$bea-20"]
    )
    g.set_state(commons, PROPOSAL, "20", genuine, OTHER)
    assert await admitted(world, network)


async def test_an_admission_this_cohost_counted_stays_whatever_a_peer_records_later(
    world: World,
) -> None:
    _, network, commons = await network_with_hilltop(world)
    g = world.gateway
    knock = Knock("Delta", "!delta").reason()
    g.member(network, DELTA, "knock")
    await world.deliver(
        IncomingMember(network, EventId("$knock"), UserId(DELTA), DELTA, "knock", None, knock)
    )
    world.clock.advance(timedelta(seconds=30))
    await world.cohost.runner.resume_pending()
    await world.settle()
    [number] = [k for (t, k) in g.rooms[commons].state if t == PROPOSAL and k != "9"]
    assert "is recorded" in await world.say(f"!consent {number}", ALICE, commons)
    await world.deliver(message(f"!consent {number}", sender=BEA, room=commons))
    await world.settle()
    record = g.rooms[commons].content(PROPOSAL, number) or {}
    assert record.get("status") == "passed"
    shared = world.cohost.directory.shared
    assert DELTA in await shared.network_cohosts(network)
    # Hilltop's cohost, trusted to write in the Commons, rewrites the record: lapsed.
    g.set_state(commons, PROPOSAL, number, {**record, "status": "lapsed", "acts": []}, OTHER)
    assert DELTA in await shared.network_cohosts(network)


async def test_a_proposal_announced_for_a_group_that_is_not_the_networks_is_not_taken_on(
    world: World,
) -> None:
    _, network, commons = await network_with_hilltop(world)
    riverside = riverside_of(world, network)
    g = world.gateway
    an_hour_ago = int((world.clock.now() - timedelta(hours=1)).timestamp() * 1000)
    for space in (riverside, HILLTOP):  # both registered an hour ago
        entry = g.rooms[network].state[(MEMBER, space)]
        g.set_state(network, MEMBER, space, entry["content"], entry["sender"], an_hour_ago)
    now = world.clock.now()

    async def announced(number: int, deciders: list[str], voices: dict[str, str]) -> str:
        spec = {
            "number": number,
            "kind": NETWORK_JOIN,
            "subject": MALLORY,
            "scope": network,
            "proposer": None,
            "deciders": deciders,
            "voices": voices,
            "opened_at": now.isoformat(),
            "closes_at": (now + timedelta(days=7)).isoformat(),
            "opening_key": f"$knock-{number}",
        }
        body = f"Proposal #{number}"
        sent = message(body, sender=OTHER, room=commons)
        await world.deliver(
            replace(sent, content={"msgtype": "m.text", "body": body, PROPOSAL: spec})
        )
        return await world.say("!proposals", ALICE, commons)

    # Riverside left out: Hilltop's voice alone would decide.
    listed = await announced(11, [HILLTOP], {BEA: HILLTOP})
    assert "#11" not in listed
    assert any("names a deciding group" in n for n in g.notices_in(commons))
    # Bea made Riverside's voice.
    assert "#12" not in await announced(12, [HILLTOP, riverside], {BEA: riverside})
    # The network's group, as its register names it: taken on.
    voices = {ALICE: riverside, BEA: HILLTOP}
    assert "#13" in await announced(13, sorted([HILLTOP, riverside]), voices)
