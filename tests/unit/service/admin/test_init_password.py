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


def test_the_owner_gets_the_config_and_data_dir_for_a_service_user(tmp_path: Path) -> None:
    """`init --owner cohost` as root: systemd's User=cohost reads its own config."""
    import os
    import pwd

    from service.admin.init import give_to, known_user

    with pytest.raises(InitError, match="no user 'no-such-user-here'"):
        known_user("no-such-user-here")
    config, data = tmp_path / "cohost.toml", tmp_path / "data"
    config.write_text("user_id = '@cohost:example.org'\n")
    (data / "crypto").mkdir(parents=True)
    (data / "password").write_text("pw")
    nobody = pwd.getpwnam("nobody").pw_uid
    if os.geteuid() != 0:
        with pytest.raises(InitError, match="only root can give"):
            give_to(nobody, config, data)
        return
    give_to(known_user("nobody"), config, data)
    owned = [config, data, data / "crypto", data / "password"]
    assert {p.stat().st_uid for p in owned} == {nobody}


async def test_an_unknown_owner_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    import argparse

    from service.admin.init import Questions, add_arguments, run_init

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(
        ["--yes", "--owner", "no-such-user-here", "--server-name", "example.org",
         "--config", str(tmp_path / "cohost.toml"), "--data-dir", str(tmp_path / "data")]
    )  # fmt: skip
    assert await run_init(args, Questions(args)) == 1
    assert list(tmp_path.iterdir()) == []
