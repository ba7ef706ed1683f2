"""The image's entrypoint, run outside a container against a real Synapse: its first
start makes the account and the config, a restart reuses them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from service.admin.devserver import Homeserver, free_port
from tests.deploy_role import rendered_env
from tests.integration.conftest import unique
from tests.integration.matrix_user import User

pytestmark = pytest.mark.integration

ENTRYPOINT = Path(__file__).resolve().parents[2] / "deploy" / "docker" / "entrypoint.sh"


def start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(["/bin/sh", str(ENTRYPOINT)], env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 90
    url = f"http://127.0.0.1:{env['COHOST_HTTP_PORT']}/health"
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-2000:]
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"not healthy: {log.read_text()[-2000:]}")


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)  # exec'd: the signal reaches cohost itself
    return proc.wait(30)


async def test_the_entrypoint_makes_its_config_on_the_first_start_only(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    secret = tmp_path / "registration_shared_secret"
    secret.write_text(homeserver.shared_secret)
    localpart = unique("imagebot")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COHOST_")}
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}:{env['PATH']}",
            "COHOST_CONFIG": str(tmp_path / "data" / "cohost.toml"),
            "COHOST_DATA_DIR": str(tmp_path / "data"),
            "COHOST_HTTP_PORT": str(free_port()),
            "COHOST_LOG_FORMAT": "json",
            "COHOST_INIT_SERVER_NAME": homeserver.server_name,
            "COHOST_INIT_USER": localpart,
            "COHOST_INIT_REGISTRATION_SHARED_SECRET_FILE": str(secret),
        }
    )
    log = tmp_path / "entrypoint.log"
    alice = await User.create(homeserver, unique("alice"))
    proc = start(env, log)
    try:
        dm = await alice.create_dm(f"@{localpart}:{homeserver.server_name}", encrypted=False)
        assert "Pong" in await alice.ask(dm, "!ping")
        assert stop(proc) == 0
        assert log.read_text().count("made the account") == 1

        proc = start(env, log)  # the config exists: no second init, the same bot
        assert "Pong" in await alice.ask(dm, "!ping")
        assert log.read_text().count("made the account") == 1
        assert stop(proc) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        await alice.close()


def test_without_a_config_or_a_server_name_it_says_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COHOST_")}
    env["COHOST_CONFIG"] = str(tmp_path / "cohost.toml")
    result = subprocess.run(
        ["/bin/sh", str(ENTRYPOINT)], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert "COHOST_INIT_SERVER_NAME" in result.stderr


async def test_the_playbook_roles_environment_alone_runs_a_cohost_that_answers(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    """The matrix-docker-ansible-deploy role gives the container an env file and no
    config: the entrypoint runs cohost on those settings (rendered from the role's own
    template, with the test homeserver as the playbook's)."""
    localpart = unique("rolebot")
    account = homeserver.register(localpart)
    rendered = rendered_env(
        matrix_homeserver_container_url=homeserver.url,
        matrix_domain=homeserver.server_name,
        matrix_bot_cohost_login=localpart,
        matrix_bot_cohost_password=account.password,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("COHOST_")}
    env.update(rendered)
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}:{env['PATH']}",
            "COHOST_CONFIG": str(tmp_path / "none.toml"),  # the image's default: absent
            "COHOST_DATA_DIR": str(tmp_path / "data"),  # the role's /data mount
            "COHOST_HTTP_PORT": str(free_port()),
            "COHOST_HTTP_HOST": "127.0.0.1",
        }
    )
    alice = await User.create(homeserver, unique("alice"))
    proc = start(env, tmp_path / "entrypoint.log")
    try:
        dm = await alice.create_dm(account.user_id, encrypted=False)
        assert "Pong" in await alice.ask(dm, "!ping")
        assert stop(proc) == 0
        assert not (tmp_path / "none.toml").exists()  # no config was made
    finally:
        if proc.poll() is None:
            proc.kill()
        await alice.close()
