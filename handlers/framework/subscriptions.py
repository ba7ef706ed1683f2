"""Who handles which kind of incoming event: a table the composition root fills and
the router reads, so that a feature subscribes to events instead of being called by
hand."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from handlers.framework.language import speaking
from handlers.framework.memo import carrying, remembering
from handlers.framework.types import (
    IncomingInvite,
    IncomingMember,
    IncomingMessage,
    IncomingPollResponse,
    IncomingReaction,
    IncomingRedaction,
    IncomingTombstone,
    RoomId,
    UserId,
)

Incoming = (
    IncomingMessage
    | IncomingMember
    | IncomingReaction
    | IncomingPollResponse
    | IncomingRedaction
    | IncomingInvite
    | IncomingTombstone
)
E = TypeVar(
    "E",
    IncomingMessage,
    IncomingMember,
    IncomingReaction,
    IncomingPollResponse,
    IncomingRedaction,
    IncomingInvite,
    IncomingTombstone,
)
Work = Callable[[], Awaitable[None]]
# The language spoken while an event is handled: the room's, or in a direct message the
# person's (handlers.framework.language); None keeps the one spoken now.
LanguageOf = Callable[[RoomId, UserId], Awaitable[str | None]]


@dataclass(frozen=True)
class Subscription:
    handler: Callable[[Any], Awaitable[None]]
    # Also for what was said in a room before cohost was asked in (proposals still
    # open there are taken on; nothing else of the past is answered or relayed).
    history: bool = False


@dataclass(frozen=True)
class Passive:
    """Messages that are no command but that a feature reads: those carrying `key` in
    their content (structured protocol data)."""

    key: str
    notices: bool = False  # also in bots' notices (a proposal another cohost opened)
    history: bool = False  # also from before cohost was asked in


class Subscriptions:
    def __init__(self) -> None:
        self._by_kind: defaultdict[type, list[Subscription]] = defaultdict(list)
        self._passive: list[Passive] = []
        self._language_of: LanguageOf | None = None

    def speak_by(self, language_of: LanguageOf) -> None:
        """Handle each event speaking the language of its room (and person)."""
        self._language_of = language_of

    def passive(self, key: str, *, notices: bool = False, history: bool = False) -> None:
        """Have messages carrying `key` in their content decoded for the subscribers."""
        self._passive.append(Passive(key, notices, history))

    def wanted(self, content: dict[str, Any], *, notice: bool, history: bool) -> bool:
        """Whether a message that is no command is read, by what a feature declared."""
        return any(
            isinstance(content.get(p.key), dict)
            and (p.notices or not notice)
            and (p.history or not history)
            for p in self._passive
        )

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
        works: list[Work] = [partial(h, incoming) for h in handlers]
        return partial(self._in_order, incoming, works)

    async def spoken(self, room_id: RoomId, person: UserId, work: Work) -> None:
        """Do `work` speaking the room's language (with a person, in a direct message);
        where the room belongs, read to choose it, serves the checks that follow."""
        with remembering() as read:
            language = None
            if self._language_of is not None:
                language = await self._language_of(room_id, person)
        with speaking(language), carrying(read):
            await work()

    async def _in_order(self, incoming: Incoming, works: list[Work]) -> None:
        person = incoming.inviter if isinstance(incoming, IncomingInvite) else incoming.sender
        await self.spoken(incoming.room_id, person, partial(_each, works))


async def _each(works: list[Work]) -> None:
    for work in works:
        await work()
