"""Backups refuse what would lose or mix up a cohost, and change nothing when they do."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from service.admin.backup import BackupError, backup, restore
from service.settings import Settings, load_settings


def settings_in(data_dir: Path, user: str = "@cohost:example.org") -> Settings:
    return load_settings(
        homeserver_url="http://127.0.0.1:1", user_id=user, password="pw-123456", data_dir=data_dir
    )


def a_cohost(data_dir: Path) -> Settings:
    data_dir.mkdir()
    (data_dir / "credentials.json").write_text("{}")
    with sqlite3.connect(data_dir / "cohost.db") as db:
        db.execute("CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO sync_state VALUES ('next_batch', 's1')")
    return settings_in(data_dir)


def test_a_backup_restores_and_forgets_where_sync_stood(tmp_path: Path) -> None:
    backup(a_cohost(tmp_path / "old"), tmp_path / "b")
    copied = [tmp_path / "b", *(tmp_path / "b").rglob("*")]
    assert all(stat.S_IMODE(p.stat().st_mode) & 0o077 == 0 for p in copied)  # its user's alone
    restore(settings_in(tmp_path / "new"), tmp_path / "b")
    with sqlite3.connect(tmp_path / "new" / "cohost.db") as db:
        assert db.execute("SELECT count(*) FROM sync_state").fetchone() == (0,)
    restore(settings_in(tmp_path / "moved"), tmp_path / "b", keep_sync_position=True)
    with sqlite3.connect(tmp_path / "moved" / "cohost.db") as db:
        assert db.execute("SELECT value FROM sync_state").fetchone() == ("s1",)


def test_refusals(tmp_path: Path) -> None:
    old = a_cohost(tmp_path / "old")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(BackupError, match="not empty"):
        backup(old, tmp_path / "full")
    with pytest.raises(BackupError, match="no cohost login"):
        backup(settings_in(tmp_path / "empty"), tmp_path / "b0")
    backup(old, tmp_path / "b")
    with pytest.raises(BackupError, match="not a cohost backup"):
        restore(settings_in(tmp_path / "new"), tmp_path / "full")
    with pytest.raises(BackupError, match="the backup is of @cohost:example.org"):
        restore(settings_in(tmp_path / "new", "@other:example.org"), tmp_path / "b")
    with pytest.raises(BackupError, match="holds a cohost already"):
        restore(old, tmp_path / "b")
    assert not (tmp_path / "new").exists()


def test_a_restore_never_replaces_a_live_database_outside_data_dir(tmp_path: Path) -> None:
    live = tmp_path / "live.db"
    with sqlite3.connect(live) as db:
        db.execute("CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("INSERT INTO sync_state VALUES ('next_batch', 's9')")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "credentials.json").write_text("{}")

    def settings(data_dir: Path, database: Path) -> Settings:
        return load_settings(
            homeserver_url="http://127.0.0.1:1",
            user_id="@cohost:example.org",
            password="pw-123456",
            data_dir=data_dir,
            database_url=f"sqlite:///{database}",
        )

    backup(settings(tmp_path / "old", live), tmp_path / "b")
    with pytest.raises(BackupError, match="holds a cohost's state already"):
        restore(settings(tmp_path / "new", live), tmp_path / "b")
    assert not (tmp_path / "new").exists()
    with sqlite3.connect(live) as db:
        assert db.execute("SELECT value FROM sync_state").fetchall() == [("s9",)]
    restore(settings(tmp_path / "elsewhere", tmp_path / "empty.db"), tmp_path / "b")
    assert (tmp_path / "empty.db").exists()
