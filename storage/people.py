"""A person's own settings (their zone and language for direct messages)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import PersonSettings
from storage.unit import Observe, Store, unobserved


@dataclass(frozen=True)
class Own:
    zone: str | None = None
    language: str | None = None


class PeopleStore(Store):
    """Read on every direct message (which language to speak): kept in memory once
    read, and changed only through this store (one process per database)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], observe: Observe = unobserved
    ) -> None:
        super().__init__(sessions, observe)
        self._known: dict[str, Own] = {}

    async def own(self, user_id: str) -> Own:
        known = self._known
        if user_id in known:
            return known[user_id]
        async with self._unit("own") as s:
            row = await s.get(PersonSettings, user_id)
            found = Own() if row is None else Own(row.zone, row.language)
        known[user_id] = found
        return found

    async def choose(
        self, user_id: str, *, zone: str | None = None, language: str | None = None
    ) -> None:
        """Keep what the person chose (what they did not name stays as it was)."""
        async with self._unit("choose") as s:
            row = await s.get(PersonSettings, user_id)
            if row is None:
                row = PersonSettings(user_id=user_id)
                s.add(row)
            if zone is not None:
                row.zone = zone
            if language is not None:
                row.language = language
            self._known.pop(user_id, None)

    async def forget(self, user_id: str) -> dict[str, int]:
        self._known.pop(user_id, None)
        async with self._unit("forget") as s:
            gone = await s.execute(delete(PersonSettings).where(PersonSettings.user_id == user_id))
            return {"own settings": int(getattr(gone, "rowcount", 0) or 0)}
