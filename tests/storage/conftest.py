"""One storage suite over SQLite and this machine's PostgreSQL (a fresh database each)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import make_engine
from tests.throwaway_postgres import DEFAULT_DSN, answers, throwaway

NO_POSTGRES = "no PostgreSQL answers and no server binaries are installed: SQLite only"

PG_ADMIN_DSN = os.environ.get("COHOST_TEST_PG", DEFAULT_DSN)


@pytest.fixture(scope="session")
def postgres() -> Iterator[str | None]:
    """An admin DSN: the machine's server, a throwaway one, or None (said once)."""
    if answers(PG_ADMIN_DSN):
        yield PG_ADMIN_DSN
        return
    server = throwaway()
    if server is None:
        yield None
        return
    server.start()
    try:
        yield server.dsn
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: str | None
) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cohost.db'}"
        engine = make_engine(url)
        yield engine
        await engine.dispose()
        return
    if postgres is None:
        pytest.skip(NO_POSTGRES)
    name = f"cohost_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(postgres)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = postgres.rsplit("/", 1)[0]
        engine = make_engine(f"{base}/{name}")
        yield engine
        await engine.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
