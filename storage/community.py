"""The community index: congregations, crews, networks, and which
room is which. The index mirrors cc.microsolidarity.* room state (see `cohost resync`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Application, Congregation, Crew, IndexedRoom, Network
from storage.unit import Store


@dataclass
class IndexEntries:
    """Rows of the index, as built from Matrix state (see handlers' `index_*`)."""

    rooms: list[IndexedRoom] = field(default_factory=list)
    congregations: list[Congregation] = field(default_factory=list)
    crews: list[Crew] = field(default_factory=list)
    networks: list[Network] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)

    def extend(self, other: IndexEntries) -> None:
        self.rooms += other.rooms
        self.congregations += other.congregations
        self.crews += other.crews
        self.networks += other.networks
        self.applications += other.applications


@dataclass(frozen=True)
class Place:
    """What a room is to cohost: the indexed room, its congregation, its crew."""

    room: IndexedRoom | None
    congregation: Congregation | None
    crew: Crew | None


class CommunityStore(Store):
    """The community index: one transaction per intention, each named for it."""

    async def place(self, room_id: str) -> Place:
        # One query, not three: every event handled asks it first (its language).
        async with self._unit("place") as s:
            found = (
                await s.execute(
                    select(IndexedRoom, Congregation, Crew)
                    .outerjoin(Congregation, Congregation.space_id == IndexedRoom.congregation_id)
                    .outerjoin(Crew, Crew.room_id == IndexedRoom.room_id)
                    .where(IndexedRoom.room_id == room_id)
                )
            ).first()
        if found is None:
            return Place(None, None, None)
        room, congregation, crew = found
        return Place(room, congregation, crew)

    async def congregation(self, space_id: str) -> Congregation | None:
        async with self._unit("congregation") as s:
            return await s.get(Congregation, space_id)

    async def congregations(self) -> list[Congregation]:
        async with self._unit("congregations") as s:
            return list(await s.scalars(select(Congregation).order_by(Congregation.name)))

    async def congregations_in(self, network_id: str) -> list[Congregation]:
        """This cohost's congregations that belong to a network and act there."""
        return [
            c
            for c in await self.congregations()
            if c.network_space_id == network_id and not c.released
        ]

    async def crew_by_name(self, congregation_id: str, name_key: str) -> Crew | None:
        async with self._unit("crew_by_name") as s:
            return await s.scalar(
                select(Crew).where(
                    Crew.congregation_id == congregation_id, Crew.name_key == name_key
                )
            )

    async def crews(self, congregation_id: str) -> list[Crew]:
        async with self._unit("crews") as s:
            return await _crews(s, congregation_id)

    async def crews_called_by(self, caller: str) -> list[Crew]:
        async with self._unit("crews_called_by") as s:
            return list(await s.scalars(select(Crew).where(Crew.caller == caller)))

    async def all_crews(self) -> list[Crew]:
        async with self._unit("all_crews") as s:
            return list(await s.scalars(select(Crew).order_by(Crew.name_key)))

    async def crews_called_since(self, caller: str, since: datetime) -> list[Crew]:
        async with self._unit("crews_called_since") as s:
            rows = await s.scalars(
                select(Crew).where(Crew.caller == caller, Crew.created_at >= since)
            )
            return list(rows)

    async def network(self, space_id: str) -> Network | None:
        async with self._unit("network") as s:
            return await s.get(Network, space_id)

    async def rooms_of(self, congregation_id: str) -> list[IndexedRoom]:
        async with self._unit("rooms_of") as s:
            rows = await s.scalars(
                select(IndexedRoom).where(IndexedRoom.congregation_id == congregation_id)
            )
            return list(rows)

    async def rooms_of_kind(self, kind: str) -> list[str]:
        async with self._unit("rooms_of_kind") as s:
            rows = await s.scalars(
                select(IndexedRoom.room_id).where(
                    IndexedRoom.kind == kind, IndexedRoom.released.is_(False)
                )
            )
            return list(rows)

    async def record_hosts(
        self, space_id: str, hosts: Sequence[str], network_id: str | None
    ) -> None:
        """The congregation's hosts and network as its facts now say."""
        async with self._unit("record_hosts") as s:
            row = await s.get(Congregation, space_id)
            if row is not None:
                row.hosts = list(hosts)
                row.network_space_id = network_id

    async def index(self, entries: IndexEntries) -> None:
        """Add or update rows of the index (a room made, a network joined)."""
        async with self._unit("index") as s:
            await _put(s, entries)

    async def replace_index(self, entries: IndexEntries) -> None:
        """The whole index anew, from Matrix state (`cohost resync`)."""
        async with self._unit("replace_index") as s:
            for model in (Crew, Congregation, Network, IndexedRoom):
                await s.execute(delete(model))
            await _put(s, entries)

    async def mark_released(
        self, congregation_id: str, rooms: Sequence[str], whole_congregation: bool
    ) -> None:
        async with self._unit("mark_released") as s:
            for room in rooms:
                row = await s.get(IndexedRoom, room)
                if row is not None:
                    row.released = True
                crew = await s.get(Crew, room)
                if crew is not None:
                    crew.released = True
            if whole_congregation:
                congregation = await s.get(Congregation, congregation_id)
                if congregation is not None:
                    congregation.released = True
                for crew in await _crews(s, congregation_id):
                    crew.released = True


async def _crews(session: AsyncSession, congregation_id: str) -> list[Crew]:
    rows = await session.scalars(
        select(Crew).where(Crew.congregation_id == congregation_id).order_by(Crew.name_key)
    )
    return list(rows)


async def _put(session: AsyncSession, entries: IndexEntries) -> None:
    for row in (
        *entries.congregations,
        *entries.crews,
        *entries.networks,
        *entries.rooms,
        *entries.applications,
    ):
        await session.merge(row)
