"""This congregation's applications to networks."""

from __future__ import annotations

from sqlalchemy import delete

from storage.models import Application
from storage.unit import Store


class ApplicationStore(Store):
    async def get(self, network_id: str) -> Application | None:
        async with self._unit("get") as s:
            return await s.get(Application, network_id)

    async def put(self, application: Application) -> None:
        async with self._unit("put") as s:
            await s.merge(application)

    async def drop(self, network_id: str) -> None:
        async with self._unit("drop") as s:
            await s.execute(delete(Application).where(Application.network_id == network_id))
