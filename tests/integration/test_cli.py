"""The command line as an operator meets it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_cohost(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("COHOST_")}
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        (
            {"COHOST_USER_ID": "@bot:example.org", "COHOST_PASSWORD": "pw-123"},
            "setting homeserver_url",
        ),
        (
            {
                "COHOST_HOMESERVER_URL": "http://127.0.0.1:1",
                "COHOST_USER_ID": "@bot:example.org",
                "COHOST_PASSWORD": "pw-123",
                "COHOST_HTTP_PORT": "many",
            },
            "setting http_port",
        ),
    ],
)
def test_bad_settings_stop_the_start_with_one_line(
    env: dict[str, str], named: str, tmp_path: Path
) -> None:
    result = run_cohost("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0]
    assert "pw-123" not in result.stderr


def test_migrate_creates_the_database(tmp_path: Path) -> None:
    env = {
        "COHOST_HOMESERVER_URL": "http://127.0.0.1:1",
        "COHOST_USER_ID": "@bot:example.org",
        "COHOST_PASSWORD": "pw-123",
        "COHOST_DATA_DIR": str(tmp_path / "data"),
    }
    result = run_cohost("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "cohost.db").stat().st_size > 0
