"""No event stops cohost (SPEC §3.9): arbitrary JSON in every kind of event cohost reads
goes through the real sync loop and router; the loop keeps its position moving and
`!ping` is still answered once."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nio import SyncResponse

from handlers.community.facts import MEMBER
from handlers.community.state import CONGREGATION, CREW, CREW_ROOM, NETWORK, RELEASE, ROOM
from handlers.decisions.schema import PROPOSAL as PROPOSAL_STATE
from handlers.framework.errors import HomeserverUnavailable
from handlers.rhythm.schema import CYCLE as CYCLE_STATE
from service.metrics import Metrics
from service.state_cache import StateCache
from service.sync import SyncLoop
from storage.repositories import NEXT_BATCH, SyncStateRepository
from tests.fakes import BOT
from tests.unit.world import ALICE, BOB, DM, World

_ids = itertools.count()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
# Fields cohost reads, each given any JSON value (or left out).
FIELDS = [
    "body",
    "msgtype",
    "membership",
    "reason",
    "m.relates_to",
    "redacts",
    "kind",
    "hosts",
    "rooms",
    "bot",
    "name",
    "status",
    "acts",
    "deciders",
    "voices",
    PROPOSAL_STATE,
    "cc.microsolidarity.origin",
]
contents = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={f: json_values for f in FIELDS}),
    st.fixed_dictionaries(
        {"m.relates_to": json_values},
        optional={"rel_type": st.sampled_from(["m.annotation", "m.replace"]), "key": json_values},
    ),
)
EVENT_TYPES = [
    "m.room.message",
    "m.reaction",
    "m.room.redaction",
    "m.room.member",
    "m.room.power_levels",
    ROOM,
    CONGREGATION,
    CREW,
    NETWORK,
    RELEASE,
    MEMBER,
    PROPOSAL_STATE,
    CYCLE_STATE,
]
STATE_KEYS = st.sampled_from(["", BOT, ALICE, "1", "01", "999999999999999999999", "!x"])


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    event_type = draw(st.sampled_from(EVENT_TYPES))
    event: dict[str, Any] = {
        "type": event_type,
        "event_id": f"$fuzz{next(_ids)}",
        "sender": draw(st.sampled_from([ALICE, BOB, "@mallory:evil.example"])),
        # Homeservers check the envelope (Synapse refuses a timestamp that is no integer);
        # the content is the sender's own.
        "origin_server_ts": draw(st.integers(min_value=0, max_value=2**53)),
        "content": draw(contents),
    }
    if event_type not in ("m.room.message", "m.reaction", "m.room.redaction"):
        event["state_key"] = draw(STATE_KEYS)
    if event_type == "m.room.redaction":
        event["redacts"] = draw(json_values)
    return event


class ScriptedClient:
    """Just what the sync loop asks of nio's AsyncClient: one scripted sync at a time."""

    user_id = BOT
    olm = None

    def __init__(self) -> None:
        self.batches: list[SyncResponse] = []

    async def sync(self, **_: Any) -> SyncResponse:
        return self.batches.pop(0)


def sync_response(next_batch: str, timelines: dict[str, list[dict[str, Any]]]) -> SyncResponse:
    rooms = {
        room: {"timeline": {"events": events, "limited": False}, "state": {"events": []}}
        for room, events in timelines.items()
    }
    invite_state = {
        "events": [e for events in timelines.values() for e in events if "state_key" in e]
        + [{"type": "m.room.member", "state_key": BOT, "sender": ALICE, "content": [1]}]
    }
    return SyncResponse.from_dict(
        {
            "next_batch": next_batch,
            "rooms": {
                "join": rooms,
                "invite": {"!invited:example.org": {"invite_state": invite_state}},
            },
        }
    )


async def a_loop(world: World) -> tuple[SyncLoop, ScriptedClient, Metrics]:
    client = ScriptedClient()
    metrics = Metrics()
    sessions = world.cohost.sessions
    router = world.router(metrics)
    ready = asyncio.Event()
    ready.set()
    loop = SyncLoop(client, sessions, router, metrics, ready, StateCache())  # type: ignore[arg-type]
    return loop, client, metrics


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(events(), min_size=1, max_size=6))
async def test_arbitrary_events_never_stop_cohost(
    world: World, batch: list[dict[str, Any]]
) -> None:
    if not world.gateway.rooms:
        await world.congregation("Riverside", members=(BOB,))
        await world.say(f"!crew new Walkers {BOB}")
        await world.settle()
    rooms = [DM, *world.gateway.rooms]
    crew = world.rooms_of_kind(CREW_ROOM)[0]
    loop, client, _ = await a_loop(world)
    timelines = {
        room: [{**e, "event_id": f"{e['event_id']}-{n}"} for e in batch]
        for n, room in enumerate((DM, crew, rooms[-1]))
    }
    position = f"s{next(_ids)}"
    client.batches.append(sync_response(position, timelines))
    assert await loop._once("s0") == position
    async with world.cohost.sessions.begin() as s:
        assert await SyncStateRepository(s).get(NEXT_BATCH) == position

    ping_id = f"$ping{next(_ids)}"
    ping = {
        "type": "m.room.message",
        "event_id": ping_id,
        "sender": ALICE,
        "origin_server_ts": 1,
        "content": {"msgtype": "m.text", "body": "!ping"},
    }
    client.batches.append(sync_response(f"s{next(_ids)}", {DM: [ping]}))
    await loop._once(position)
    assert [r["body"] for r in world.gateway.replies_to(ping_id)] == ["Pong! cohost is here."]


async def test_the_malformed_events_an_attacker_would_send(world: World) -> None:
    """The events that stopped cohost for good: a relation that is not an object, a body
    that is not text, fields missing. Each is skipped; the next `!ping` is answered."""
    await world.congregation("Riverside")
    loop, client, metrics = await a_loop(world)

    def event(event_type: str, content: Any, **extra: Any) -> dict[str, Any]:
        return {
            "type": event_type,
            "event_id": f"$bad{next(_ids)}",
            "sender": ALICE,
            "origin_server_ts": 1,
            "content": content,
            **extra,
        }

    bad = [
        event("m.reaction", {"m.relates_to": "$target"}),
        event("m.reaction", {"m.relates_to": ["$target"]}),
        event("m.reaction", {"m.relates_to": 7}),
        event("m.reaction", {"m.relates_to": {"rel_type": "m.annotation", "event_id": 5}}),
        event("m.room.message", {"msgtype": "m.text", "body": 12}),
        event("m.room.message", {"msgtype": "m.text"}),
        event("m.room.message", {"body": "!ping", "m.relates_to": "x"}),
        event("m.room.redaction", {}, redacts=["$x"]),
        event("m.room.member", {"membership": 3}, state_key=ALICE),
        event("m.room.member", {}, state_key=ALICE),
    ]
    ping = event("m.room.message", {"msgtype": "m.text", "body": "!ping"})
    client.batches.append(sync_response("s1", {DM: [*bad, ping]}))
    assert await loop._once("s0") == "s1"
    assert len(world.gateway.replies_to(ping["event_id"])) == 1
    assert (
        metrics.value("cohost_handler_errors_total") == 0
    )  # skipped by the readers, not by the last resort


async def test_an_edit_is_never_a_command(world: World) -> None:
    await world.congregation("Riverside")
    loop, client, _ = await a_loop(world)
    edit = {
        "type": "m.room.message",
        "event_id": "$edit",
        "sender": ALICE,
        "origin_server_ts": 1,
        "content": {
            "msgtype": "m.text",
            "body": "!ping",
            "m.new_content": {"msgtype": "m.text", "body": "!ping"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$earlier"},
        },
    }
    client.batches.append(sync_response("s1", {DM: [edit]}))
    await loop._once("s0")
    assert world.gateway.replies_to("$edit") == []


async def test_a_batch_retried_after_a_failure_part_way_answers_each_command_once(
    world: World,
) -> None:
    """Steady state asks the database nothing about handled events (the sync position
    guarantees new ones); a batch retried after failing part-way is checked again."""
    loop, client, metrics = await a_loop(world)
    pings = [
        {
            "type": "m.room.message",
            "event_id": f"$retried{n}-{next(_ids)}",
            "sender": ALICE,
            "origin_server_ts": 1,
            "content": {"msgtype": "m.text", "body": "!ping"},
        }
        for n in range(3)
    ]
    send = world.gateway.send_event
    failed: list[str] = []

    async def flaky(room_id: Any, event_type: str, content: Any, txn_id: str) -> Any:
        if pings[1]["event_id"] in txn_id and not failed:
            failed.append(txn_id)
            raise HomeserverUnavailable("down for a moment")
        return await send(room_id, event_type, content, txn_id)

    world.gateway.send_event = flaky  # type: ignore[method-assign]
    first = sync_response("s1", {DM: pings[:2]})
    initial = sync_response("s0", {})  # a first start reads no timeline
    client.batches += [initial, first, first, sync_response("s2", {DM: pings[2:]})]
    running = asyncio.create_task(loop.run())
    try:
        for _ in range(400):  # until the last is handled (marked after its reply)
            if metrics.value("cohost_events_handled_total") >= 3:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
    finally:
        running.cancel()
    assert failed
    assert [len(world.gateway.replies_to(p["event_id"])) for p in pings] == [1, 1, 1]
    # Handled once each: a retried reply alone would be kept single by its transaction
    # id, but a command that acts must not act twice.
    assert metrics.value("cohost_events_handled_total") == 3
