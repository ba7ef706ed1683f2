"""The network's crews (the Meta Crew): called by the network's consent, joined by the
network's and then the crew's consent, its rhythm kept by one cohost and taken over
when that one is gone."""

from __future__ import annotations

from datetime import timedelta

from handlers.community.facts import MEMBER
from handlers.community.state import COMMONS, NETWORK_CREW, NETWORK_SPACE
from handlers.decisions.schema import PROPOSAL, ProposalRecord
from handlers.framework.types import (
    EventId,
    IncomingMember,
    IncomingMessage,
    IncomingReaction,
    RoomId,
    UserId,
)
from handlers.network.schema import NETWORK_JOIN
from handlers.rhythm.engine import Rhythm
from handlers.rhythm.schema import CYCLE
from storage.models import Proposal
from tests.fakes import BOT, FakeRoom, message
from tests.unit.world import ALICE, World

OTHER = "@cohost:hilltop.example"
BEA = "@bea:hilltop.example"
HILLTOP = "!hilltop"


async def network_with_hilltop(
    world: World, peer: str = OTHER, cohosts: str = ""
) -> tuple[RoomId, RoomId, RoomId]:
    """Riverside's network (its co-hosts `cohosts` beside Alice), with Hilltop (its
    cohost `peer`, its host Bea) admitted."""
    space = await world.congregation("Riverside", cohosts)
    await world.say("!network create Rivers", room=world.hosts_room(space))
    await world.settle()
    [network] = world.rooms_of_kind(NETWORK_SPACE)
    [commons] = world.rooms_of_kind(COMMONS)
    g = world.gateway
    admitted = {"kind": NETWORK_JOIN, "subject": peer, "scope": network, "status": "passed"}
    g.set_state(commons, PROPOSAL, "9", {**admitted, "space": HILLTOP}, BOT)
    g.set_state(network, MEMBER, HILLTOP, {"name": "Hilltop", "bot": peer, "hosts": [BEA]}, peer)
    g.accept(commons, ALICE)
    return space, network, commons


async def bea_says(world: World, room: RoomId, body: str) -> None:
    """Bea's commands are answered by her own cohost; this one only records what they do."""
    sent = message(body, sender=BEA, room=room)
    await world.deliver(sent)
    assert world.gateway.replies_to(sent.event_id) == []


async def a_meta_crew(world: World) -> tuple[RoomId, RoomId, RoomId]:
    _, network, commons = await network_with_hilltop(world)
    reply = await world.say('!network crew create "Meta Crew"', ALICE, commons)
    assert "Proposal #10 is open" in reply
    await bea_says(world, commons, "!consent 10")
    await world.settle()
    [crew] = world.rooms_of_kind(NETWORK_CREW)
    world.gateway.accept(crew, ALICE)
    return network, commons, crew


async def test_the_network_calls_its_crew_by_consent(world: World) -> None:
    network, commons, crew = await a_meta_crew(world)
    opened = world.gateway.rooms[commons].content(PROPOSAL, "10") or {}
    [riverside] = world.rooms_of_kind("congregation")
    assert opened["deciders"] == sorted([HILLTOP, riverside]) and opened["scope"] == network
    assert opened["voices"] == {ALICE: riverside, BEA: HILLTOP}
    room = world.gateway.rooms[crew]
    assert room.request["creation_content"]["additional_creators"] == sorted([ALICE, OTHER])
    assert room.membership(OTHER) == "invite" and room.membership(ALICE) == "join"
    facts = world.gateway.rooms[network].content("cc.microsolidarity.crew", crew) or {}
    assert facts["name"] == "Meta Crew" and facts["congregation"] == network
    assert world.gateway.rooms[network].content("m.space.child", crew) is not None
    assert any("is ready" in n for n in world.gateway.notices_in(commons))
    assert "**Meta Crew**" in await world.say("!crew info", ALICE, crew)


async def test_a_host_joins_by_the_networks_and_then_the_crews_consent(world: World) -> None:
    _, commons, crew = await a_meta_crew(world)
    reply = await world.say(f"!crew invite {BEA}", ALICE, crew)
    assert "Proposal #11 is open in the network's Commons" in reply
    assert world.gateway.rooms[crew].membership(BEA) is None  # not before both decide
    await bea_says(world, commons, "!consent 11")  # Hilltop's voice
    await world.settle()
    # The network consented: the crew decides in its room (Alice proposed: she consents).
    crew_proposal = world.gateway.rooms[crew].content(PROPOSAL, "1") or {}
    assert crew_proposal["kind"] == "crew_join" and crew_proposal["deciders"] == [ALICE]
    assert crew_proposal["status"] == "passed"
    await world.settle()
    assert world.gateway.rooms[crew].membership(BEA) == "invite"


async def test_only_the_networks_hosts_call_and_ask_in_the_commons(world: World) -> None:
    space, _, commons = await network_with_hilltop(world)
    stranger = "@someone:example.org"
    world.gateway.accept(commons, stranger)
    assert "Only the hosts of the network" in await world.say(
        "!network crew create Meta", stranger, commons
    )
    assert "Commons" in await world.say("!network crew create Meta", ALICE, world.hosts_room(space))
    assert "no crew called" in await world.say("!crew join Nothing", ALICE, commons)


def cycle_record(world: World, due_in: timedelta) -> dict[str, object]:
    meeting = world.clock.now() + due_in
    return {
        "meetings": 1,
        "weekday": meeting.strftime("%A").lower(),
        "time": meeting.strftime("%H:%M"),
        "timezone": "UTC",
        "status": "active",
        "rotation": [ALICE],
        "schedule": [{"at": meeting.isoformat(), "host": ALICE, "day_reminder": "sent"}],
        "created_at": world.clock.now().isoformat(),
    }


async def test_when_the_keeper_is_gone_another_cohost_reminds_once(world: World) -> None:
    _, _, crew = await a_meta_crew(world)
    # Hilltop's cohost keeps the crew's cycle; its meeting is an hour and a minute away,
    # and the hour's reminder it will owe in a minute never comes.
    world.gateway.set_state(crew, CYCLE, "1", cycle_record(world, timedelta(minutes=61)), OTHER)
    await world.feature(Rhythm).tick()
    assert not [n for n in world.gateway.notices_in(crew) if n.startswith("Reminder")]
    world.clock.advance(timedelta(minutes=3))  # past the grace and this cohost's turn
    for _ in range(3):
        await world.feature(Rhythm).tick()
    reminders = [n for n in world.gateway.notices_in(crew) if n.startswith("Reminder")]
    assert len(reminders) == 1 and "within the hour" in reminders[0]
    record = world.gateway.rooms[crew].content(CYCLE, "1") or {}
    assert record["schedule"][0]["hour_reminder"] == "sent"  # type: ignore[index]
    assert await world.feature(Rhythm).keeps(crew)


async def test_a_keeper_that_was_taken_over_hands_over(world: World) -> None:
    _, _, crew = await a_meta_crew(world)
    meeting = world.clock.now() + timedelta(days=3)
    command = f"!crew cycle 1 meeting every {meeting:%A} {meeting:%H:%M} UTC"
    assert "Cycle 1" in await world.say(command, ALICE, crew)  # this cohost made the room
    # Hilltop's cohost took the cycle over while this one was away.
    taken = cycle_record(world, timedelta(minutes=30))
    world.gateway.set_state(crew, CYCLE, "1", taken, OTHER)
    assert not await world.feature(Rhythm).keeps(crew)
    world.clock.advance(timedelta(minutes=5))
    await world.feature(Rhythm).tick()
    assert not [n for n in world.gateway.notices_in(crew) if n.startswith("Reminder")]
    silent = message("!crew host", sender=ALICE, room=crew)
    await world.deliver(silent)
    assert world.gateway.replies_to(silent.event_id) == []  # the keeper answers


async def test_a_new_cycles_keeper_has_its_grace_from_the_cycles_start(world: World) -> None:
    _, _, crew = await a_meta_crew(world)
    fresh = cycle_record(world, timedelta(hours=5))  # the day's reminder is due at once
    fresh["schedule"] = [{"at": fresh["schedule"][0]["at"], "host": ALICE}]  # type: ignore[index]
    world.gateway.set_state(crew, CYCLE, "1", fresh, OTHER)
    world.clock.advance(timedelta(seconds=30))
    await world.feature(Rhythm).tick()
    assert not [n for n in world.gateway.notices_in(crew) if n.startswith("Reminder")]
    world.clock.advance(timedelta(minutes=2))
    await world.feature(Rhythm).tick()
    assert len([n for n in world.gateway.notices_in(crew) if "is tomorrow" in n]) == 1


async def test_the_meta_crew_decides_about_anything_among_its_people(world: World) -> None:
    _, _, crew = await a_meta_crew(world)
    world.gateway.accept(crew, OTHER)  # a peer cohost in the room is no decider
    assert "Proposal #1 is open" in await world.say("!propose We meet monthly", ALICE, crew)
    record = world.gateway.rooms[crew].content(PROPOSAL, "1") or {}
    assert record["deciders"] == [ALICE] and record["status"] == "passed"


async def test_release_in_a_network_crew_is_refused_clearly(world: World) -> None:
    _, _, crew = await a_meta_crew(world)
    assert "not possible yet" in await world.say("!release", ALICE, crew)
    assert world.gateway.rooms[crew].membership(BOT) == "join"


async def test_a_peer_cohost_inviting_is_no_bypass(world: World) -> None:
    _, commons, crew = await a_meta_crew(world)
    world.gateway.member(crew, BEA, "invite")  # as Hilltop's cohost carrying out a decision
    await world.deliver(
        IncomingMember(crew, EventId("$inv"), UserId(OTHER), BEA, "invite", None, None)
    )
    assert not [n for n in world.gateway.notices_in(crew) if "directly" in n]
    await world.deliver(
        IncomingMember(
            crew, EventId("$inv2"), UserId(ALICE), "@x:example.org", "invite", None, None
        )
    )
    assert len([n for n in world.gateway.notices_in(crew) if "directly" in n]) == 1


async def test_an_adopted_proposal_counts_its_proposers_consent_as_its_opener_does(
    world: World,
) -> None:
    """Hilltop's cohost opens Bea's proposal in the Commons; this cohost adopts it from the
    announcement alone (the opener's record not read yet): Bea's proposing is her
    congregation's consent here too, so Alice's consent passes it, as at the opener."""
    space, network, commons = await network_with_hilltop(world)
    now = world.clock.now()
    announced = Proposal(
        room_id=commons,
        number=10,
        kind="agreement",
        subject="We meet monthly",
        scope=network,
        proposer=BEA,
        deciders=sorted([space, HILLTOP]),
        voices={ALICE: space, BEA: HILLTOP},
        opened_at=now,
        closes_at=now + timedelta(days=7),
        status="open",
        opening_key="$bea-propose",
        opened_by=OTHER,
        details={"text": "We meet monthly"},
    )
    world.gateway.post(commons, BEA, "m.room.message", {"body": "!propose …"}, "$bea-propose")
    content = {
        "msgtype": "m.text",
        "body": "Proposal #10: …",
        PROPOSAL: ProposalRecord.announcing(announced).content(),
    }
    await world.deliver(
        IncomingMessage(
            commons, EventId("$announce"), UserId(OTHER), "Proposal #10: …", False, 0, content
        )
    )
    assert "1 of 2" in await world.say("!proposals", ALICE, commons)
    await world.say("!consent 10", ALICE, commons)
    assert "#10" not in await world.say("!proposals", ALICE, commons)


async def test_a_knock_on_the_network_states_what_was_checked_and_quotes_the_rest(
    world: World,
) -> None:
    """A stranger's cohost knocks under a member's name: the proposal says which cohost
    knocks for which space, whether that space's own facts name it, and quotes the name."""
    _, network, commons = await network_with_hilltop(world)
    imposter = RoomId("!copied-space:spam.example")
    world.gateway.rooms[imposter] = FakeRoom(imposter, {})
    world.gateway.set_state(
        imposter, "cc.microsolidarity.congregation", "", {"name": "Riverside"}, BOT
    )
    nobody = "@nobody:spam.example"
    reason = f"Riverside asks to join this network · {imposter}"
    world.gateway.member(network, nobody, "knock")
    await world.deliver(
        IncomingMember(network, EventId("$knock"), UserId(nobody), nobody, "knock", None, reason)
    )
    world.clock.advance(timedelta(minutes=5))
    await world.cohost.runner.run_one("open-$knock")
    [proposal] = [n for n in world.gateway.notices_in(commons) if n.startswith("Proposal #10:")]
    assert f"the cohost {nobody} joins the network for the space {imposter}" in proposal
    assert "which it calls “Riverside”" in proposal
    assert "that space's facts do not name this cohost" in proposal
    assert "**Riverside**" not in proposal  # never stated as a fact


async def test_a_person_hosting_two_member_congregations_is_answered_once(world: World) -> None:
    """Bea hosts Riverside and Hilltop, whose cohost is first by id: only that one
    answers her in the Commons; this one, Riverside's, would stand in."""
    first = "@cohost:aaa.example"  # sorts before this cohost's id
    _, _, commons = await network_with_hilltop(world, peer=first, cohosts=BEA)
    world.gateway.accept(commons, BEA)
    world.gateway.accept(commons, first)
    command = world.now(message("!decisions", sender=BEA, room=commons))
    await world.deliver(command)
    assert world.gateway.replies_to(command.event_id) == []  # Aaa's cohost answers
    # Alice hosts Riverside alone: this cohost answers her, once (World.say checks).
    await world.say("!decisions", ALICE, commons)


async def test_a_host_of_two_member_congregations_gives_either_voice_by_name(world: World) -> None:
    """Alice hosts Riverside and Hilltop: each of her acts gives one voice, the one she
    names; never two from one act, and never neither by guessing."""
    _, network, commons = await network_with_hilltop(world)
    [riverside] = world.rooms_of_kind("congregation")
    hilltop = {"name": "Hilltop", "bot": OTHER, "hosts": [BEA, ALICE]}
    world.gateway.set_state(network, MEMBER, HILLTOP, hilltop, OTHER)
    reply = await world.say('!network crew create "Meta Crew"', ALICE, commons)
    assert "Proposal #10 is open" in reply
    opened = world.gateway.rooms[commons].content(PROPOSAL, "10") or {}
    assert opened["voices"] == {ALICE: sorted([HILLTOP, riverside]), BEA: HILLTOP}
    asked = await world.say("!consent 10", ALICE, commons)
    assert "**Hilltop** or **Riverside**" in asked and "`!consent 10 for Hilltop`" in asked
    assert "0 of 2 consented" in await world.say("!proposals", ALICE, commons)
    reacted = IncomingReaction(
        commons, EventId("$thumbs"), UserId(ALICE), EventId(opened["message"]), "👍", 1
    )
    await world.deliver(reacted)
    assert any("a reaction cannot say which" in n for n in world.gateway.notices_in(commons))
    assert "recorded, for **riverside**" in await world.say(
        "!consent 10 for riverside", ALICE, commons
    )
    assert "1 of 2 consented" in await world.say("!proposals", ALICE, commons)
    await world.say("!consent 10 for Riverside", ALICE, commons)  # the same voice again
    assert "1 of 2 consented" in await world.say("!proposals", ALICE, commons)
    assert "is none of" in await world.say("!consent 10 for Elsewhere", ALICE, commons)
    await world.say("!consent 10 for Hilltop", ALICE, commons)
    await world.settle()
    assert world.rooms_of_kind(NETWORK_CREW)  # both voices given: the crew is called
