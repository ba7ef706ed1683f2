"""Typed access to the tables. Repositories take a session and never commit:
the caller owns the unit of work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HandledEvent, SyncState

NEXT_BATCH = "next_batch"


class SyncStateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, key: str) -> str | None:
        row = await self._session.get(SyncState, key)
        return row.value if row else None

    async def put(self, key: str, value: str) -> None:
        row = await self._session.get(SyncState, key)
        if row is None:
            self._session.add(SyncState(key=key, value=value))
        else:
            row.value = value

    async def forget(self, key: str) -> None:
        row = await self._session.get(SyncState, key)
        if row is not None:
            await self._session.delete(row)


class HandledEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def seen(self, event_id: str) -> bool:
        found = await self._session.scalar(
            select(HandledEvent.event_id).where(HandledEvent.event_id == event_id)
        )
        return found is not None

    async def mark(self, event_id: str, room_id: str, at: datetime) -> None:
        if not await self.seen(event_id):
            self._session.add(HandledEvent(event_id=event_id, room_id=room_id, handled_at=at))

    async def prune(self, before: datetime) -> int:
        result = await self._session.execute(
            delete(HandledEvent).where(HandledEvent.handled_at < before)
        )
        return int(getattr(result, "rowcount", 0) or 0)
