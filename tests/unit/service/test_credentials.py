from __future__ import annotations

import stat
from pathlib import Path

from service.credentials import StoredLogin, load_login, save_login, write_private


def test_stored_login_round_trips_privately_and_never_shows_its_token(tmp_path: Path) -> None:
    login = StoredLogin("http://hs", "@bot:hs", "DEVICE", "syt_secret_token")
    save_login(tmp_path, login)
    assert stat.S_IMODE((tmp_path / "credentials.json").stat().st_mode) == 0o600
    assert load_login(tmp_path, "http://hs", "@bot:hs") == login
    assert "syt_secret_token" not in repr(login)


def test_a_login_for_another_account_or_server_is_not_reused(tmp_path: Path) -> None:
    save_login(tmp_path, StoredLogin("http://hs", "@bot:hs", "DEVICE", "tok"))
    assert load_login(tmp_path, "http://other", "@bot:hs") is None
    assert load_login(tmp_path, "http://hs", "@else:hs") is None
    (tmp_path / "credentials.json").write_text("{not json")
    assert load_login(tmp_path, "http://hs", "@bot:hs") is None


def test_a_leftover_temporary_file_does_not_make_a_secret_readable(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    leftover = secret.with_suffix(".tmp")
    leftover.write_text("old")
    leftover.chmod(0o644)
    write_private(secret, "hunter2")
    assert secret.read_text() == "hunter2"
    assert secret.stat().st_mode & 0o777 == 0o600
    # Nor a link planted where the temporary file goes.
    elsewhere = tmp_path / "readable-by-all"
    leftover.symlink_to(elsewhere)
    write_private(secret, "hunter3")
    assert not elsewhere.exists() and secret.stat().st_mode & 0o777 == 0o600
