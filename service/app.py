"""The composition root: builds every part from the settings and runs the service."""

from __future__ import annotations

import asyncio
import contextlib
import signal

import structlog

from handlers.clock import SystemClock
from handlers.general import register_general
from handlers.invites import InviteHandler
from handlers.messages import CommandHandler
from handlers.patterns import UserPatterns
from handlers.registry import CommandRegistry
from service.events import EventRouter
from service.gateway import NioGateway
from service.http import make_http_app, start_http
from service.login import log_in, make_client
from service.metrics import Metrics
from service.settings import Settings
from service.sync import SyncLoop
from storage.database import make_engine, make_sessionmaker, migrate

log = structlog.get_logger(__name__)


def build_registry() -> CommandRegistry:
    registry = CommandRegistry()
    register_general(registry)
    return registry


async def run_service(
    settings: Settings, stop: asyncio.Event, ready: asyncio.Event | None = None
) -> None:
    """Run until `stop` is set; then shut down cleanly. `ready` is set after the
    first sync."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    client = make_client(settings)
    metrics = Metrics()
    ready = ready or asyncio.Event()
    runner = await start_http(make_http_app(ready, metrics), settings.http_host, settings.http_port)
    try:
        await log_in(client, settings)
        structlog.contextvars.bind_contextvars(bot=client.user_id)
        gateway = NioGateway(client)
        router = EventRouter(
            client.user_id,
            CommandHandler(build_registry(), gateway),
            InviteHandler(gateway, UserPatterns.parse(settings.effective_allowed_inviters)),
            sessions,
            SystemClock(),
            metrics,
        )
        loop_task = asyncio.create_task(SyncLoop(client, sessions, router, metrics, ready).run())
        stop_task = asyncio.create_task(stop.wait())
        log.info("cohost_started", homeserver=settings.homeserver_url, device_id=client.device_id)
        done, _ = await asyncio.wait({loop_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
        for task in (loop_task, stop_task):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if loop_task in done and loop_task.exception() is not None:
            raise loop_task.exception()  # type: ignore[misc]
    finally:
        log.info("cohost_stopping")
        await client.close()
        await runner.cleanup()
        await engine.dispose()


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
