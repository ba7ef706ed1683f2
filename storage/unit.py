"""Units of work owned by the store: each intention-named method of a store opens,
commits and closes its own transaction, so handlers never hold a session. Each unit
is named after its intention (as Synapse's `runInteraction` names its transactions),
and how long it took is told to whoever observes (`cohost_db_unit_seconds{unit}`)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Observe = Callable[[str, float], None]  # a unit's name, its seconds


def unobserved(unit: str, seconds: float) -> None:
    return None


class Store:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], observe: Observe = unobserved
    ) -> None:
        self._sessions = sessions
        self._observe = observe

    @asynccontextmanager
    async def _unit(self, name: str) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block ends, rolled back on an error."""
        started = time.perf_counter()
        try:
            async with self._sessions.begin() as session:
                yield session
        finally:  # named within its store: OperationStore.add, DecisionStore.adopt…
            self._observe(f"{type(self).__name__}.{name}", time.perf_counter() - started)
