"""Who handles which kind of incoming event: a table the composition root fills and
the router reads, so that a feature subscribes to events instead of being called by
hand."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from handlers.framework.types import (
    IncomingInvite,
    IncomingMember,
    IncomingMessage,
    IncomingReaction,
    IncomingRedaction,
    IncomingTombstone,
)

Incoming = (
    IncomingMessage
    | IncomingMember
    | IncomingReaction
    | IncomingRedaction
    | IncomingInvite
    | IncomingTombstone
)
E = TypeVar(
    "E",
    IncomingMessage,
    IncomingMember,
    IncomingReaction,
    IncomingRedaction,
    IncomingInvite,
    IncomingTombstone,
)
Work = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    handler: Callable[[Any], Awaitable[None]]
    # Also for what was said in a room before cohost was asked in (proposals still
    # open there are taken on; nothing else of the past is answered or relayed).
    history: bool = False


class Subscriptions:
    def __init__(self) -> None:
        self._by_kind: defaultdict[type, list[Subscription]] = defaultdict(list)

    def on(
        self, kind: type[E], handler: Callable[[E], Awaitable[None]], *, history: bool = False
    ) -> None:
        self._by_kind[kind].append(Subscription(handler, history))

    def work(self, incoming: Incoming, *, history: bool = False) -> Work | None:
        """The handling of one event by its subscribers, in the order they subscribed;
        None when nobody subscribed (nothing to do, nor to remember)."""
        handlers = [s.handler for s in self._by_kind[type(incoming)] if s.history or not history]
        if not handlers:
            return None
        return partial(_in_order, [partial(h, incoming) for h in handlers])


async def _in_order(works: list[Work]) -> None:
    for work in works:
        await work()
