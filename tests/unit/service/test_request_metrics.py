"""Each homeserver request's time and each rate-limit wait reach the metrics of the
cohost whose task made the request, also with two cohosts in one process."""

from __future__ import annotations

import asyncio

import pytest

from handlers.framework.errors import HomeserverUnavailable, MatrixError
from service import gateway
from service.gateway import call, observe_requests
from service.metrics import Metrics

HISTOGRAM = "cohost_homeserver_request_duration_seconds"


def requests(metrics: Metrics, what: str) -> tuple[float, float]:
    return (
        metrics.value(f"{HISTOGRAM}_count", request=what),
        metrics.value(f"{HISTOGRAM}_sum", request=what),
    )


async def test_each_try_of_a_request_is_timed_and_a_rate_limit_wait_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gateway, "DEFAULT_RETRY_AFTER", 0.001)
    metrics = Metrics()
    tries = 0

    async def limited_once() -> str:
        nonlocal tries
        tries += 1
        await asyncio.sleep(0.01)
        if tries == 1:
            raise MatrixError(429, "M_LIMIT_EXCEEDED", "slow down")
        return "sent"

    async def run() -> str:
        observe_requests(metrics)
        return await call(limited_once, "room_send")

    assert await asyncio.create_task(run()) == "sent"
    count, seconds = requests(metrics, "room_send")
    assert count == 2 and seconds >= 0.02
    assert metrics.value("cohost_rate_limit_waits_total") == 1


async def test_a_failed_request_is_timed_too() -> None:
    metrics = Metrics()

    async def refused() -> str:
        raise OSError("connection refused")

    async def run() -> None:
        observe_requests(metrics)
        await call(refused, "sync")

    with pytest.raises(HomeserverUnavailable):
        await asyncio.create_task(run())
    assert requests(metrics, "sync")[0] == 1


async def test_two_cohosts_in_one_process_each_see_only_their_own_requests() -> None:
    first, second = Metrics(), Metrics()

    async def answer() -> str:
        return "ok"

    async def cohost(metrics: Metrics, what: str, times: int) -> None:
        observe_requests(metrics)
        for _ in range(times):
            await call(answer, what)
            await asyncio.sleep(0)

    await asyncio.gather(cohost(first, "event", 3), cohost(second, "event", 5))
    assert requests(first, "event")[0] == 3
    assert requests(second, "event")[0] == 5
    # The test's own task set nothing: its requests go nowhere.
    await call(answer, "event")
    assert requests(first, "event")[0] + requests(second, "event")[0] == 8
