"""The compose setup, without a container engine: `deploy/compose/setup.sh` writes the
folder; Synapse's own config parser loads the homeserver.yaml it wrote; that Synapse
runs on PostgreSQL with the folder mounted where its containers would see it; and the
image's entrypoint, given the compose file's environment and secrets, brings up a
cohost that answers. What is not checked: the containers themselves (no Docker engine
here): their users reading the mounted files, the images' own health checks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml

from service.admin.devserver import Homeserver, free_port
from tests.integration.conftest import unique
from tests.integration.matrix_user import User
from tests.integration.test_entrypoint import ENTRYPOINT, start, stop
from tests.throwaway_postgres import DEFAULT_DSN, answers

pytestmark = pytest.mark.integration
COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "compose"
PG = os.environ.get("COHOST_TEST_PG", DEFAULT_DSN)


def mounted(value: Any, folder: Path) -> Any:
    """A container path as the host sees it: /data is ./synapse, /run/secrets is
    ./secrets (the compose file's mounts)."""
    if isinstance(value, str):
        return value.replace("/run/secrets/", f"{folder}/secrets/").replace(
            "/data/", f"{folder}/synapse/"
        )
    if isinstance(value, dict):
        return {k: mounted(v, folder) for k, v in value.items()}
    if isinstance(value, list):
        return [mounted(v, folder) for v in value]
    return value


async def database(owner: str) -> str:
    """A fresh database (C collation, as Synapse asks) owned by a role of that name,
    on the machine's PostgreSQL (trust authentication: passwords are not checked)."""
    name = f"{owner}_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG)
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", owner):
            await admin.execute(f'CREATE ROLE "{owner}" LOGIN')
        await admin.execute(
            f'CREATE DATABASE "{name}" OWNER "{owner}" TEMPLATE template0 '
            "LC_COLLATE 'C' LC_CTYPE 'C' ENCODING 'UTF8'"
        )
    finally:
        await admin.close()
    return name


@pytest.mark.skipif(not answers(PG), reason="needs the machine's PostgreSQL")
async def test_the_compose_setup_gives_a_synapse_and_a_cohost_that_answer(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "compose"
    shutil.copytree(COMPOSE, folder)
    port = free_port()
    server_name = f"localhost:{port}"
    done = subprocess.run(["sh", str(folder / "setup.sh"), server_name], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    again = subprocess.run(["sh", str(folder / "setup.sh"), server_name], capture_output=True)
    assert again.returncode == 1 and b"set up already" in again.stderr  # never twice
    assert (folder / ".env").read_text().startswith(
        "# Read by `docker compose`"
    ) and f"SERVER_NAME={server_name}\n" in (folder / ".env").read_text()
    assert oct((folder / "secrets").stat().st_mode & 0o777) == "0o700"
    secret = (folder / "secrets" / "registration_shared_secret").read_text()
    config = yaml.safe_load((folder / "synapse" / "homeserver.yaml").read_text())
    # One secret, read from the file cohost's first start reads too: no copy to drift.
    assert "registration_shared_secret" not in config
    assert config["registration_shared_secret_path"] == "/run/secrets/registration_shared_secret"
    assert (
        config["database"]["name"] == "psycopg2"
        and config["database"]["args"]["host"] == "postgres"
    )

    # Synapse as its container would run it: the folder mounted, PostgreSQL reached as
    # "postgres" (here this machine's, in a database of the test's own).
    host_config = mounted(config, folder)
    host_config["database"]["args"].update(
        host="127.0.0.1", port=5432, dbname=await database("synapse")
    )
    host_config["listeners"][0].update(port=port, bind_addresses=["127.0.0.1"])
    host_config["public_baseurl"] = f"http://127.0.0.1:{port}/"
    host_config["trusted_key_servers"] = []
    path = folder / "synapse" / "host-homeserver.yaml"
    path.write_text(yaml.safe_dump(host_config))
    from synapse.config.homeserver import HomeServerConfig

    parsed = HomeServerConfig.load_config("compose", ["-c", str(path)])
    assert parsed.server.server_name == server_name
    assert parsed.registration.registration_shared_secret == secret

    log = open(folder / "synapse.log", "ab")  # noqa: SIM115 - owned by the child
    synapse = subprocess.Popen(
        [sys.executable, "-m", "synapse.app.homeserver", "-c", str(path)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    cohost = None
    try:
        homeserver = Homeserver(tmp_path / "unused", port=port)
        homeserver.server_name, homeserver.shared_secret = server_name, secret
        deadline = time.monotonic() + 60
        while True:
            assert synapse.poll() is None, (folder / "synapse.log").read_text()[-2000:]
            try:
                with urllib.request.urlopen(f"{homeserver.url}/health", timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "Synapse did not answer"
                time.sleep(0.2)

        # cohost as the compose file starts it: its environment, its secrets mounted.
        compose = yaml.safe_load((folder / "compose.yaml").read_text())
        environment = compose["services"]["cohost"]["environment"]
        url = (folder / "secrets" / "cohost_database_url").read_text().strip()
        assert url.startswith("postgresql://cohost:") and url.endswith("@postgres/cohost")
        reachable = folder / "secrets" / "cohost_database_url.host"
        reachable.write_text(
            url.replace("@postgres/cohost", f"@127.0.0.1:5432/{await database('cohost')}")
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("COHOST_")}
        env.update({k: mounted(str(v), folder) for k, v in environment.items()})
        env.update(
            {
                "PATH": f"{Path(sys.executable).parent}:{env['PATH']}",
                "COHOST_INIT_SERVER_NAME": server_name,  # ${SERVER_NAME} from .env
                "COHOST_INIT_HOMESERVER_URL": homeserver.url,  # "synapse:8008" in its network
                "COHOST_DATABASE_URL_FILE": str(reachable),
                "COHOST_CONFIG": str(tmp_path / "data" / "cohost.toml"),
                "COHOST_DATA_DIR": str(tmp_path / "data"),
                "COHOST_HTTP_PORT": str(free_port()),
                "COHOST_LOG_FORMAT": "json",
            }
        )
        assert Path(env["COHOST_INIT_REGISTRATION_SHARED_SECRET_FILE"]).read_text() == secret
        cohost = start(env, tmp_path / "entrypoint.log")
        alice = await User.create(homeserver, unique("alice"))
        try:
            dm = await alice.create_dm(f"@cohost:{server_name}", encrypted=False)
            assert "Pong" in await alice.ask(dm, "!ping")
        finally:
            await alice.close()
        assert stop(cohost) == 0
        assert ENTRYPOINT.exists()
    finally:
        if cohost is not None and cohost.poll() is None:
            cohost.kill()
        synapse.terminate()
        synapse.wait(20)
        log.close()
