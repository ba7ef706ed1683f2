"""The composition root: builds every part from the settings and runs the service."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial

import structlog
from nio import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.calendar.engine import CrewCalendars
from handlers.community.directory import Directory
from handlers.community.house import House
from handlers.community.invites import InviteHandler
from handlers.community.rooms import repair_rooms
from handlers.features import FEATURES
from handlers.framework.clock import Clock, SystemClock
from handlers.framework.config import Config
from handlers.framework.dispatch import CommandHandler
from handlers.framework.gateway import MatrixGateway
from handlers.framework.operations import OperationRunner
from handlers.framework.patterns import UserPatterns
from handlers.framework.registry import CommandRegistry
from handlers.framework.subscriptions import Subscriptions
from service.credentials import private_dir
from service.crypto.identity import ensure_cross_signed, master_key
from service.crypto.unreadable import Unreadable
from service.crypto.verification import DeviceKeys, Verifier
from service.events import EventRouter
from service.gateway import NioGateway, observe_requests
from service.http import Feeds, make_http_app, start_http
from service.login import log_in, make_client, tune_crypto_store
from service.metrics import Metrics
from service.settings import Settings
from service.state_cache import StateCache
from service.sync import SyncLoop
from storage.database import make_engine, make_sessionmaker, migrate
from storage.repositories import SyncStateRepository
from storage.stores import Stores
from storage.unit import Observe, unobserved

log = structlog.get_logger(__name__)

TICK_SECONDS = 30.0
# Set once the rooms of earlier versions have their protected power levels back.
POWER_REPAIRED = "power_levels_repaired"


@dataclass
class Cohost:
    """Everything that handles events: the house with every feature installed, over
    one gateway and one database."""

    house: House
    sessions: async_sessionmaker[AsyncSession]

    @property
    def stores(self) -> Stores:
        return self.house.stores

    @property
    def registry(self) -> CommandRegistry:
        return self.house.registry

    @property
    def commands(self) -> CommandHandler:
        return self.house.commands

    @property
    def invites(self) -> InviteHandler:
        return self.house.invites

    @property
    def runner(self) -> OperationRunner:
        return self.house.runner

    @property
    def directory(self) -> Directory:
        return self.house.directory

    @property
    def subscriptions(self) -> Subscriptions:
        return self.house.subscriptions


def feature_config(settings: Settings) -> Config:
    """What the settings say to the features."""
    return Config(
        values=settings.model_dump(),
        zone=settings.zone,
        language=settings.language,
        limits=settings.limits,
        creators=UserPatterns.parse(settings.effective_creators),
        allowed_inviters=UserPatterns.parse(settings.effective_allowed_inviters),
    )


def build_cohost(
    gateway: MatrixGateway,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Clock,
    features: Sequence[Callable[[House], None]] = FEATURES,
    observe: Observe = unobserved,
) -> Cohost:
    stores = Stores.over(sessions, observe)
    house = House(gateway, stores, clock, feature_config(settings))
    for install in features:
        install(house)
    return Cohost(house, sessions)


@contextlib.asynccontextmanager
async def connected(
    settings: Settings,
) -> AsyncIterator[tuple[AsyncClient, async_sessionmaker[AsyncSession]]]:
    """A migrated database and a logged-in client, closed on the way out."""
    private_dir(settings.data_dir)
    engine = make_engine(settings.effective_database_url)
    client = make_client(settings)
    try:
        await migrate(engine)
        await log_in(client, settings)
        tune_crypto_store(client)
        structlog.contextvars.bind_contextvars(bot=client.user_id)
        yield client, make_sessionmaker(engine)
    finally:
        await client.close()
        await engine.dispose()


async def run_service(
    settings: Settings, stop: asyncio.Event, ready: asyncio.Event | None = None
) -> None:
    """Run until `stop` is set; then shut down cleanly. `ready` is set after the
    first sync."""
    metrics = Metrics()
    ready = ready or asyncio.Event()
    feeds = Feeds()
    app = make_http_app(ready, metrics, settings.health_sync_within, feeds)
    runner = await start_http(app, settings.http_host, settings.http_port)
    try:
        async with connected(settings) as (client, sessions):
            clock = SystemClock()
            cache = StateCache()
            gateway = NioGateway(client, cache)
            cohost = build_cohost(gateway, sessions, settings, clock, observe=metrics.db_unit)
            router = EventRouter(client.user_id, cohost.subscriptions, sessions, clock, metrics)
            cohost.commands.timed = metrics.command
            cohost.commands.failed = metrics.command_failed
            feeds.source = cohost.house.engine(CrewCalendars).feed
            metrics.reads_state_from(cohost.stores.stats.read)
            observe_requests(metrics)
            router.when_unreadable(Unreadable(client, gateway, router.redeliver, sessions, clock))
            keys = DeviceKeys(client, partial(master_key, settings))
            router.when_verifying(Verifier(gateway, keys, clock))
            tasks = {
                asyncio.create_task(
                    SyncLoop(client, sessions, router, metrics, ready, cache).run()
                ),
                asyncio.create_task(cohost.runner.run_forever()),
                asyncio.create_task(
                    keep_time(cohost, ready, partial(establish_identity, client, settings))
                ),
                asyncio.create_task(stop.wait()),
            }
            log.info(
                "cohost_started", homeserver=settings.homeserver_url, device_id=client.device_id
            )
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
    finally:
        log.info("cohost_stopping")
        await runner.cleanup()


async def keep_time(
    cohost: Cohost,
    ready: asyncio.Event,
    first: Callable[[], Awaitable[None]] | None = None,
    every: float = TICK_SECONDS,
) -> None:
    """Close due proposals, remind of meetings, open retrospectives. The first tick waits
    for the first sync, so votes cast while cohost was down count before anything closes;
    `first` runs once before it."""
    await ready.wait()
    if first is not None:
        await first()
    await repair_once(cohost.directory.gateway, cohost.sessions)
    while True:
        for tick in cohost.house.ticks:
            try:
                await tick()
            except Exception:
                log.exception("tick_failed")
        await asyncio.sleep(every)


async def repair_once(gateway: MatrixGateway, sessions: async_sessionmaker[AsyncSession]) -> None:
    """Rooms made by an earlier cohost get the protected power levels back, once per
    database (`cohost repair` does it again on demand)."""
    async with sessions.begin() as session:
        if await SyncStateRepository(session).get(POWER_REPAIRED) is not None:
            return
    try:
        count = await repair_rooms(gateway)
    except Exception:
        log.exception("power_levels_repair_failed")
        return
    async with sessions.begin() as session:
        await SyncStateRepository(session).put(POWER_REPAIRED, str(count))
    log.info("power_levels_checked", repaired=count)


async def establish_identity(client: AsyncClient, settings: Settings) -> None:
    """The bot's cross-signed identity (service.crypto.identity); a failure is logged, and
    cohost goes on (clients that require it will not share room keys with it)."""
    if not settings.cross_signing:
        log.info("cross_signing_off")
        return
    try:
        await ensure_cross_signed(client, settings)
    except Exception:
        log.exception("cross_signing_failed")


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
