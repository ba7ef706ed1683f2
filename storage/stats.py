"""What /metrics reports of cohost's own state: counted in one read-only transaction."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from storage.decisions import OPEN
from storage.models import IndexedRoom, Operation, Proposal
from storage.operations import PENDING
from storage.unit import Store


@dataclass(frozen=True)
class Stats:
    rooms_by_kind: dict[str, int]
    open_proposals: int
    operations_pending: int


class StatsStore(Store):
    async def read(self) -> Stats:
        async with self._unit("read") as s:
            rooms = await s.execute(
                select(IndexedRoom.kind, func.count())
                .where(IndexedRoom.released.is_(False))
                .group_by(IndexedRoom.kind)
            )
            proposals = await s.scalar(
                select(func.count()).select_from(Proposal).where(Proposal.status == OPEN)
            )
            operations = await s.scalar(
                select(func.count()).select_from(Operation).where(Operation.status == PENDING)
            )
        return Stats(
            {str(kind): int(n) for kind, n in rooms.all()},
            int(proposals or 0),
            int(operations or 0),
        )
