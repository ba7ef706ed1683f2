"""The house every feature is installed into: the framework's pieces over one gateway
and one database, ready before any feature, and the engines features offer each other.

A feature's `install(house)` declares, through it, everything the feature does:
- its commands, with typed parameters and preconditions (`house.registry.command`);
- the incoming events it handles, by typed kind (`house.subscriptions.on`), and the
  messages that are no command but carry data it reads (`house.passive`);
- its kinds of persisted operation (`house.runner.register`);
- what it does as time passes (`house.every_tick`);
- how `cohost resync` rebuilds the shared state it owns (`house.on_resync`);
- the settings section it reads (`house.settings(Section)`);
- the engine it offers to features installed after it (`house.provide`), which those
  find by type (`house.engine`).
The composition root installs the features in order; nothing is wired by hand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel

from handlers.community.direct import DirectRooms
from handlers.community.directory import Directory
from handlers.community.invites import InviteHandler
from handlers.community.preconditions import Preconditions
from handlers.community.rebuild import RebuildStep
from handlers.framework.clock import Clock
from handlers.framework.config import Config
from handlers.framework.dispatch import CommandHandler
from handlers.framework.gateway import MatrixGateway
from handlers.framework.operations import OperationRunner
from handlers.framework.registry import CommandRegistry
from handlers.framework.subscriptions import Subscriptions
from handlers.framework.types import IncomingInvite, IncomingMessage
from storage.stores import Stores

T = TypeVar("T")
S = TypeVar("S", bound=BaseModel)
Tick = Callable[[], Awaitable[None]]


class House:
    def __init__(self, gateway: MatrixGateway, stores: Stores, clock: Clock, config: Config):
        self.gateway = gateway
        self.stores = stores
        self.clock = clock
        self.config = config
        self.directory = Directory(gateway, stores, clock, config.zone, config.language)
        self.runner = OperationRunner(stores.operations, clock)
        self.registry = CommandRegistry()
        self.subscriptions = Subscriptions()
        self.subscriptions.speak_by(self.directory.language_of)
        self.commands = CommandHandler(
            self.registry, gateway, Preconditions(self.directory), self.directory.is_released
        )
        self.direct_rooms = DirectRooms(gateway, stores.direct)
        self.invites = InviteHandler(
            gateway,
            config.allowed_inviters,
            self.runner,
            clock,
            self.directory.is_released,
            self.directory.member_anywhere,
        )
        self.subscriptions.on(IncomingInvite, self.invites.on_invite)
        self.subscriptions.on(IncomingMessage, self.commands.on_message)
        self.ticks: list[Tick] = []
        # `cohost resync`: steps that fill the index, then steps that need it filled.
        self.rebuild_index: list[RebuildStep] = []
        self.rebuild_after: list[RebuildStep] = []
        self._engines: dict[type, object] = {}

    def provide(self, engine: T) -> T:
        kind = type(engine)
        if kind in self._engines:
            raise ValueError(f"{kind.__name__} installed twice")
        self._engines[kind] = engine
        return engine

    def engine(self, kind: type[T]) -> T:
        """An engine a feature installed earlier offers (a programming error if none)."""
        found = self._engines.get(kind)
        if not isinstance(found, kind):
            raise LookupError(f"{kind.__name__} is not installed (yet)")
        return found

    def settings(self, section: type[S]) -> S:
        """The feature's own settings section (see handlers.framework.config)."""
        return self.config.section(section)

    def every_tick(self, tick: Tick) -> None:
        self.ticks.append(tick)

    def on_resync(self, step: RebuildStep, *, after_index: bool = False) -> None:
        """How `cohost resync` rebuilds this feature's part of the picture from Matrix:
        index rows (`after_index=False`), or its own bookkeeping once the index stands."""
        (self.rebuild_after if after_index else self.rebuild_index).append(step)

    def passive(self, key: str, *, notices: bool = False, history: bool = False) -> None:
        self.subscriptions.passive(key, notices=notices, history=history)
