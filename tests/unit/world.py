"""A whole cohost over the in-memory homeserver and a SQLite database: the handler
unit tests talk to it as members would."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from handlers.community.house import House
from handlers.features import FEATURES
from handlers.framework.subscriptions import Incoming
from handlers.framework.types import IncomingMessage, RoomId
from handlers.resync import rebuild_index
from service.app import Cohost, build_cohost
from service.events import EventRouter
from service.metrics import Metrics
from service.settings import Settings, load_settings
from storage.database import make_engine, make_sessionmaker, migrate
from tests import catalogs
from tests.fakes import BOT, FakeClock, FakeGateway, message

T = TypeVar("T")
Install = Callable[[House], None]

ALICE = "@alice:example.org"
BOB = "@bob:example.org"
CAROL = "@carol:example.org"
DM = "!dm:example.org"


@dataclass
class World:
    gateway: FakeGateway
    clock: FakeClock
    cohost: Cohost
    db_url: str
    config: Settings
    engine: AsyncEngine
    features: Sequence[Install] = FEATURES

    async def say(self, body: str, sender: str = ALICE, room: str = DM) -> str:
        """Send a command; return the one reply (and fail if there is not exactly one)."""
        msg = self.now(message(body, sender=sender, room=room))
        # Spoken in the room's language, as the sync loop's subscriptions speak it.
        speaking = self.cohost.subscriptions.spoken
        await speaking(msg.room_id, msg.sender, partial(self.cohost.commands.on_message, msg))
        replies = self.gateway.replies_to(msg.event_id)
        assert len(replies) == 1, replies
        return str(replies[0]["body"])

    async def deliver(self, incoming: Incoming) -> None:
        """An event from the sync loop, to whichever features subscribed to its kind."""
        if isinstance(incoming, IncomingMessage):
            incoming = self.now(incoming)
        work = self.cohost.subscriptions.work(incoming)
        if work is not None:
            await work()

    def now(self, message: IncomingMessage) -> IncomingMessage:
        """A message without a time was sent just now (by the world's clock)."""
        if message.origin_server_ts:
            return message
        sent = int(self.clock.now().timestamp() * 1000)
        return dataclasses.replace(message, origin_server_ts=sent)

    async def settle(self) -> None:
        await self.cohost.runner.run_queued()

    async def restart(self) -> None:
        """A new cohost process over the same database and homeserver."""
        await self.engine.dispose()
        self.engine = make_engine(self.db_url)
        self.cohost = build_cohost(
            self.gateway, make_sessionmaker(self.engine), self.config, self.clock, self.features
        )
        await self.cohost.runner.resume_pending()

    def router(self, metrics: Metrics | None = None) -> EventRouter:
        """The sync loop's router over this cohost, as the service builds it."""
        sessions = self.cohost.sessions
        return EventRouter(
            BOT, self.cohost.subscriptions, sessions, self.clock, metrics or Metrics()
        )

    def rooms_of_kind(self, kind: str) -> list[RoomId]:
        return [
            r.room_id
            for r in self.gateway.rooms.values()
            if (r.content("cc.microsolidarity.room") or {}).get("kind") == kind
        ]

    async def congregation(
        self, name: str = "Riverside", cohosts: str = "", members: tuple[str, ...] = ()
    ) -> RoomId:
        """Create a congregation whose hosts, and these members, have joined it."""
        await self.say(f'!congregation create "{name}" {cohosts}'.strip())
        await self.settle()
        space = next(
            r.room_id
            for r in self.gateway.rooms.values()
            if (r.content("cc.microsolidarity.congregation") or {}).get("name") == name
        )
        facts = self.gateway.rooms[space].content("cc.microsolidarity.congregation") or {}
        for host in facts["hosts"]:
            self.gateway.accept(space, host)
            self.gateway.accept(RoomId(facts["rooms"]["hosts"]), host)
        for member in members:
            self.gateway.accept(space, member)
        return space

    def feature(self, kind: type[T]) -> T:
        """The engine a feature installed (to drive it as the sync loop would)."""
        return self.cohost.house.engine(kind)

    def house_over(self, sessions: async_sessionmaker[AsyncSession]) -> House:
        """Every feature installed over another database (`cohost resync` into it)."""
        return build_cohost(self.gateway, sessions, self.config, self.clock, self.features).house

    async def tick(self) -> None:
        """Every feature's periodic work, as the service's clock runs it."""
        for work in self.cohost.house.ticks:
            await work()

    async def resync_into_a_fresh_database(self, tmp_path: Path) -> Counter[str]:
        """The database lost: a fresh one, rebuilt from the homeserver alone by
        `cohost resync`; what it counted."""
        (tmp_path / "fresh").mkdir()
        self.db_url = f"sqlite:///{tmp_path / 'fresh' / 'cohost.db'}"
        engine = make_engine(self.db_url)
        await migrate(engine)
        await self.restart()
        return await rebuild_index(self.house_over(make_sessionmaker(engine)))

    def lobby(self, space: RoomId) -> RoomId:
        facts = self.gateway.rooms[space].content("cc.microsolidarity.congregation") or {}
        return RoomId(facts["rooms"]["lobby"])

    def hosts_room(self, space: RoomId) -> RoomId:
        facts = self.gateway.rooms[space].content("cc.microsolidarity.congregation") or {}
        return RoomId(facts["rooms"]["hosts"])


async def make_world(
    tmp_path: Path, features: Sequence[Install] = FEATURES, **settings: object
) -> World:
    url = f"sqlite:///{tmp_path / 'cohost.db'}"
    engine = make_engine(url)
    await migrate(engine)
    gateway, clock = FakeGateway(), FakeClock()
    # Where no congregation chose one, the language that checks every text sent.
    settings.setdefault("language", catalogs.CHECKING)
    config = load_settings(
        homeserver_url="http://hs.invalid", user_id=BOT, password="pw-for-tests", **settings
    )
    cohost = build_cohost(gateway, make_sessionmaker(engine), config, clock, features)
    return World(gateway, clock, cohost, url, config, engine, features)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    made = await make_world(tmp_path)
    yield made
    await made.engine.dispose()
