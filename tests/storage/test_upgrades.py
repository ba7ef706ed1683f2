"""A newer cohost on an older database: from the first schema (0001) to the newest, as
every start does it, on SQLite and PostgreSQL, keeping what was there."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.database import alembic_config, check_schema, make_sessionmaker, migrate
from storage.repositories import HandledEventRepository, SyncStateRepository


async def upgrade_to(engine: AsyncEngine, revision: str) -> None:
    def upgrade(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    async with engine.begin() as conn:
        await conn.run_sync(upgrade)


async def current(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.scalar(text("SELECT version_num FROM alembic_version"))


async def test_the_first_schema_is_brought_to_the_newest_and_keeps_its_rows(
    engine: AsyncEngine,
) -> None:
    await upgrade_to(engine, "0001")
    assert await current(engine) == "0001"
    # What the first release kept: where sync stood, and which events it had handled.
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO sync_state (key, value) VALUES ('next_batch', 's72_first')")
        )
        await conn.execute(
            text(
                "INSERT INTO handled_event (event_id, room_id, handled_at) "
                "VALUES ('$old', '!room:example.org', :at)"
            ),
            {"at": datetime(2026, 11, 27, 12, tzinfo=UTC)},
        )

    await migrate(engine)  # what `cohost run` does at every start

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert await current(engine) == head != "0001"
    await check_schema(engine)  # the models and the migrated tables agree
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as session:
        assert await SyncStateRepository(session).get("next_batch") == "s72_first"
        assert await HandledEventRepository(session).seen("$old")


async def test_each_migration_applies_on_top_of_the_one_before(engine: AsyncEngine) -> None:
    """An older data_dir may stand at any revision: each step runs on its own."""
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    assert revisions[0] == "0001"
    for revision in revisions:
        await upgrade_to(engine, revision)
        assert await current(engine) == revision
    await check_schema(engine)
