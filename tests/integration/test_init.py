"""`cohost init` against a real Synapse, scripted and guided, as an admin runs it."""

from __future__ import annotations

import argparse
import stat
import subprocess
import tomllib
from pathlib import Path

import aiohttp
import pytest

from service.admin.devserver import Homeserver
from service.admin.init import Questions, add_arguments, run_init
from service.settings import load_settings
from tests.integration.cohost_process import CohostProcess, cli
from tests.integration.conftest import unique
from tests.integration.matrix_user import User

pytestmark = pytest.mark.integration


def init(*flags: str) -> subprocess.CompletedProcess[str]:
    return cli("init", *flags)


async def test_scripted_init_makes_the_account_and_a_config_cohost_runs_with(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    secret = tmp_path / "shared-secret"
    secret.write_text(homeserver.shared_secret + "\n")
    config, data = tmp_path / "cohost.toml", tmp_path / "data"
    localpart = unique("initbot")
    flags = [
        "--yes",
        f"--server-name={homeserver.server_name}",
        f"--user={localpart}",
        f"--registration-shared-secret-file={secret}",
        f"--config={config}",
        f"--data-dir={data}",
    ]
    made = init(*flags)
    assert made.returncode == 0, made.stdout + made.stderr
    # Found from the server name alone, through the homeserver's .well-known.
    assert f"names {homeserver.url}" in made.stdout
    assert "cohost run --config" in made.stdout
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    written = tomllib.loads(config.read_text())
    assert written["user_id"] == f"@{localpart}:{homeserver.server_name}"
    # The made account's password is kept in data_dir (0600), written before the
    # account was asked for; it is never printed.
    kept = Path(written["password_file"])
    assert kept == (data / "password").resolve()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    password = kept.read_text()
    assert password and password not in made.stdout + made.stderr
    settings = load_settings(config)
    assert settings.homeserver_url == homeserver.url

    # Again: the config is kept, and with --force the existing account is not taken over.
    again = init(*flags)
    assert again.returncode == 1 and "exists; pass --force" in again.stderr
    forced = init(*flags, "--force")
    assert forced.returncode == 1 and "exists already" in forced.stderr
    assert tomllib.loads(config.read_text()) == written
    assert kept.read_text() == password and not (data / "password.pending").exists()

    bot = CohostProcess.configured(config, tmp_path / "run")
    bot.start()
    alice = await User.create(homeserver, unique("alice"))
    try:
        dm = await alice.create_dm(bot.user_id, encrypted=False)
        assert "Pong" in await alice.ask(dm, "!ping")
    finally:
        await alice.close()
        bot.kill()


async def test_guided_init_asks_and_takes_a_password_from_a_file(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    existing = homeserver.register(unique("oldbot"))
    password = tmp_path / "password"
    password.write_text(existing.password)
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([f"--password-file={password}"])
    answers = iter(
        [
            str(tmp_path / "guided.toml"),  # config
            str(tmp_path / "guided-data"),  # data_dir
            homeserver.server_name,  # server name
            "",  # the homeserver URL found: taken
            existing.user_id.split(":")[0][1:],  # the bot's name
        ]
    )
    asked: list[str] = []

    def ask(question: str) -> str:
        asked.append(question)
        return next(answers)

    assert await run_init(args, Questions(args, ask=ask, ask_secret=ask)) == 0
    assert asked[3] == f"Homeserver URL [{homeserver.url}]: "
    written = tomllib.loads((tmp_path / "guided.toml").read_text())
    # The secret stays in its file, which cohost reads at start.
    assert "password" not in written and written["password_file"] == str(password)
    settings = load_settings(tmp_path / "guided.toml")
    assert settings.password is not None
    assert settings.password.get_secret_value() == existing.password


async def test_a_wrong_password_writes_nothing(homeserver: Homeserver, tmp_path: Path) -> None:
    existing = homeserver.register(unique("badbot"))
    wrong = tmp_path / "password"
    wrong.write_text("not-the-password")
    config = tmp_path / "cohost.toml"
    result = init(
        "--yes",
        f"--server-name={homeserver.server_name}",
        f"--user={existing.user_id.split(':')[0][1:]}",
        f"--password-file={wrong}",
        f"--config={config}",
        f"--data-dir={tmp_path / 'data'}",
    )
    assert result.returncode == 1
    assert "cannot log in: M_FORBIDDEN" in result.stderr
    assert not config.exists() and not (tmp_path / "data").exists()


async def test_init_makes_the_account_with_an_admins_token(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    admin = homeserver.register(unique("admin"), admin=True)
    token = tmp_path / "admin-token"
    token.write_text(admin.access_token)
    localpart = unique("tokenbot")
    flags = [
        "--yes",
        f"--server-name={homeserver.server_name}",
        f"--homeserver-url={homeserver.url}",
        f"--user={localpart}",
        f"--admin-token-file={token}",
        f"--data-dir={tmp_path / 'data'}",
    ]
    made = init(*flags, f"--config={tmp_path / 'a.toml'}")
    assert made.returncode == 0, made.stdout + made.stderr
    assert f"made the account @{localpart}:" in made.stdout
    assert "is not rate-limited (Synapse's override_ratelimit)" in made.stdout
    bot = f"@{localpart}:{homeserver.server_name}"
    async with aiohttp.ClientSession() as http:
        override = f"{homeserver.url}/_synapse/admin/v1/users/{bot}/override_ratelimit"
        headers = {"Authorization": f"Bearer {admin.access_token}"}
        async with http.get(override, headers=headers) as resp:
            assert await resp.json() == {"messages_per_second": 0, "burst_count": 0}
    assert load_settings(tmp_path / "a.toml").user_id == f"@{localpart}:{homeserver.server_name}"
    taken = init(*flags, f"--config={tmp_path / 'b.toml'}")  # never over an existing one
    assert taken.returncode == 1 and "exists already" in taken.stderr
    assert not (tmp_path / "b.toml").exists()
    token.write_text("not-an-admin-token")
    other = f"--user={unique('other')}"
    refused = init(*flags[:3], other, *flags[4:], f"--config={tmp_path / 'c.toml'}")
    assert refused.returncode == 1 and "refused the token" in refused.stderr
