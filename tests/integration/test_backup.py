"""`cohost backup` of a running cohost, its data_dir lost, `cohost restore` onto a fresh
one: the same device answers in the encrypted room it was in (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess, cli
from tests.integration.conftest import unique
from tests.integration.matrix_user import User
from tests.storage.conftest import PG_ADMIN_DSN

pytestmark = pytest.mark.integration


def cohost(bot: CohostProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return cli(*args, env=bot.env)


async def lost_and_restored(bot: CohostProcess, person: User, tmp_path: Path, **moved: str) -> None:
    """`moved`: the settings of the machine it is restored on, beyond a fresh data_dir."""
    room = await person.create_dm(bot.user_id, encrypted=True)
    assert "Pong" in await person.ask(room, "!ping")
    device = json.loads((bot.dir / "data" / "credentials.json").read_text())["device_id"]

    saved = cohost(bot, "backup", str(tmp_path / "backup"))  # while it runs
    assert saved.returncode == 0, saved.stderr
    assert "credentials.json" in {p.name for p in (tmp_path / "backup").rglob("*")}
    bot.kill()
    shutil.rmtree(bot.dir / "data")  # the disk is gone

    bot.env["COHOST_DATA_DIR"] = str(tmp_path / "fresh")
    bot.env.update({f"COHOST_{k.upper()}": v for k, v in moved.items()})
    put_back = cohost(bot, "restore", str(tmp_path / "backup"))
    assert put_back.returncode == 0, put_back.stderr
    assert "cohost resync" in put_back.stdout
    again = cohost(bot, "restore", str(tmp_path / "backup"))
    assert again.returncode == 1 and "holds a cohost already" in again.stderr
    resynced = cohost(bot, "resync")
    assert resynced.returncode == 0, resynced.stderr

    bot.start()
    answer = await person.ask(room, "!ping", within=60)
    assert "Pong" in answer
    restored = json.loads((tmp_path / "fresh" / "credentials.json").read_text())
    assert restored["device_id"] == device  # the same device: no new identity to verify


async def test_a_restored_sqlite_cohost_answers_in_its_encrypted_room(
    homeserver: Homeserver, tmp_path: Path, alice_e2ee: User
) -> None:
    bot = CohostProcess(homeserver, unique("saved"), tmp_path / "bot")
    bot.start()
    try:
        await lost_and_restored(bot, alice_e2ee, tmp_path)
    finally:
        bot.kill()


@pytest.fixture
async def two_databases() -> AsyncIterator[tuple[str, str]]:
    """The database cohost ran on, and the empty one a new machine restores into."""
    names = [f"cohost_backup_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        for name in names:
            await admin.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.mark.postgres
async def test_a_restored_postgresql_cohost_answers_in_its_encrypted_room(
    homeserver: Homeserver,
    tmp_path: Path,
    alice_e2ee: User,
    two_databases: tuple[str, str],
) -> None:
    old, new = two_databases
    bot = CohostProcess(homeserver, unique("pgsaved"), tmp_path / "bot", database_url=old)
    bot.start()
    try:
        await lost_and_restored(bot, alice_e2ee, tmp_path, database_url=new)
        assert (tmp_path / "backup" / "database.pgdump").exists()
    finally:
        bot.kill()
