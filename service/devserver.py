"""A throwaway Synapse on loopback, for `cohost demo` and the test suite.

Synapse runs as a child process from the same Python environment; its configuration
comes from the templates in deploy/synapse/."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

TEMPLATES = Path(__file__).resolve().parent.parent / "deploy" / "synapse"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class DemoUser:
    user_id: str
    password: str
    access_token: str = ""
    device_id: str = ""

    def __repr__(self) -> str:  # never show the secrets
        return f"DemoUser({self.user_id!r})"


RELAXED = "relaxed"


class Homeserver:
    def __init__(
        self, directory: Path, *, port: int | None = None, ratelimits: str | None = RELAXED
    ):
        """`ratelimits`: RELAXED (out of the way), None (Synapse's defaults), or YAML."""
        self.dir = directory.resolve()
        self.port = port or free_port()
        self.server_name = f"localhost:{self.port}"
        self.url = f"http://127.0.0.1:{self.port}"
        self.ratelimits = ratelimits
        self._shared_secret = secrets.token_hex(16)
        self._proc: subprocess.Popen[bytes] | None = None

    # -- lifecycle -------------------------------------------------------------
    def configure(self) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        limits = self.ratelimits or ""
        if limits == RELAXED:
            limits = (TEMPLATES / "relaxed-ratelimits.yaml").read_text()
        values = {
            "dir": str(self.dir),
            "port": str(self.port),
            "server_name": self.server_name,
            "shared_secret": self._shared_secret,
            "macaroon_secret": secrets.token_hex(16),
            "form_secret": secrets.token_hex(16),
            "ratelimits": limits,
        }
        for name in ("homeserver.yaml", "log.yaml"):
            text = Template((TEMPLATES / f"{name}.tmpl").read_text()).substitute(values)
            (self.dir / name).write_text(text)
        config = self.dir / "homeserver.yaml"
        if not (self.dir / "signing.key").exists():
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "synapse.app.homeserver",
                    "-c",
                    str(config),
                    "--generate-keys",
                ],
                check=True,
                capture_output=True,
            )
        return config

    def start(self, timeout: float = 60) -> None:
        config = self.dir / "homeserver.yaml"
        if not config.exists():
            self.configure()
        out = open(self.dir / "stdout.log", "ab")  # noqa: SIM115 - owned by the child
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, not Synapse
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"Synapse exited at start; see {self.dir / 'homeserver.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Synapse did not answer within {timeout}s")

    def stop(self, timeout: float = 20) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- users -----------------------------------------------------------------
    def register(
        self, localpart: str, password: str | None = None, admin: bool = False
    ) -> DemoUser:
        """Create a user through the shared-secret admin API (idempotent per name)."""
        password = password or secrets.token_urlsafe(12)
        url = f"{self.url}/_synapse/admin/v1/register"
        nonce = _request("GET", url)["nonce"]
        digest = hmac.new(
            self._shared_secret.encode(),
            b"\x00".join(
                p.encode() for p in (nonce, localpart, password, "admin" if admin else "notadmin")
            ),
            hashlib.sha1,
        ).hexdigest()
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": digest,
        }
        created = _request("POST", url, body)
        return DemoUser(
            created["user_id"],
            password,
            created.get("access_token", ""),
            created.get("device_id", ""),
        )


def _request(method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            result: dict[str, Any] = json.loads(resp.read())
            return result
    except urllib.error.HTTPError as err:
        raise RuntimeError(f"{method} {url}: {err.code} {err.read().decode()[:200]}") from None
