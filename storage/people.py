"""A person's own settings (their zone and language for direct messages)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete

from storage.models import PersonSettings
from storage.unit import Store


@dataclass(frozen=True)
class Own:
    zone: str | None = None
    language: str | None = None


class PeopleStore(Store):
    async def own(self, user_id: str) -> Own:
        async with self._unit("own") as s:
            row = await s.get(PersonSettings, user_id)
            return Own() if row is None else Own(row.zone, row.language)

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

    async def forget(self, user_id: str) -> dict[str, int]:
        async with self._unit("forget") as s:
            gone = await s.execute(delete(PersonSettings).where(PersonSettings.user_id == user_id))
            return {"own settings": int(getattr(gone, "rowcount", 0) or 0)}
