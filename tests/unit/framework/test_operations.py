"""Operations are typed contracts: each kind declares a model of its parameters, which
is checked when a persisted operation is read back."""

from __future__ import annotations

from datetime import timedelta

from handlers.framework.stand_in import STAND_IN, Waiting
from storage.operations import FAILED, PENDING, NewOperation
from tests.unit.world import World


async def test_a_wait_persisted_before_waits_kept_their_reading_time_still_loads(
    world: World,
) -> None:
    """A stand-in wait written by an earlier version (no "seen", times as text) is read
    as it is and carried on."""
    due = world.clock.now() + timedelta(minutes=5)
    old = {
        "room": "!commons:example.org",
        "event": "$asked",
        "sender": "@bob:example.org",
        "body": "!crew info",
        "picked": {},
        "encrypted": False,
        "ts": 1,
        "thread": None,
        "place": 1,
        "due": due.isoformat(),
        "reply": None,
    }
    store = world.cohost.stores.operations
    assert await store.add(NewOperation("stand-in-$asked", STAND_IN, old), world.clock.now())
    [waiting] = await world.cohost.runner.pending(STAND_IN, Waiting)
    assert waiting.due == due and waiting.seen is None and waiting.sender == "@bob:example.org"
    await world.cohost.runner.run_one("stand-in-$asked")  # not due: it keeps waiting
    row = await store.get("stand-in-$asked")
    assert row is not None and row.status == PENDING


async def test_an_operation_whose_parameters_break_its_contract_fails_alone(
    world: World,
) -> None:
    store = world.cohost.stores.operations
    broken = NewOperation("stand-in-$broken", STAND_IN, {"room": "!r:example.org"})
    assert await store.add(broken, world.clock.now())
    await world.cohost.runner.run_one("stand-in-$broken")  # no exception escapes
    row = await store.get("stand-in-$broken")
    assert row is not None and row.status == FAILED
    assert "Pong" in await world.say("!ping")  # and everything else goes on
