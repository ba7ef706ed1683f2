"""`cohost init` keeps a made account's password on disk before the account exists:
a later failure cannot strand an account whose password nobody has, and a refused
registration leaves nothing behind."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from service.admin.init import InitError, made_with_kept_password


async def test_the_password_is_on_disk_before_the_account_is_asked_for(tmp_path: Path) -> None:
    data = tmp_path / "data"
    seen: list[str] = []

    async def register(password: str) -> None:
        # What the homeserver is sent is already kept, privately.
        [pending] = list(data.iterdir())
        assert pending.read_text() == password
        assert stat.S_IMODE(pending.stat().st_mode) == 0o600
        seen.append(password)

    password, kept = await made_with_kept_password(register, data)
    assert seen == [password] and kept == data / "password"
    assert kept.read_text() == password and list(data.iterdir()) == [kept]
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


async def test_a_refused_registration_leaves_nothing(tmp_path: Path) -> None:
    async def refused(password: str) -> None:
        raise InitError("exists already")

    data = tmp_path / "data"
    with pytest.raises(InitError):
        await made_with_kept_password(refused, data)
    assert not data.exists()
    # A data_dir that was there keeps what it held, an earlier account's password too.
    data.mkdir()
    (data / "password").write_text("the earlier one")
    with pytest.raises(InitError):
        await made_with_kept_password(refused, data)
    assert [p.name for p in data.iterdir()] == ["password"]
    assert (data / "password").read_text() == "the earlier one"
