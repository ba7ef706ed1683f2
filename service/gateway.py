"""The one adapter between handlers and nio: every error becomes a MatrixError,
M_LIMIT_EXCEEDED is retried after the server's delay, sends carry transaction ids."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from functools import partial
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

import structlog
from aiohttp import ClientError
from nio import Api, AsyncClient, ErrorResponse, Event, MatrixRoom, MegolmEvent, RoomSendResponse

from handlers.framework.errors import HomeserverUnavailable, MatrixError
from handlers.framework.matrix_names import EventType
from handlers.framework.types import EventId, RoomId, UserId
from service.state_cache import StateCache

log = structlog.get_logger(__name__)

T = TypeVar("T")
DEFAULT_RETRY_AFTER = 5.0
MAX_RATE_LIMIT_RETRIES = 60
ROOM_SYNC_WAIT_STEPS = 300  # × 0.1 s
HISTORY_PAGES = 20  # × 100 events of one state type, looking for a fact's earlier versions


def to_matrix_error(resp: ErrorResponse) -> MatrixError:
    transport = getattr(resp, "transport_response", None)
    status = getattr(transport, "status", None)
    retry_after = resp.retry_after_ms / 1000 if resp.retry_after_ms else None
    return MatrixError(status, resp.status_code or "M_UNKNOWN", resp.message, retry_after)


class RequestObserver(Protocol):
    """Told of every homeserver request's time and every rate-limit wait (the service
    shows both on /metrics)."""

    def homeserver_request(self, what: str, seconds: float) -> None: ...

    def rate_limited(self, seconds: float) -> None: ...


class _NotObserved:
    def homeserver_request(self, what: str, seconds: float) -> None:
        return None

    def rate_limited(self, seconds: float) -> None:
        return None


# A context variable, not a global: each cohost's tasks report to its own metrics, also
# when several run in one process (as in the tests).
_observer: ContextVar[RequestObserver | None] = ContextVar("request_observer", default=None)
NOT_OBSERVED = _NotObserved()


def observe_requests(observer: RequestObserver) -> None:
    """Report this task's requests, and those of the tasks it starts from now on."""
    _observer.set(observer)


async def call(request: Callable[[], Awaitable[T]], what: str) -> T:
    """Run a request; errors become typed exceptions, rate limits are waited out."""
    observer = _observer.get() or NOT_OBSERVED
    for attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
        started = time.perf_counter()
        try:
            resp = await request()
        except (ClientError, TimeoutError, OSError) as err:
            raise HomeserverUnavailable(f"{what}: {type(err).__name__}") from err
        except MatrixError as err:
            error = err
        else:
            if not isinstance(resp, ErrorResponse):
                return resp
            error = to_matrix_error(resp)
        finally:
            observer.homeserver_request(what, time.perf_counter() - started)
        if error.errcode != "M_LIMIT_EXCEEDED" or attempt == MAX_RATE_LIMIT_RETRIES:
            raise error
        delay = error.retry_after or DEFAULT_RETRY_AFTER
        log.info("rate_limited", request=what, retry_after=delay)
        observer.rate_limited(delay)
        await asyncio.sleep(delay)
    raise AssertionError("unreachable")


class NioGateway:
    """MatrixGateway over a logged-in nio AsyncClient."""

    def __init__(self, client: AsyncClient, cache: StateCache | None = None) -> None:
        self._client = client
        self._room_version: str | None = None
        # Kept current by the sync loop (see service.state_cache); without one, as in
        # `cohost resync`, no room counts as joined and every read goes to the server.
        self._cache = cache or StateCache()

    @property
    def user_id(self) -> UserId:
        return UserId(self._client.user_id)

    # -- timeline --------------------------------------------------------------
    async def send_event(
        self, room_id: RoomId, event_type: str, content: dict[str, Any], txn_id: str
    ) -> EventId:
        room = await self._synced_room(room_id)
        if room.encrypted and not room.members_synced:
            await self._members_invited_too(room)
        if room.encrypted and self._client.should_query_keys:
            # Members' devices must be known before the room key is shared with them.
            await call(self._client.keys_query, "keys_query")
        resp = await call(
            lambda: self._client.room_send(
                room_id, event_type, content, tx_id=txn_id, ignore_unverified_devices=True
            ),
            "room_send",
        )
        assert isinstance(resp, RoomSendResponse)
        return EventId(resp.event_id)

    async def _members_invited_too(self, room: MatrixRoom) -> None:
        """Who the room key goes to includes those only invited: a direct room cohost
        just opened, with its first message, reaches the person once they join. (A room
        as the first sync after its creation shows it may not name its invitees yet, and
        nio's own member read knows only the joined: the first message would stay
        unreadable for the person it is meant for.)"""
        data = await self._json("GET", ["rooms", room.room_id, "members"], None, "members")
        for event in data.get("chunk", []) if isinstance(data, dict) else []:
            content = event.get("content") or {}
            membership = content.get("membership")
            user = event.get("state_key")
            if membership not in ("join", "invite") or not isinstance(user, str):
                continue
            room.add_member(
                user, content.get("displayname"), content.get("avatar_url"), membership == "invite"
            )
        room.members_synced = True
        if self._client.olm is not None:
            self._client.olm.update_tracked_users(room)

    async def _synced_room(self, room_id: RoomId) -> MatrixRoom:
        """nio can only send (and encrypt) in a room it knows. A start reads no room's
        full state (that would grow with every room cohost is in), so a room quiet since
        before it is made known here from the homeserver's word: whether it is
        encrypted; its members are read before the first encrypted send. A room not
        joined yet (an invitation being accepted) arrives by sync instead."""
        room = self._client.rooms.get(room_id)
        if room is not None:
            return room
        try:
            encryption = await self.get_state(room_id, EventType.ENCRYPTION)
        except MatrixError as err:
            if err.errcode != "M_FORBIDDEN":
                raise
        else:
            encrypted = encryption is not None or room_id in self._client.encrypted_rooms
            known = MatrixRoom(room_id, self._client.user_id, encrypted)
            return self._client.rooms.setdefault(room_id, known)
        for _ in range(ROOM_SYNC_WAIT_STEPS):
            room = self._client.rooms.get(room_id)
            if room is not None:
                return room
            await asyncio.sleep(0.1)
        raise MatrixError(None, "M_NOT_SYNCED", f"room {room_id} has not arrived by sync")

    # -- rooms and state -------------------------------------------------------
    async def create_room(self, request: dict[str, Any]) -> RoomId:
        data = await self._json("POST", ["createRoom"], request, "create_room")
        return RoomId(data["room_id"])

    async def put_state(
        self, room_id: RoomId, event_type: str, state_key: str, content: dict[str, Any]
    ) -> EventId:
        path = ["rooms", room_id, "state", event_type, state_key]
        data = await self._changing(room_id, "PUT", path, content, "put_state")
        return EventId(data["event_id"])

    async def get_state(
        self, room_id: RoomId, event_type: str, state_key: str = ""
    ) -> dict[str, Any] | None:
        async def fetch() -> dict[str, Any] | None:
            try:
                content: dict[str, Any] = await self._json(
                    "GET", ["rooms", room_id, "state", event_type, state_key], None, "get_state"
                )
            except MatrixError as err:
                if err.errcode == "M_NOT_FOUND":
                    return None
                raise
            return content

        return await self._cache.read(room_id, (event_type, state_key), fetch)

    async def room_state(self, room_id: RoomId) -> list[dict[str, Any]]:
        return await self._cache.read(room_id, "all", partial(self._full_state, room_id))

    async def state_event(
        self, room_id: RoomId, event_type: str, state_key: str = ""
    ) -> dict[str, Any] | None:
        """One state event whole (its sender too). Read alone, not out of the room's full
        state: a congregation's space holds two events per crew, and each new crew would
        otherwise have the next read fetch and search all of them."""

        async def fetch() -> dict[str, Any] | None:
            path = ["rooms", room_id, "state", event_type, state_key]
            try:
                found = await self._json("GET", path, None, "state_event", [("format", "event")])
            except MatrixError as err:
                if err.errcode == "M_NOT_FOUND":
                    return None
                raise
            if isinstance(found, dict) and found.get("type") == event_type and "sender" in found:
                return found
            # A homeserver that answers with the content alone: the event from the room's
            # full state.
            return next(
                (
                    e
                    for e in await self.room_state(room_id)
                    if e.get("type") == event_type and e.get("state_key") == state_key
                ),
                None,
            )

        return await self._cache.read(room_id, ("event", event_type, state_key), fetch)

    async def _full_state(self, room_id: RoomId) -> list[dict[str, Any]]:
        return list(await self._json("GET", ["rooms", room_id, "state"], None, "room_state"))

    async def event(self, room_id: RoomId, event_id: str) -> dict[str, Any] | None:
        try:
            data = await self._json("GET", ["rooms", room_id, "event", event_id], None, "event")
        except MatrixError as err:
            if err.errcode != "M_NOT_FOUND":
                raise
            # An event from before this homeserver joined the room is not here until
            # the room's history is paged back to it (which backfills it over federation).
            data = await self._paged_back_to(room_id, event_id)
            if data is None:
                raise
        if not isinstance(data, dict):
            return None
        if data.get("type") != "m.room.encrypted":
            return data
        parsed = Event.parse_event(data)
        if not isinstance(parsed, MegolmEvent) or self._client.olm is None:
            return None
        try:
            decrypted = self._client.decrypt_event(parsed)
        except Exception:  # no key for it here: unreadable, not absent
            return None
        source = getattr(decrypted, "source", None)
        return source if isinstance(source, dict) else None

    async def _paged_back_to(self, room_id: RoomId, event_id: str) -> dict[str, Any] | None:
        start: str | None = None
        for _ in range(HISTORY_PAGES):
            paging = [("from", start)] if start else []
            page = await self._json(
                "GET", ["rooms", room_id, "messages"], None, "event_history",
                [("dir", "b"), ("limit", "100"), *paging],
            )  # fmt: skip
            found = next((e for e in page.get("chunk", []) if e.get("event_id") == event_id), None)
            if found is not None:
                return dict(found)
            start = page.get("end")
            if not page.get("chunk") or not start:
                return None
        return None

    async def joined_members(self, room_id: RoomId) -> set[UserId]:
        async def fetch() -> set[UserId]:
            data = await self._json("GET", ["rooms", room_id, "joined_members"], None, "members")
            return {UserId(u) for u in data.get("joined", {})}

        return await self._cache.read(room_id, "joined", fetch)

    async def state_history(
        self, room_id: RoomId, event_type: str, state_key: str, limit: int
    ) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        query = [("dir", "b"), ("limit", "100"), ("filter", json.dumps({"types": [event_type]}))]
        start: str | None = None
        # A hundred events a page; a long look-back (`cohost resync`) pages to the end.
        for _ in range(max(HISTORY_PAGES, limit // 10)):
            paging = [("from", start)] if start else []
            page = await self._json(
                "GET", ["rooms", room_id, "messages"], None, "state_history", query + paging
            )
            for event in page.get("chunk", []):
                if event.get("type") == event_type and event.get("state_key") == state_key:
                    found.append(event)
            start = page.get("end")
            if not page.get("chunk") or not start or len(found) >= limit:
                break
        return found[:limit]

    async def joined_rooms(self) -> list[RoomId]:
        data = await self._json("GET", ["joined_rooms"], None, "joined_rooms")
        return [RoomId(r) for r in data.get("joined_rooms", [])]

    async def default_room_version(self) -> str:
        if self._room_version is None:
            data = await self._json("GET", ["capabilities"], None, "capabilities")
            versions = data.get("capabilities", {}).get("m.room_versions", {})
            self._room_version = str(versions.get("default", "10"))
        return self._room_version

    async def invite(self, room_id: RoomId, user_id: UserId, reason: str | None = None) -> None:
        body: dict[str, Any] = {"user_id": user_id}
        if reason:
            body["reason"] = reason
        await self._changing(room_id, "POST", ["rooms", room_id, "invite"], body, "invite")

    async def kick(self, room_id: RoomId, user_id: UserId, reason: str) -> None:
        body = {"user_id": user_id, "reason": reason}
        await self._changing(room_id, "POST", ["rooms", room_id, "kick"], body, "kick")

    async def join_room(self, room_id: RoomId, via: Sequence[str] = ()) -> None:
        query = [("server_name", s) for s in via]
        await self._changing(room_id, "POST", ["join", room_id], {}, "join", query)

    async def leave_room(self, room_id: RoomId) -> None:
        try:
            await self._json("POST", ["rooms", room_id, "leave"], {}, "leave")
        finally:
            self._cache.synced(joined=(), changed=(), left=[room_id])

    async def knock(self, room_id: RoomId, reason: str, via: Sequence[str]) -> None:
        query = [("server_name", s) for s in via]
        await self._json("POST", ["knock", room_id], {"reason": reason}, "knock", query)

    async def resolve_alias(self, alias: str) -> tuple[RoomId, list[str]]:
        data = await self._json("GET", ["directory", "room", alias], None, "resolve_alias")
        return RoomId(data["room_id"]), list(data.get("servers", []))

    async def _changing(
        self,
        room_id: RoomId,
        method: str,
        parts: Sequence[str],
        body: dict[str, Any],
        what: str,
        query: Sequence[tuple[str, str]] = (),
    ) -> Any:
        """A request that changes the room's state: what was read of it is stale."""
        try:
            return await self._json(method, parts, body, what, query)
        finally:
            self._cache.forget(room_id)

    async def _json(
        self,
        method: str,
        parts: Sequence[str],
        body: dict[str, Any] | None,
        what: str,
        query: Sequence[tuple[str, str]] = (),
    ) -> Any:
        return await request_json(self._client, method, parts, body, what, query)


async def request_json(
    client: AsyncClient,
    method: str,
    parts: Sequence[str],
    body: dict[str, Any] | None,
    what: str,
    query: Sequence[tuple[str, str]] = (),
) -> Any:
    """A client-server API request nio has no method for; errors as MatrixError."""
    path = Api._build_path(list(parts))
    if query:
        path += "?" + urlencode(list(query))
    headers = {
        "Authorization": f"Bearer {client.access_token}",
        "Content-Type": "application/json",
    }

    async def once() -> Any:
        resp = await client.send(
            method, path, json.dumps(body) if body is not None else None, headers
        )
        async with resp:
            data = await resp.json(content_type=None)
        if resp.status < 400:
            return data
        retry_ms = data.get("retry_after_ms") if isinstance(data, dict) else None
        raise MatrixError(
            resp.status,
            (data or {}).get("errcode", "M_UNKNOWN"),
            (data or {}).get("error", ""),
            retry_ms / 1000 if retry_ms else None,
        )

    return await call(once, what)
