"""`cohost backup DIR` and `cohost restore DIR`.

A backup holds a consistent copy of each database (SQLite's online backup API, which
copies a live database page by page under its own lock; `pg_dump` on PostgreSQL), the
crypto store (nio's SQLite file and its device lists), and the stored login, the
crypto store's key and the cross-signing keys: everything in `data_dir`. It can be made
while cohost runs.

A restore puts it back into an empty `data_dir` (and database). By default it forgets
where the sync stood: what happened in Matrix after the backup (rooms made, votes
answered) is not replayed, which would repeat it; `cohost resync` then reads it from
the rooms' state. `--keep-sync-position` is for moving a cohost that was stopped
before its backup, where nothing happened since."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError

from service.credentials import FILE_NAME, private_dir, write_private
from service.settings import Settings
from storage.database import make_engine, make_sessionmaker
from storage.repositories import NEXT_BATCH, SyncStateRepository

FORMAT = 1
MANIFEST = "manifest.json"
DATA = "data"
SQLITE_COPY = "database.sqlite"
PG_DUMP = "database.pgdump"
# SQLite's side files: the backup API's copy already holds what they hold.
SIDE_FILES = ("-wal", "-shm", "-journal")


class BackupError(Exception):
    """Why a backup or restore stopped, with what to do."""


def backup(settings: Settings, target: Path) -> str:
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty; give a new directory")
    data_dir = settings.data_dir.resolve()
    if not (data_dir / FILE_NAME).exists():
        raise BackupError(f"{data_dir} holds no cohost login: nothing to back up")
    private_dir(target)
    url = make_url(settings.effective_database_url)
    database = database_kind(url, data_dir)
    copy_tree(data_dir, target / DATA)
    if database == "sqlite":
        sqlite_copy(Path(str(url.database)), target / SQLITE_COPY)
    elif database == "postgresql":
        run_pg("pg_dump", url, ["--format=custom", "--no-owner", f"--file={target / PG_DUMP}"])
    manifest = {
        "format": FORMAT,
        "cohost": version("cohost"),
        "made_at": datetime.now(UTC).isoformat(),
        "user_id": settings.user_id,
        "database": database,
    }
    write_private(target / MANIFEST, json.dumps(manifest, indent=2))
    return database


def restore(settings: Settings, source: Path, *, keep_sync_position: bool = False) -> None:
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{source} is not a cohost backup (no {MANIFEST})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is a backup of format {manifest.get('format')}, not {FORMAT}")
    if manifest.get("user_id") != settings.user_id:
        raise BackupError(
            f"the backup is of {manifest.get('user_id')}, the settings are for {settings.user_id}"
        )
    data_dir = settings.data_dir.resolve()
    if (data_dir / FILE_NAME).exists():
        raise BackupError(f"{data_dir} holds a cohost already; restore into an empty data_dir")
    url = make_url(settings.effective_database_url)
    database = database_kind(url, data_dir)
    if database != manifest.get("database"):
        raise BackupError(
            f"the backup's database is {manifest.get('database')}, the settings' is {database}"
        )
    if database != "data_dir" and holds_a_cohost(settings.effective_database_url, url):
        raise BackupError(
            "the database the settings name holds a cohost's state already (its sync "
            "position); restore into an empty database"
        )
    copy_tree(source / DATA, data_dir)
    private_dir(data_dir)
    if database == "sqlite":
        Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
        sqlite_copy(source / SQLITE_COPY, Path(str(url.database)))
    elif database == "postgresql":
        flags = ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"]
        run_pg("pg_restore", url, [*flags, str(source / PG_DUMP)])
    if not keep_sync_position:
        forget_sync_position(settings.effective_database_url)


def database_kind(url: URL, data_dir: Path) -> str:
    """ "data_dir" when the database is an SQLite file inside data_dir (copied with it),
    "sqlite" for one elsewhere, "postgresql"."""
    if url.get_backend_name() == "postgresql":
        return "postgresql"
    path = Path(str(url.database)).resolve()
    return "data_dir" if path.is_relative_to(data_dir) else "sqlite"


def copy_tree(source: Path, target: Path) -> None:
    """Every file, each SQLite database through the backup API."""
    private_dir(target)
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir():
            private_dir(target / relative)
        elif path.name.endswith(SIDE_FILES) or path.suffix == ".tmp":
            continue
        elif is_sqlite(path):
            sqlite_copy(path, target / relative)
        else:
            shutil.copyfile(path, target / relative)
            (target / relative).chmod(0o600)


def is_sqlite(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(16) == b"SQLite format 3\x00"


def sqlite_copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT, 0o600)
    os.close(fd)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def holds_a_cohost(database_url: str, url: URL) -> bool:
    """Whether a database outside data_dir is in use by a cohost (it has a sync
    position): a restore must not replace it."""
    if url.get_backend_name() != "postgresql" and not Path(str(url.database)).exists():
        return False

    async def read() -> bool:
        engine = make_engine(database_url)
        try:
            async with make_sessionmaker(engine).begin() as session:
                return await SyncStateRepository(session).get(NEXT_BATCH) is not None
        except SQLAlchemyError:
            return False  # no cohost tables there
        finally:
            await engine.dispose()

    return asyncio.run(read())


def forget_sync_position(database_url: str) -> None:
    """The next start is a first one: history since the backup is not replayed."""

    async def forget() -> None:
        engine = make_engine(database_url)
        try:
            async with make_sessionmaker(engine).begin() as session:
                await SyncStateRepository(session).forget(NEXT_BATCH)
        finally:
            await engine.dispose()

    asyncio.run(forget())


def run_pg(program: str, url: URL, args: list[str]) -> None:
    """A PostgreSQL client program; the password travels in its environment, never on
    its command line."""
    if shutil.which(program) is None:
        raise BackupError(f"{program} is not installed (Debian: postgresql-client)")
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    target = [f"--host={url.host or 'localhost'}", f"--port={url.port or 5432}"]
    if url.username:
        target.append(f"--username={url.username}")
    target.append(f"--dbname={url.database}")
    result = subprocess.run(
        [program, "--no-password", *target, *args], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BackupError(f"{program} failed: {result.stderr.strip()[:300]}")
