"""This congregation's applications to networks."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Application
from storage.unit import Store


class ApplicationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, network_id: str) -> Application | None:
        return await self._s.get(Application, network_id)

    async def put(self, application: Application) -> None:
        await self._s.merge(application)

    async def drop(self, network_id: str) -> None:
        await self._s.execute(delete(Application).where(Application.network_id == network_id))


class ApplicationStore(Store):
    async def get(self, network_id: str) -> Application | None:
        async with self._unit("get") as s:
            return await ApplicationRepository(s).get(network_id)

    async def put(self, application: Application) -> None:
        async with self._unit("put") as s:
            await ApplicationRepository(s).put(application)

    async def drop(self, network_id: str) -> None:
        async with self._unit("drop") as s:
            await ApplicationRepository(s).drop(network_id)
