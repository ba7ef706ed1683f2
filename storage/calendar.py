"""Crews' calendar feeds: the address of each (an id and a secret)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select

from storage.models import CrewCalendar
from storage.unit import Store


class CalendarStore(Store):
    async def of_crew(self, room_id: str) -> CrewCalendar | None:
        async with self._unit("of_crew") as s:
            return await s.get(CrewCalendar, room_id)

    async def by_feed(self, feed_id: str) -> CrewCalendar | None:
        async with self._unit("by_feed") as s:
            found = await s.scalars(select(CrewCalendar).where(CrewCalendar.feed_id == feed_id))
            return found.first()

    async def address(self, room_id: str, now: datetime, *, reset: bool = False) -> CrewCalendar:
        """The crew's feed, made the first time; a reset makes a new one (the old
        address then leads nowhere)."""
        async with self._unit("address") as s:
            row = await s.get(CrewCalendar, room_id)
            if row is None:
                row = CrewCalendar(room_id=room_id)
                s.add(row)
            elif not reset:
                return row
            row.feed_id = secrets.token_hex(8)
            row.secret = secrets.token_urlsafe(24)
            row.created_at = now
            return row
