"""Events as they come out of a sync reach the right handlers, once each."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from nio import Event

from handlers.community.state import CREW_ROOM
from handlers.decisions.schema import PROPOSAL as PROPOSAL_STATE
from handlers.framework.types import IncomingMessage, RoomId
from handlers.rhythm.engine import Rhythm
from handlers.rhythm.schema import CYCLE as CYCLE_STATE
from service.events import EventRouter
from service.metrics import Metrics
from storage.repositories import HandledEventRepository
from tests.fakes import BOT
from tests.unit.across.test_malformed_events import sync_response
from tests.unit.world import ALICE, BOB, World

DAVE = "@dave:example.org"


def parsed(
    event_type: str, sender: str, event_id: str, content: dict[str, Any], **extra: Any
) -> Event:
    return Event.parse_event(
        {
            "type": event_type,
            "event_id": event_id,
            "sender": sender,
            "origin_server_ts": 1_800_000_000_000,
            "content": content,
            **extra,
        }
    )


def reaction(sender: str, event_id: str, target: str, key: str) -> Event:
    relation = {"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": key}}
    return parsed("m.reaction", sender, event_id, relation)


async def test_knocks_reactions_and_redactions_from_a_sync_reach_the_decisions(
    world: World,
) -> None:
    await world.congregation("Riverside", members=(BOB,))
    await world.say(f"!crew new Walkers {BOB}")
    await world.settle()
    [crew] = world.rooms_of_kind(CREW_ROOM)
    world.gateway.accept(crew, ALICE)
    world.gateway.accept(crew, BOB)
    metrics = Metrics()
    router = EventRouter(
        BOT, world.cohost.subscriptions, world.cohost.sessions, world.clock, metrics
    )
    world.clock.current = datetime.fromtimestamp(1_799_999_000, tz=world.clock.current.tzinfo)

    world.gateway.accept(next(iter(world.gateway.rooms)), DAVE)  # a congregation member
    knock = parsed("m.room.member", DAVE, "$knock", {"membership": "knock"}, state_key=DAVE)
    await router._room_timeline(RoomId(crew), [knock, knock])
    [proposal] = [s for s in world.gateway.sent if "cc.microsolidarity.proposal" in s.content]
    events = [
        reaction(ALICE, "$r1", proposal.event_id, "👍"),
        reaction(BOB, "$r2", proposal.event_id, "✋"),
        parsed("m.room.redaction", BOB, "$x2", {}, redacts="$r2"),
        reaction(BOB, "$r3", proposal.event_id, "👍"),
    ]
    await router._room_timeline(RoomId(crew), events)
    await router._room_timeline(RoomId(crew), events)  # a replayed sync changes nothing
    state = world.gateway.rooms[RoomId(crew)].content(PROPOSAL_STATE, "1")
    assert state is not None and state["status"] == "passed"
    assert len([s for s in world.gateway.sent if "cc.microsolidarity.proposal" in s.content]) == 1
    assert metrics.value("cohost_events_handled_total") == 5  # the knock and four acts, each once


async def test_commands_and_retrospective_reactions_from_a_sync(world: World) -> None:
    await world.congregation("Riverside")
    await world.say("!crew new Walkers")
    await world.settle()
    [crew] = world.rooms_of_kind(CREW_ROOM)
    world.gateway.accept(crew, ALICE)
    router = EventRouter(
        BOT, world.cohost.subscriptions, world.cohost.sessions, world.clock, Metrics()
    )
    command = parsed(
        "m.room.message",
        ALICE,
        "$c1",
        {"msgtype": "m.text", "body": "!crew cycle 1 meeting every Tuesday 19:00 UTC"},
    )
    await router._room_timeline(RoomId(crew), [command])
    world.clock.current = datetime(2026, 12, 1, 19, 1, tzinfo=world.clock.current.tzinfo)
    await world.feature(Rhythm).tick()
    retro = next(
        s.event_id for s in world.gateway.sent if "time for the retrospective" in s.content["body"]
    )
    await router._room_timeline(RoomId(crew), [reaction(ALICE, "$r9", retro, "⏸️")])
    state = world.gateway.rooms[RoomId(crew)].content(CYCLE_STATE, "1")
    assert state is not None and state["outcome"] == "pause"


async def test_conversation_is_neither_handled_nor_remembered(world: World) -> None:
    await world.congregation("Riverside")
    metrics = Metrics()
    router = EventRouter(
        BOT, world.cohost.subscriptions, world.cohost.sessions, world.clock, metrics
    )
    talk = [
        parsed("m.room.message", ALICE, f"$talk{n}", {"msgtype": "m.text", "body": text})
        for n, text in enumerate(["hello all", "! not a command", "ping!"])
    ]
    command = parsed("m.room.message", ALICE, "$ping", {"msgtype": "m.text", "body": "!ping"})
    await router._room_timeline(RoomId("!dm:example.org"), [*talk, command])
    assert metrics.value("cohost_events_handled_total") == 1
    assert [r["body"] for r in world.gateway.replies_to("$ping")] == ["Pong! cohost is here."]
    async with world.cohost.sessions.begin() as s:
        remembered = {
            e
            for e in ["$talk0", "$talk1", "$talk2", "$ping"]
            if await HandledEventRepository(s).seen(e)
        }
    assert remembered == {"$ping"}


def ping(event_id: str) -> Event:
    return parsed("m.room.message", ALICE, event_id, {"msgtype": "m.text", "body": "!ping"})


def own_membership(event_id: str, membership: str, before: str | None) -> Event:
    unsigned = {"prev_content": {"membership": before}} if before else {}
    return parsed(
        "m.room.member",
        ALICE if membership == "invite" else BOT,
        event_id,
        {"membership": membership},
        state_key=BOT,
        unsigned=unsigned,
    )


async def test_a_room_just_joined_answers_only_what_was_said_once_cohost_was_asked_in(
    world: World,
) -> None:
    router = EventRouter(
        BOT, world.cohost.subscriptions, world.cohost.sessions, world.clock, Metrics()
    )
    room = RoomId("!dm:example.org")
    timeline = [
        ping("$before-invite"),
        own_membership("$invite", "invite", None),
        ping("$while-invited"),  # typed before cohost got there: meant for it
        own_membership("$join", "join", "invite"),
        ping("$after-join"),
    ]
    await router._room_timeline(room, timeline)
    pings = ("$before-invite", "$while-invited", "$after-join")
    answered = {e for e in pings if world.gateway.replies_to(e)}
    assert answered == {"$while-invited", "$after-join"}

    # Joined without an invitation (a public room): all before the join is history.
    other = RoomId("!public:example.org")
    await router._room_timeline(
        other, [ping("$old"), own_membership("$join2", "join", None), ping("$new")]
    )
    assert not world.gateway.replies_to("$old") and world.gateway.replies_to("$new")


async def test_what_is_read_after_an_absence_is_marked_so_by_the_readers_clock(
    world: World,
) -> None:
    """The first batch after a start, and one after a gap longer than a long poll, hold
    what cohost reads late; the sender's timestamp plays no part."""
    seen: list[IncomingMessage] = []

    async def record(message: IncomingMessage) -> None:
        seen.append(message)

    world.cohost.subscriptions.on(IncomingMessage, record)
    router = world.router()
    room = "!room:example.org"

    def command(n: int) -> dict[str, Any]:
        content = {"msgtype": "m.text", "body": "!ping"}
        # Stamped "now" by its server whatever the gap: only the reader's clock counts.
        return {"type": "m.room.message", "event_id": f"$p{n}", "sender": ALICE,
                "origin_server_ts": int(world.clock.now().timestamp() * 1000),
                "content": content}  # fmt: skip

    for n, gap in enumerate((timedelta(0), timedelta(seconds=30), timedelta(minutes=5))):
        world.clock.advance(gap)
        await router.handle(sync_response(f"s{n}", {room: [command(n)]}), with_timeline=True)
    assert [m.caught_up for m in seen] == [True, False, True]


def test_poll_answers_are_read_unstable_and_stable_and_anyones_json_is_not_trusted() -> None:
    from service.events import _poll_response

    room, sender = RoomId("!crew:example.org"), "@ana:example.org"
    relation = {"m.relates_to": {"rel_type": "m.reference", "event_id": "$poll"}}
    unstable = {**relation, "org.matrix.msc3381.poll.response": {"answers": ["pause"]}}
    stable = {**relation, "m.selections": ["continue"]}
    # As Element sends it (matrix-js-sdk's PollResponseEvent): the stable name as key.
    element = {**relation, "m.poll.response": {"answers": ["adjust"]}}
    readings = ((unstable, ("pause",)), (stable, ("continue",)), (element, ("adjust",)))
    for content, answers in readings:
        found = _poll_response(room, "$a", sender, content, 5)  # type: ignore[arg-type]
        assert found is not None and (found.poll, found.answers) == ("$poll", answers)
    junk = [
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$poll"}},
        {"m.relates_to": {"rel_type": "m.reference", "event_id": 7}},
        {"m.relates_to": "nonsense"},
    ]
    assert all(_poll_response(room, "$a", sender, c, 5) is None for c in junk)  # type: ignore[arg-type]
    weird = {**relation, "org.matrix.msc3381.poll.response": {"answers": [1, "split", None]}}
    found = _poll_response(room, "$a", sender, weird, 5)  # type: ignore[arg-type]
    assert found is not None and found.answers == ("split",)
    # As a sync delivers it (a clear event of its own type), it is decoded too.
    event = parsed("org.matrix.msc3381.poll.response", sender, "$a", unstable)
    assert type(event).__name__ == "UnknownEvent"
