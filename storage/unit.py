"""Units of work owned by the store: each intention-named method of a store opens,
commits and closes its own transaction, so handlers never hold a session."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


class Store:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def _unit(self) -> AbstractAsyncContextManager[AsyncSession]:
        """One transaction: committed when the block ends, rolled back on an error."""
        return self._sessions.begin()
