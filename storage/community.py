"""Repositories of the community index: congregations, crews, networks, and which
room is which. The index mirrors cc.microsolidarity.* room state (see `cohost resync`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Congregation, Crew, IndexedRoom, Network


class CommunityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # -- rooms -----------------------------------------------------------------
    async def room(self, room_id: str) -> IndexedRoom | None:
        return await self._s.get(IndexedRoom, room_id)

    async def put_room(
        self,
        room_id: str,
        kind: str,
        congregation_id: str | None = None,
        network_id: str | None = None,
        released: bool = False,
    ) -> None:
        await self._s.merge(
            IndexedRoom(
                room_id=room_id,
                kind=kind,
                congregation_id=congregation_id,
                network_id=network_id,
                released=released,
            )
        )

    async def rooms_of(self, congregation_id: str) -> list[IndexedRoom]:
        rows = await self._s.scalars(
            select(IndexedRoom).where(IndexedRoom.congregation_id == congregation_id)
        )
        return list(rows)

    # -- congregations ---------------------------------------------------------
    async def congregation(self, space_id: str) -> Congregation | None:
        return await self._s.get(Congregation, space_id)

    async def congregations(self) -> list[Congregation]:
        rows = await self._s.scalars(select(Congregation).order_by(Congregation.name))
        return list(rows)

    async def put_congregation(self, congregation: Congregation) -> None:
        await self._s.merge(congregation)

    # -- crews -----------------------------------------------------------------
    async def crew(self, room_id: str) -> Crew | None:
        return await self._s.get(Crew, room_id)

    async def crew_by_name(self, congregation_id: str, name_key: str) -> Crew | None:
        return await self._s.scalar(
            select(Crew).where(Crew.congregation_id == congregation_id, Crew.name_key == name_key)
        )

    async def crews(self, congregation_id: str) -> list[Crew]:
        rows = await self._s.scalars(
            select(Crew).where(Crew.congregation_id == congregation_id).order_by(Crew.name_key)
        )
        return list(rows)

    async def crews_called_since(self, caller: str, since: datetime) -> list[Crew]:
        rows = await self._s.scalars(
            select(Crew).where(Crew.caller == caller, Crew.created_at >= since)
        )
        return list(rows)

    async def put_crew(self, crew: Crew) -> None:
        await self._s.merge(crew)

    # -- networks --------------------------------------------------------------
    async def network(self, space_id: str) -> Network | None:
        return await self._s.get(Network, space_id)

    async def put_network(self, network: Network) -> None:
        await self._s.merge(network)

    async def clear(self) -> None:
        """Empty the index before it is rebuilt from Matrix."""
        for model in (Crew, Congregation, Network, IndexedRoom):
            await self._s.execute(delete(model))
