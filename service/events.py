"""Turns a nio sync response into handler calls: each event at most once, with an
error boundary around every handler."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from datetime import timedelta
from typing import Any

import structlog
from nio import Event, InviteMemberEvent, MegolmEvent, RoomMessageText, SyncResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.clock import Clock
from handlers.errors import HomeserverUnavailable
from handlers.invites import InviteHandler
from handlers.messages import CommandHandler
from handlers.types import EventId, IncomingInvite, IncomingMessage, RoomId, UserId
from service.metrics import Metrics
from storage.repositories import HandledEventRepository

log = structlog.get_logger(__name__)

# How long handled event ids are remembered; a replayed sync is far younger than this.
HANDLED_RETENTION = timedelta(days=30)


class EventRouter:
    def __init__(
        self,
        own_user_id: str,
        commands: CommandHandler,
        invites: InviteHandler,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        metrics: Metrics,
    ) -> None:
        self._own = own_user_id
        self._commands = commands
        self._invites = invites
        self._sessions = sessions
        self._clock = clock
        self._metrics = metrics

    async def handle(self, response: SyncResponse, *, with_timeline: bool) -> None:
        """Handle one sync batch. Raises HomeserverUnavailable when the batch must be
        retried: the caller then keeps the old sync position."""
        for room_id, info in response.rooms.invite.items():
            inviter = _inviter(info.invite_state, self._own)
            if inviter is not None:
                await self._guarded(
                    self._invites.on_invite(IncomingInvite(RoomId(room_id), inviter))
                )
        if not with_timeline:
            return
        # Rooms in parallel, events of one room in order.
        await asyncio.gather(
            *(
                self._room_timeline(RoomId(room_id), info.timeline.events)
                for room_id, info in response.rooms.join.items()
            )
        )

    async def _room_timeline(self, room_id: RoomId, events: Iterable[Event]) -> None:
        for event in events:
            if isinstance(event, MegolmEvent):
                log.warning("undecryptable_event", room_id=room_id, event_id=event.event_id)
                continue
            if not isinstance(event, RoomMessageText) or event.sender == self._own:
                continue
            await self._once(
                room_id,
                event.event_id,
                self._commands.on_message(
                    IncomingMessage(
                        room_id=room_id,
                        event_id=EventId(event.event_id),
                        sender=UserId(event.sender),
                        body=event.body,
                        encrypted=bool(getattr(event, "decrypted", False)),
                        origin_server_ts=event.server_timestamp,
                    )
                ),
            )

    async def _once(self, room_id: RoomId, event_id: str, work: Coroutine[Any, Any, None]) -> None:
        async with self._sessions.begin() as session:
            already = await HandledEventRepository(session).seen(event_id)
        if already:
            work.close()
            log.info("event_already_handled", event_id=event_id)
            return
        with structlog.contextvars.bound_contextvars(room_id=room_id, event_id=event_id):
            await self._guarded(work)
        async with self._sessions.begin() as session:
            await HandledEventRepository(session).mark(event_id, room_id, self._clock.now())
        self._metrics.events_handled += 1

    async def _guarded(self, work: Coroutine[Any, Any, None]) -> None:
        try:
            await work
        except HomeserverUnavailable:
            raise  # retried with the whole batch once the homeserver is back
        except Exception:
            # One bad event must not stop the loop nor be retried forever.
            self._metrics.handler_errors += 1
            log.exception("handler_failed")

    async def prune(self) -> None:
        async with self._sessions.begin() as session:
            removed = await HandledEventRepository(session).prune(
                self._clock.now() - HANDLED_RETENTION
            )
        if removed:
            log.info("handled_events_pruned", count=removed)


def _inviter(invite_state: Iterable[Event], own: str) -> UserId | None:
    for event in invite_state:
        if (
            isinstance(event, InviteMemberEvent)
            and event.state_key == own
            and event.membership == "invite"
        ):
            return UserId(event.sender)
    return None
