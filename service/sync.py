"""The sync loop: capped exponential backoff while the homeserver is away, the sync
position saved only after its events are handled, no replay of history on first start."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import structlog
from nio import (
    AsyncClient,
    Event,
    RoomInfo,
    RoomMessagesResponse,
    SyncResponse,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.framework.errors import HomeserverUnavailable, MatrixError
from service.events import EventRouter, own_join
from service.gateway import call, request_json
from service.metrics import Metrics
from service.state_cache import StateCache
from storage.repositories import NEXT_BATCH, SyncStateRepository

log = structlog.get_logger(__name__)

LONG_POLL_MS = 30_000
# On the very first start only the current state matters, not old messages.
FIRST_SYNC_FILTER: dict[str, Any] = {"room": {"timeline": {"limit": 0}}}
# Afterwards, room for most of what happened while cohost was down in one response; a
# timeline cut short ("limited") has its gap filled from the room's history.
CATCH_UP_FILTER: dict[str, Any] = {"room": {"timeline": {"limit": 500}}}
GAP_PAGE = 500
# Beyond this, a room's gap is logged rather than read: days of a busy room.
MAX_GAP = 20_000


class Backoff:
    def __init__(self, first: float = 0.5, cap: float = 30.0) -> None:
        self.first, self.cap = first, cap
        self.next = first

    def failed(self) -> float:
        delay, self.next = self.next, min(self.next * 2, self.cap)
        return delay

    def reset(self) -> None:
        self.next = self.first


class SyncLoop:
    def __init__(
        self,
        client: AsyncClient,
        sessions: async_sessionmaker[AsyncSession],
        router: EventRouter,
        metrics: Metrics,
        ready: asyncio.Event,
        cache: StateCache,
        backoff: Backoff | None = None,
    ) -> None:
        self._client = client
        self._sessions = sessions
        self._router = router
        self._metrics = metrics
        self._ready = ready
        self._cache = cache
        self._backoff = backoff or Backoff()

    async def run(self) -> None:
        async with self._sessions.begin() as session:
            since = await SyncStateRepository(session).get(NEXT_BATCH)
        if since is None:
            log.info("first_start_skipping_history")
        while True:
            try:
                since = await self._once(since)
            except (HomeserverUnavailable, MatrixError) as err:
                self._router.may_replay()
                self._metrics.sync_failures.inc()
                delay = self._backoff.failed()
                log.warning("sync_failed", error=str(err), retry_in=delay)
                await asyncio.sleep(delay)
            except Exception as err:
                # Events are handled each inside its own boundary; what lands here is a
                # batch that could not be read at all. Retried, never the end of cohost.
                self._router.may_replay()
                self._metrics.sync_failures.inc()
                delay = self._backoff.failed()
                log.error("sync_batch_failed", error=type(err).__name__, retry_in=delay)
                await asyncio.sleep(delay)

    async def _once(self, since: str | None) -> str:
        first = since is None
        starting = not self._ready.is_set()
        if starting and not first:
            await self._rooms_joined()
        # A restart resumes from the saved position: what changed while cohost was down,
        # never every room's full state again (the gateway makes a quiet room known to
        # nio when it first sends there).
        resp = await call(
            lambda: self._client.sync(
                timeout=0 if starting else LONG_POLL_MS,
                since=since,
                sync_filter=FIRST_SYNC_FILTER if first else CATCH_UP_FILTER,
            ),
            "sync",
        )
        assert isinstance(resp, SyncResponse)
        with self._metrics.sync_seconds.time():
            await self._handle(resp, since, first)
        self._metrics.synced()
        self._backoff.reset()
        if not self._ready.is_set():
            self._ready.set()
            log.info("first_sync_done")
            await self._router.prune()
        return str(resp.next_batch)

    async def _rooms_joined(self) -> None:
        """Every room cohost is in may keep its state read (each change to it arrives
        by sync), also those quiet since before this start."""
        data = await request_json(self._client, "GET", ["joined_rooms"], None, "joined_rooms")
        self._cache.synced(joined=data.get("joined_rooms", []), changed=(), left=())

    async def _handle(self, resp: SyncResponse, since: str | None, first: bool) -> None:
        self._cache.synced(
            joined=resp.rooms.join,
            changed=[r for r, info in resp.rooms.join.items() if _state_changed(info)],
            left=resp.rooms.leave,
        )
        await self._crypto_housekeeping()
        if not first:
            await self._fill_gaps(resp, since)
        await self._router.handle(resp, with_timeline=not first)
        async with self._sessions.begin() as session:
            await SyncStateRepository(session).put(NEXT_BATCH, resp.next_batch)
        self._router.batch_saved()

    async def _fill_gaps(self, resp: SyncResponse, since: str | None) -> None:
        """Put in front of each cut-short timeline what happened between the last sync
        and its first event, so that no command or vote is skipped. Runs after the
        crypto housekeeping: room keys sent while cohost was down are known by then."""
        for room_id, info in resp.rooms.join.items():
            # A room just joined starts with history from before cohost was there.
            if info.timeline.limited and own_join(info.timeline.events, self._client.user_id) < 0:
                missed = await self._history(room_id, info.timeline.prev_batch, since)
                log.info("timeline_gap_filled", room_id=room_id, events=len(missed))
                info.timeline.events[:0] = missed

    async def _history(self, room_id: str, start: str | None, end: str | None) -> list[Event]:
        """A room's events from `start` back to `end`, oldest first."""
        missed: list[Event] = []
        while start:
            if len(missed) >= MAX_GAP:
                log.warning("timeline_gap_too_long", room_id=room_id, events=len(missed))
                break
            request = partial(self._client.room_messages, room_id, start, end, limit=GAP_PAGE)
            page = await call(request, "room_messages")
            assert isinstance(page, RoomMessagesResponse)
            missed.extend(page.chunk)  # newest first
            start = page.end if page.chunk else None
        return list(reversed(missed))

    async def _crypto_housekeeping(self) -> None:
        """What nio's sync_forever does between syncs, so E2EE keeps working."""
        client = self._client
        if client.olm is None:
            return
        await call(client.send_to_device_messages, "send_to_device")
        if client.should_upload_keys:
            await call(client.keys_upload, "keys_upload")
        if client.should_query_keys:
            await call(client.keys_query, "keys_query")
        if client.should_claim_keys:
            users = client.get_users_for_key_claiming()
            await call(lambda: client.keys_claim(users), "keys_claim")


def _state_changed(info: RoomInfo) -> bool:
    """A joined room's sync entry says its state changed (in the state section, or by a
    state event in the timeline)."""
    return bool(info.state) or any(
        "state_key" in (getattr(e, "source", None) or {}) for e in info.timeline.events
    )
