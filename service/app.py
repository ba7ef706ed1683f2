"""The composition root: builds every part from the settings and runs the service."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass

import structlog
from nio import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.announcements.engine import Announcements
from handlers.community.directory import Directory
from handlers.community.invites import InviteHandler
from handlers.community.rooms import repair_rooms
from handlers.congregations.engine import Congregations
from handlers.crews.engine import Crews
from handlers.decisions.engine import Decisions
from handlers.framework.clock import Clock, SystemClock
from handlers.framework.dispatch import CommandHandler
from handlers.framework.gateway import MatrixGateway
from handlers.framework.operations import OperationRunner
from handlers.framework.patterns import UserPatterns
from handlers.framework.registry import CommandRegistry
from handlers.framework.subscriptions import Subscriptions
from handlers.framework.types import (
    IncomingInvite,
    IncomingMember,
    IncomingMessage,
    IncomingReaction,
    IncomingRedaction,
)
from handlers.general.commands import register_general
from handlers.membership.engine import Membership
from handlers.network.engine import Networks
from handlers.network.membership import NetworkMembership
from handlers.privacy.engine import Privacy
from handlers.release.engine import Release
from handlers.rhythm.engine import Rhythm
from service.credentials import private_dir
from service.events import EventRouter
from service.gateway import NioGateway
from service.http import make_http_app, start_http
from service.login import log_in, make_client
from service.metrics import Metrics
from service.settings import Settings
from service.state_cache import StateCache
from service.sync import SyncLoop
from storage.database import make_engine, make_sessionmaker, migrate
from storage.repositories import SyncStateRepository
from storage.stores import Stores

log = structlog.get_logger(__name__)

TICK_SECONDS = 30.0
# Set once the rooms of earlier versions have their protected power levels back.
POWER_REPAIRED = "power_levels_repaired"


@dataclass
class Cohost:
    """Everything that handles events, built over one gateway and one database."""

    registry: CommandRegistry
    commands: CommandHandler
    invites: InviteHandler
    runner: OperationRunner
    directory: Directory
    decisions: Decisions
    membership: Membership
    rhythm: Rhythm
    network: NetworkMembership
    announcements: Announcements
    subscriptions: Subscriptions
    sessions: async_sessionmaker[AsyncSession]
    stores: Stores


def build_cohost(
    gateway: MatrixGateway,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Clock,
) -> Cohost:
    stores = Stores.over(sessions)
    directory = Directory(gateway, stores)
    runner = OperationRunner(stores.operations, clock)
    registry = CommandRegistry()
    register_general(registry)
    limits = settings.limits
    Congregations(
        directory, runner, clock, UserPatterns.parse(settings.effective_creators), limits
    ).register(registry)
    Crews(directory, runner, clock, limits).register(registry)
    Networks(directory, runner, clock).register(registry)
    Release(directory, runner, clock).register(registry)
    decisions = Decisions(
        gateway, directory.shared, stores.decisions, stores.notices, runner, clock, limits
    )
    decisions.register(registry)
    membership = Membership(
        directory,
        decisions,
        settings.crew_window,
        settings.congregation_window,
        settings.membership_decided_by,
    )
    membership.register(registry)
    network = NetworkMembership(directory, decisions, runner, clock, settings.network_window)
    network.register(registry)
    decisions.peers = network.member_bots
    announcements = Announcements(directory, network)
    announcements.register(registry)
    rhythm = Rhythm(directory, stores.rhythm, stores.notices, clock, settings.crew_window)
    rhythm.register(registry)
    Privacy(decisions, rhythm).register(registry)
    commands = CommandHandler(registry, directory.gateway, directory.is_released, network.answers)
    invites = InviteHandler(
        directory.gateway,
        UserPatterns.parse(settings.effective_allowed_inviters),
        directory.is_released,
        network.expects,
        network.accepted,
        network.awaits,
    )
    subscriptions = Subscriptions()
    subscriptions.on(IncomingInvite, invites.on_invite)
    subscriptions.on(IncomingMessage, commands.on_message)
    subscriptions.on(IncomingMessage, announcements.relay)
    subscriptions.on(IncomingMessage, decisions.adopt, history=True)
    for on_member in (membership.on_member, network.on_member, rhythm.on_member):
        subscriptions.on(IncomingMember, on_member)
    for on_reaction in (decisions.on_reaction, rhythm.on_reaction):
        subscriptions.on(IncomingReaction, on_reaction)
    for on_redaction in (decisions.on_redaction, rhythm.on_redaction):
        subscriptions.on(IncomingRedaction, on_redaction)
    return Cohost(
        registry,
        commands,
        invites,
        runner,
        directory,
        decisions,
        membership,
        rhythm,
        network,
        announcements,
        subscriptions,
        sessions,
        stores,
    )


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
    runner = await start_http(make_http_app(ready, metrics), settings.http_host, settings.http_port)
    try:
        async with connected(settings) as (client, sessions):
            clock = SystemClock()
            cache = StateCache()
            cohost = build_cohost(NioGateway(client, cache), sessions, settings, clock)
            router = EventRouter(client.user_id, cohost.subscriptions, sessions, clock, metrics)
            tasks = {
                asyncio.create_task(
                    SyncLoop(client, sessions, router, metrics, ready, cache).run()
                ),
                asyncio.create_task(cohost.runner.run_forever()),
                asyncio.create_task(keep_time(cohost, ready)),
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


async def keep_time(cohost: Cohost, ready: asyncio.Event, every: float = TICK_SECONDS) -> None:
    """Close due proposals, remind of meetings, open retrospectives. The first tick waits
    for the first sync, so votes cast while cohost was down count before anything closes."""
    await ready.wait()
    await repair_once(cohost.directory.gateway, cohost.sessions)
    while True:
        for tick in (cohost.decisions.tick, cohost.rhythm.tick):
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


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
