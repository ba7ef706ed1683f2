"""Messages cohost cannot decrypt: nobody is left talking to a wall.

For an encrypted message whose room key cohost's device lacks, cohost asks for the key
(`m.room_key_request`), waits briefly, and tries again; read then, the message is
handled as if it had just arrived. Still unreadable, the sender is told once per
session of theirs and at most once a day per room, what happened and what to do; the notice names no
content (cohost has none). "Once" is kept in the database beside the handled events,
so a restart does not tell again (until those records are pruned)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable

import structlog
from nio import AsyncClient, Event, MegolmEvent
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.framework.clock import Clock
from handlers.framework.gateway import MatrixGateway
from handlers.framework.language import _
from handlers.framework.matrix_names import EventType
from handlers.framework.replies import notice
from handlers.framework.types import RoomId, UserId
from storage.repositories import HandledEventRepository

log = structlog.get_logger(__name__)

WAIT_SECONDS = 10.0
Redeliver = Callable[[RoomId, Event], Awaitable[None]]


def explanation(sender: UserId) -> str:
    return _(
        "{sender}, I could not read your last message here: your client did not share "
        "its encryption key with my device. Please send it again. If this keeps "
        "happening, your client may share keys only with verified sessions: my session is "
        "signed by my own identity, so reloading your client usually helps; otherwise "
        "tell your hosts.",
        sender=sender,
    )


class Unreadable:
    def __init__(
        self,
        client: AsyncClient,
        gateway: MatrixGateway,
        redeliver: Redeliver,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        wait: float = WAIT_SECONDS,
    ) -> None:
        self._client = client
        self._gateway = gateway
        self._redeliver = redeliver
        self._sessions = sessions
        self._clock = clock
        self._wait = wait
        self._told: set[str] = set()  # this process's, before the database has it
        self._pending: set[asyncio.Task[None]] = set()

    async def __call__(self, room_id: RoomId, event: MegolmEvent) -> None:
        if event.sender == self._client.user_id:
            return
        log.info("undecryptable_event", room_id=room_id, event_id=event.event_id)
        try:
            await self._client.request_room_key(event)
        except Exception as err:  # asked already for this session, or the request failed
            log.info("room_key_not_requested", error=type(err).__name__)
        task = asyncio.create_task(self._try_again(room_id, event))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _try_again(self, room_id: RoomId, event: MegolmEvent) -> None:
        try:
            await asyncio.sleep(self._wait)
            try:
                readable = self._client.decrypt_event(event)
            except Exception:
                readable = None
            if readable is not None and not isinstance(readable, MegolmEvent):
                log.info("event_decrypted_late", room_id=room_id, event_id=event.event_id)
                await self._redeliver(room_id, readable)
                return
            await self._tell(room_id, event)
        except Exception:
            log.exception("undecryptable_event_failed")

    async def _tell(self, room_id: RoomId, event: MegolmEvent) -> None:
        # Once per session of theirs, and once a day per person and room whatever
        # sessions they name: made-up session ids would otherwise each get a notice.
        today = self._clock.now().date().isoformat()
        marks = [
            _mark("told-unreadable", room_id, event.sender, event.session_id),
            _mark("told-unreadable-day", room_id, event.sender, today),
        ]
        if any(m in self._told for m in marks):
            return
        self._told.update(marks)
        async with self._sessions.begin() as session:
            repository = HandledEventRepository(session)
            if any([await repository.seen(m) for m in marks]):
                return
        sender = UserId(event.sender)
        await self._gateway.send_event(
            room_id,
            EventType.MESSAGE,
            notice(explanation(sender), (sender,)),
            f"cohost-unreadable-{event.session_id}-{event.sender}",
        )
        async with self._sessions.begin() as session:
            for told in marks:
                await HandledEventRepository(session).mark(told, room_id, self._clock.now())
        log.info("sender_told_unreadable", room_id=room_id)


def _mark(what: str, *parts: str) -> str:
    """A record beside the handled events, named by a hash of what it is about."""
    return f"#{what}:{hashlib.sha256(chr(10).join(parts).encode()).hexdigest()}"
