"""/health, /metrics and `cohost --version`: what an admin's monitoring reads."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from handlers.framework.dispatch import CommandHandler
from handlers.framework.registry import CommandRegistry
from handlers.framework.replies import Reply
from service.http import make_http_app
from service.metrics import Metrics
from service.version import version
from tests.fakes import FakeGateway, message


async def health_of(ready: asyncio.Event, metrics: Metrics) -> tuple[int, dict[str, object]]:
    app = make_http_app(ready, metrics, sync_within=timedelta(seconds=60))
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/health")
        return response.status, await response.json()


async def test_health_fails_until_the_first_sync_and_when_syncing_stalls() -> None:
    ready, metrics = asyncio.Event(), Metrics()
    assert await health_of(ready, metrics) == (503, {"status": "starting"})
    ready.set()
    metrics.synced()
    assert await health_of(ready, metrics) == (200, {"status": "ok"})
    assert metrics.last_sync is not None
    metrics.last_sync -= 61  # no sync completed for a minute and a second
    status, body = await health_of(ready, metrics)
    assert status == 503 and body["status"] == "stalled" and body["seconds_since_sync"] == 61


async def test_a_command_that_crashes_is_counted_and_answered_with_an_apology() -> None:
    registry, gateway, metrics = CommandRegistry(), FakeGateway(), Metrics()

    @registry.command("explode", summary="Fails, always.")
    async def explode(ctx: object) -> Reply:
        raise RuntimeError("boom")

    handler = CommandHandler(registry, gateway)
    handler.failed = metrics.command_failed
    sent = message("!explode")
    await handler.on_message(sent)
    [reply] = gateway.replies_to(sent.event_id)
    assert "something went wrong on my side" in reply["body"]
    assert metrics.value("cohost_command_errors_total", command="explode") == 1
    await handler.on_message(message("!ping"))  # an unknown command is no error
    assert metrics.value("cohost_command_errors_total", command="ping") == 0


async def test_the_version_is_in_the_metrics_and_on_the_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from service.cli import main

    metrics = Metrics()
    body, _ = await metrics.render()
    assert f'cohost_build_info{{version="{version()}"}} 1.0' in body.decode()
    assert version() != "0+unknown"  # installed: the version of the package
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out == f"cohost {version()}\n"
