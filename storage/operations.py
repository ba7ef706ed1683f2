"""Persisted multi-step operations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Operation
from storage.unit import Store

PENDING, DONE, FAILED = "pending", "done", "failed"


@dataclass(frozen=True)
class NewOperation:
    """An operation to persist with the unit of work that calls for it."""

    id: str
    kind: str
    params: dict[str, Any]
    # What it starts with: the language of the work that called for it, so that what
    # it says speaks that language, also after a restart.
    progress: dict[str, Any] = field(default_factory=dict)


class OperationStore(Store):
    async def add(self, new: NewOperation, at: datetime) -> bool:
        async with self._unit("add") as s:
            return await add_operation(s, new, at)

    async def get(self, op_id: str) -> Operation | None:
        async with self._unit("get") as s:
            return await _get(s, op_id)

    async def pending(self) -> list[Operation]:
        async with self._unit("pending") as s:
            return await _pending(s)

    async def pending_of_kind(self, kind: str) -> list[Operation]:
        async with self._unit("pending_of_kind") as s:
            return [op for op in await _pending(s) if op.kind == kind]

    async def save(self, op_id: str, progress: dict[str, Any], status: str, at: datetime) -> None:
        async with self._unit("save") as s:
            await _save(s, op_id, progress, status, at)

    async def settle(self, op_id: str, at: datetime) -> bool:
        """Done without being run, its parameters forgotten (they may carry a command's
        text); False when it was not pending."""
        async with self._unit("settle") as s:
            op = await s.get(Operation, op_id)
            if op is None or op.status != PENDING:
                return False
            op.params, op.status, op.updated_at = {}, DONE, at
            return True

    async def prune(self, kind: str, before: datetime) -> int:
        """Forget finished operations of a kind last touched before `before`."""
        async with self._unit("prune") as s:
            result = await s.execute(
                delete(Operation).where(
                    Operation.kind == kind,
                    Operation.status != PENDING,
                    Operation.updated_at < before,
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)


# -- queries shared by the units above ----------------------------------------


async def _get(s: AsyncSession, op_id: str) -> Operation | None:
    return await s.get(Operation, op_id)


async def add_operation(s: AsyncSession, new: NewOperation, at: datetime) -> bool:
    """Persist it once; False when an operation of that id exists already."""
    if await _get(s, new.id) is not None:
        return False
    s.add(
        Operation(
            id=new.id,
            kind=new.kind,
            params=new.params,
            progress=dict(new.progress),
            status=PENDING,
            created_at=at,
            updated_at=at,
        )
    )
    return True


async def _pending(s: AsyncSession) -> list[Operation]:
    rows = await s.scalars(
        select(Operation).where(Operation.status == PENDING).order_by(Operation.created_at)
    )
    return list(rows)


async def _save(
    s: AsyncSession, op_id: str, progress: dict[str, Any], status: str, at: datetime
) -> None:
    op = await s.get(Operation, op_id)
    assert op is not None
    # A new dict, so the JSON column is seen as changed.
    op.progress = dict(progress)
    op.status = status
    op.updated_at = at
