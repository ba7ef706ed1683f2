"""cohost as a user runs it: `cohost run` in a child process, configured by COHOST_*."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from service.admin.devserver import Homeserver, free_port


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A `cohost` command as an admin runs it, to its end."""
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


class CohostProcess:
    def __init__(self, hs: Homeserver, localpart: str, directory: Path, **settings: str) -> None:
        account = hs.register(localpart)
        self.user_id = account.user_id
        self.password = account.password
        self._prepare(directory, settings)
        self.env.update(
            {
                "COHOST_HOMESERVER_URL": hs.url,
                "COHOST_USER_ID": account.user_id,
                "COHOST_PASSWORD": account.password,
                "COHOST_DATA_DIR": str(self.dir / "data"),
            }
        )

    @classmethod
    def configured(cls, config: Path, directory: Path, **settings: str) -> CohostProcess:
        """cohost run with a config file, as `cohost init` wrote it."""
        bot = cls.__new__(cls)
        bot.user_id = tomllib.loads(config.read_text())["user_id"]
        bot._prepare(directory, settings)
        bot.command.extend(["--config", str(config)])
        return bot

    def _prepare(self, directory: Path, settings: dict[str, str]) -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.http_port = free_port()
        self.log_path = self.dir / "cohost.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self.command = [sys.executable, "-m", "service.cli", "run"]
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("COHOST_")}
        self.env.update(
            {
                "COHOST_HTTP_PORT": str(self.http_port),
                "COHOST_LOG_FORMAT": "json",
                **{f"COHOST_{k.upper()}": v for k, v in settings.items()},
            }
        )

    def start(self, timeout: float = 60) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the child
        self._proc = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise AssertionError(f"cohost exited: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{self.http_port}/health", timeout=1
                ) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("cohost did not become healthy")

    def stop(self, timeout: float = 30) -> int:
        proc, self._proc = self._proc, None
        assert proc is not None
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout)

    def kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    def scrape(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """/metrics as Prometheus reads it: each sample by name and labels (the format
        and its content type are checked by the parser of the same library)."""
        url = f"http://127.0.0.1:{self.http_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.headers["Content-Type"] == CONTENT_TYPE_LATEST
            text = resp.read().decode()
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    def log_records(self) -> list[dict[str, object]]:
        records = []
        for line in self.log_path.read_text().splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
        return records
