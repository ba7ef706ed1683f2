"""The one adapter between handlers and nio: every ErrorResponse becomes a MatrixError,
M_LIMIT_EXCEEDED is retried after the server's delay, sends carry transaction ids."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from aiohttp import ClientError
from nio import AsyncClient, ErrorResponse, RoomSendResponse

from handlers.errors import HomeserverUnavailable, MatrixError
from handlers.types import EventId, RoomId, UserId

log = structlog.get_logger(__name__)

T = TypeVar("T")
DEFAULT_RETRY_AFTER = 5.0
MAX_RATE_LIMIT_RETRIES = 20


def to_matrix_error(resp: ErrorResponse) -> MatrixError:
    transport = getattr(resp, "transport_response", None)
    status = getattr(transport, "status", None)
    retry_after = resp.retry_after_ms / 1000 if resp.retry_after_ms else None
    return MatrixError(status, resp.status_code or "M_UNKNOWN", resp.message, retry_after)


async def call(request: Callable[[], Awaitable[T]], what: str) -> T:
    """Run a nio request; errors become typed exceptions, rate limits are waited out."""
    for attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
        try:
            resp = await request()
        except (ClientError, TimeoutError, OSError) as err:
            raise HomeserverUnavailable(f"{what}: {type(err).__name__}") from err
        if not isinstance(resp, ErrorResponse):
            return resp
        error = to_matrix_error(resp)
        if error.errcode != "M_LIMIT_EXCEEDED" or attempt == MAX_RATE_LIMIT_RETRIES:
            raise error
        delay = error.retry_after or DEFAULT_RETRY_AFTER
        log.info("rate_limited", request=what, retry_after=delay)
        await asyncio.sleep(delay)
    raise AssertionError("unreachable")


class NioGateway:
    """MatrixGateway over a logged-in nio AsyncClient."""

    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    @property
    def user_id(self) -> UserId:
        return UserId(self._client.user_id)

    async def send_event(
        self, room_id: RoomId, event_type: str, content: dict[str, Any], txn_id: str
    ) -> EventId:
        room = self._client.rooms.get(room_id)
        if room is not None and room.encrypted and self._client.should_query_keys:
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

    async def join_room(self, room_id: RoomId) -> None:
        await call(lambda: self._client.join(room_id), "join")

    async def leave_room(self, room_id: RoomId) -> None:
        await call(lambda: self._client.room_leave(room_id), "leave")
