"""Turns a nio sync response into handler calls: each event at most once, with an
error boundary around every handler."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import structlog
from nio import (
    Event,
    InviteMemberEvent,
    MegolmEvent,
    RoomMemberEvent,
    RoomMessageNotice,
    RoomMessageText,
    SyncResponse,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.framework.clock import Clock
from handlers.framework.errors import HomeserverUnavailable
from handlers.framework.matrix_names import (
    ANNOTATION,
    IN_REPLY_TO,
    RELATES_TO,
    REPLACE,
    THREAD,
    EventType,
    Membership,
    Poll,
)
from handlers.framework.registry import looks_like_command
from handlers.framework.subscriptions import Incoming, Subscriptions, Work
from handlers.framework.types import (
    EventId,
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
from service.crypto.verification import verification_event
from service.metrics import Metrics
from storage.repositories import HandledEventRepository

log = structlog.get_logger(__name__)

Unreadable = Callable[[RoomId, MegolmEvent], Awaitable[None]]
Verifying = Callable[[RoomId, dict[str, Any]], Awaitable[None]]

# How long handled event ids are remembered; a replayed sync is far younger than this.
HANDLED_RETENTION = timedelta(days=30)
# A healthy sync loop reads a batch at least every long poll (30 s); a longer gap means
# cohost or its homeserver was away, and what it reads now it reads late.
CATCH_UP_GAP = timedelta(seconds=75)


class EventRouter:
    """Decodes each event once into the typed incoming kind handlers see, and hands it
    to that kind's subscribers (see handlers.framework.subscriptions)."""

    def __init__(
        self,
        own_user_id: str,
        subscriptions: Subscriptions,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        metrics: Metrics,
    ) -> None:
        self._own = own_user_id
        self._subscriptions = subscriptions
        self._sessions = sessions
        self._clock = clock
        self._metrics = metrics
        self._unreadable: Unreadable | None = None
        self._verifying: Verifying | None = None
        # Whether the batch being handled may hold events handled already: the first
        # after a start, and a batch retried after a failure. Otherwise the sync
        # position guarantees new events, and the database need not be asked.
        self._may_replay = True
        # When the last batch was read: commands read after a longer gap (or in the
        # first batch after a start) were read on return from an absence.
        self._last_batch: datetime | None = None
        self._catching_up = True

    def batch_saved(self) -> None:
        """The sync position moved past everything handled so far."""
        self._may_replay = False

    def may_replay(self) -> None:
        """The next batch may repeat events of one that failed part-way."""
        self._may_replay = True

    def when_unreadable(self, handler: Unreadable) -> None:
        """What becomes of a message cohost cannot decrypt (service.crypto.unreadable)."""
        self._unreadable = handler

    def when_verifying(self, handler: Verifying) -> None:
        """Who answers in-room key verification (service.crypto.verification)."""
        self._verifying = handler

    async def handle(self, response: SyncResponse, *, with_timeline: bool) -> None:
        """Handle one sync batch. Raises HomeserverUnavailable when the batch must be
        retried: the caller then keeps the old sync position."""
        for room_id, info in response.rooms.invite.items():
            try:
                invite = _invitation(RoomId(room_id), info.invite_state, self._own)
            except Exception as err:
                log.warning("invite_unreadable", room_id=room_id, error=type(err).__name__)
                continue
            work = self._subscriptions.work(invite) if invite is not None else None
            if work is not None:
                await self._guarded(work)
        if not with_timeline:
            return
        now = self._clock.now()
        self._catching_up = self._last_batch is None or now - self._last_batch > CATCH_UP_GAP
        self._last_batch = now
        # Rooms in parallel, events of one room in order.
        await asyncio.gather(
            *(
                self._room_timeline(RoomId(room_id), info.timeline.events)
                for room_id, info in response.rooms.join.items()
            )
        )

    async def _room_timeline(self, room_id: RoomId, events: Sequence[Event]) -> None:
        # A room just joined comes with some of its history: what was said before cohost
        # was asked in is not answered nor relayed; proposals still open are taken on.
        history_ends = first_addressed(events, self._own)
        for index, event in enumerate(events):
            if isinstance(event, MegolmEvent):
                if self._unreadable is not None and index >= history_ends:
                    # Its own key: once read, the event itself is handled as any other.
                    unreadable = partial(self._unreadable, room_id, event)
                    spoken = partial(self._spoken, room_id, event.sender, unreadable)
                    await self._once(room_id, f"{event.event_id}#unreadable", spoken)
                continue
            verifying = verification_event(event) if self._verifying is not None else None
            if verifying is not None and self._verifying is not None:
                if index >= history_ends:
                    step = partial(self._verifying, room_id, verifying)
                    spoken = partial(self._spoken, room_id, event.sender, step)
                    await self._once(room_id, event.event_id, spoken)
                continue
            try:
                work = self._work_for(room_id, event, history=index < history_ends)
            except Exception as err:
                # Malformed beyond what the accessors expect: logged once, skipped, and
                # the sync position moves on (never a loop that dies on every restart).
                self._metrics.handler_errors.inc()
                log.warning(
                    "event_unreadable",
                    room_id=room_id,
                    event_id=getattr(event, "event_id", None),
                    error=type(err).__name__,
                )
                continue
            if work is not None:
                await self._once(room_id, event.event_id, work)

    async def _spoken(self, room_id: RoomId, person: str, work: Work) -> None:
        """What cohost says of an event no feature handles, in the room's language."""
        await self._subscriptions.spoken(room_id, UserId(person), work)

    def _work_for(self, room_id: RoomId, event: Event, *, history: bool = False) -> Work | None:
        """The handling of an event by its subscribers, or None when cohost has nothing
        to do with it."""
        incoming = self._decode(room_id, event, history=history)
        if incoming is None:
            return None
        return self._subscriptions.work(incoming, history=history)

    def _decode(self, room_id: RoomId, event: Event, *, history: bool) -> Incoming | None:
        """The typed incoming event, or None. Reactions and redactions are read from the
        event source, so that encrypted ones (Element X) and clear ones (Element Web) are
        treated alike. Content is anyone's JSON: every field is read through the checked
        accessors below."""
        source = _mapping(getattr(event, "source", None))
        sender = UserId(str(event.sender))
        if sender == self._own:
            return None
        event_id = EventId(str(event.event_id))
        ts = _int(getattr(event, "server_timestamp", None)) or _int(source.get("origin_server_ts"))
        content = _mapping(source.get("content"))
        if isinstance(event, RoomMessageNotice):
            # Bots speak in notices: what matters is a proposal another cohost opened,
            # and its answers to commands (then no cohost need stand in for it).
            if self._subscriptions.wanted(content, notice=True, history=history):
                body = _text(event.body)
                return IncomingMessage(room_id, event_id, sender, body, False, ts, content, True)
            if not history and isinstance(_relation(content).get(IN_REPLY_TO), dict):
                return IncomingMessage(room_id, event_id, sender, "", False, ts, content, True)
            return None
        if isinstance(event, RoomMessageText):
            body = _text(event.body)
            if _relation(content).get("rel_type") == REPLACE:
                return None  # an edit is never a command (nor a vote, nor a relay)
            # What a feature reads besides commands (and, from history, only that).
            read = self._subscriptions.wanted(content, notice=False, history=history)
            if not read and (history or not looks_like_command(body)):
                return None  # conversation: nothing for cohost to do, nor to remember
            decrypted = bool(getattr(event, "decrypted", False))
            relation = _relation(content)
            root = relation.get("event_id") if relation.get("rel_type") == THREAD else None
            thread = EventId(root) if isinstance(root, str) and root.startswith("$") else None
            return IncomingMessage(
                room_id,
                event_id,
                sender,
                body,
                decrypted,
                ts,
                content,
                thread=thread,
                caught_up=self._catching_up,
            )
        if history:
            return None
        if isinstance(event, RoomMemberEvent):
            if not isinstance(event.state_key, str) or not isinstance(event.membership, str):
                return None
            prev = event.prev_membership if isinstance(event.prev_membership, str) else None
            reason = _text(content.get("reason")) or None
            return IncomingMember(
                room_id, event_id, sender, event.state_key, event.membership, prev, reason
            )
        kind = source.get("type")
        if kind == EventType.REACTION:
            relation = _relation(content)
            target, key = relation.get("event_id"), relation.get("key")
            if (
                relation.get("rel_type") == ANNOTATION
                and isinstance(target, str)
                and isinstance(key, str)
                and target
            ):
                return IncomingReaction(room_id, event_id, sender, EventId(target), key, ts)
        if kind in (Poll.RESPONSE, Poll.STABLE_RESPONSE):
            return _poll_response(room_id, event_id, sender, content, ts)
        if kind == EventType.TOMBSTONE and source.get("state_key") == "":
            replacement = content.get("replacement_room")
            if isinstance(replacement, str) and replacement.startswith("!"):
                return IncomingTombstone(room_id, event_id, sender, RoomId(replacement))
        if kind == EventType.REDACTION:
            redacts = source.get("redacts") or content.get("redacts")
            if isinstance(redacts, str) and redacts:
                return IncomingRedaction(room_id, event_id, sender, EventId(redacts), ts)
        return None

    async def _once(
        self, room_id: RoomId, event_id: str, work: Work, *, may_repeat: bool = False
    ) -> None:
        if self._may_replay or may_repeat:
            async with self._sessions.begin() as session:
                already = await HandledEventRepository(session).seen(event_id)
            if already:
                log.info("event_already_handled", event_id=event_id)
                return
        with structlog.contextvars.bound_contextvars(room_id=room_id, event_id=event_id):
            await self._guarded(work)
        async with self._sessions.begin() as session:
            await HandledEventRepository(session).mark(event_id, room_id, self._clock.now())
        self._metrics.events_handled.inc()

    async def _guarded(self, work: Work) -> None:
        try:
            await work()
        except HomeserverUnavailable:
            raise  # retried with the whole batch once the homeserver is back
        except Exception:
            # One bad event must not stop the loop nor be retried forever.
            self._metrics.handler_errors.inc()
            log.exception("handler_failed")

    async def redeliver(self, room_id: RoomId, event: Event) -> None:
        """An event read late (its room key came): handled as if it had just arrived."""
        work = self._work_for(room_id, event)
        if work is not None:
            await self._once(room_id, event.event_id, work, may_repeat=True)

    async def prune(self) -> None:
        async with self._sessions.begin() as session:
            removed = await HandledEventRepository(session).prune(
                self._clock.now() - HANDLED_RETENTION
            )
        if removed:
            log.info("handled_events_pruned", count=removed)


def own_join(events: Sequence[Event], own: str) -> int:
    """Where this account's own join stands in a timeline (-1: it does not)."""
    for index, event in enumerate(events):
        if (
            isinstance(event, RoomMemberEvent)
            and event.state_key == own
            and event.membership == Membership.JOIN
            and event.prev_membership != Membership.JOIN
        ):
            return index
    return -1


def first_addressed(events: Sequence[Event], own: str) -> int:
    """Where a timeline stops being history for cohost: after its invitation into the
    room, or after its own join where nobody invited it (0 for a room already joined)."""
    joined = own_join(events, own)
    if joined < 0:
        return 0
    if getattr(events[joined], "prev_membership", None) != Membership.INVITE:
        return joined
    for index in range(joined - 1, -1, -1):
        event = events[index]
        if isinstance(event, RoomMemberEvent) and event.state_key == own:
            return index  # the invitation; what follows it was said with cohost asked in
    return 0


def _invitation(room_id: RoomId, invite_state: Iterable[Event], own: str) -> IncomingInvite | None:
    for event in invite_state:
        if (
            isinstance(event, InviteMemberEvent)
            and event.state_key == own
            and event.membership == Membership.INVITE
        ):
            content = _mapping(event.content)
            reason = _text(content.get("reason")) or None
            direct = content.get("is_direct") is True
            return IncomingInvite(room_id, UserId(event.sender), reason, direct)
    return None


# -- reading anyone's JSON ----------------------------------------------------------
def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _relation(content: dict[str, Any]) -> dict[str, Any]:
    return _mapping(content.get(RELATES_TO))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _poll_response(
    room_id: RoomId, event_id: EventId, sender: UserId, content: dict[str, Any], ts: int
) -> IncomingPollResponse | None:
    """An answer to a poll: `{answers}` under the unstable or the stable event type's
    name (Element sends `m.poll.response: {answers}`), or `m.selections`; anyone's
    JSON, read defensively."""
    relation = _relation(content)
    poll = relation.get("event_id")
    if relation.get("rel_type") != Poll.REFERENCE or not isinstance(poll, str) or not poll:
        return None
    body = content.get(Poll.RESPONSE, content.get(Poll.STABLE_RESPONSE))
    raw = body.get("answers") if isinstance(body, dict) else content.get("m.selections")
    answers = tuple(a for a in raw if isinstance(a, str))[:8] if isinstance(raw, list) else ()
    return IncomingPollResponse(room_id, event_id, sender, EventId(poll), answers, ts)
