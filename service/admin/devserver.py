"""A throwaway Synapse on loopback, for `cohost demo` and the test suite.

Synapse runs as a child process from the same Python environment; its configuration
comes from the templates in deploy/synapse/."""

from __future__ import annotations

import json
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from string import Template
from typing import Any

from service.admin.synapse_admin import registration_mac

TEMPLATES = Path(__file__).resolve().parents[2] / "deploy" / "synapse"


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
        self,
        directory: Path,
        *,
        port: int | None = None,
        ratelimits: str | None = RELAXED,
        federation: bool = False,
        notaries: Sequence[str] = (),
        appservices: Sequence[Path] = (),
    ):
        """`ratelimits`: RELAXED (out of the way), None (Synapse's defaults), or YAML.
        `federation`: also listen for other homeservers (TLS, self-signed) on loopback;
        the server name is then `localhost:<federation port>`."""
        self.dir = directory.resolve()
        self.port = port or free_port()
        self.federation_port = free_port() if federation else None
        self.server_name = f"localhost:{self.federation_port or self.port}"
        self.url = f"http://127.0.0.1:{self.port}"
        self.ratelimits = ratelimits
        # Servers that vouch for the signing keys of others (say, of a homeserver that is
        # gone for good, whose events a newcomer must still verify).
        self.notaries = list(notaries)
        self.appservices = [str(p) for p in appservices]  # registration files
        self.shared_secret = secrets.token_hex(16)
        self._proc: subprocess.Popen[bytes] | None = None

    # -- lifecycle -------------------------------------------------------------
    def configure(self) -> Path:
        self.dir.mkdir(parents=True, exist_ok=True)
        limits = self.ratelimits or ""
        if limits == RELAXED:
            limits = (TEMPLATES / "relaxed-ratelimits.yaml").read_text()
        federation = settings = ""
        if self.federation_port is not None:
            self_signed_certificate(self.dir)
            federation = Template((TEMPLATES / "federation.yaml.tmpl").read_text()).substitute(
                port=str(self.federation_port)
            )
            settings = Template(
                (TEMPLATES / "federation-settings.yaml.tmpl").read_text()
            ).substitute(dir=str(self.dir))
        values = {
            "federation": federation,
            "trusted_key_servers": json.dumps(
                [{"server_name": n, "accept_keys_insecurely": True} for n in self.notaries]
            ),
            "federation_settings": settings,
            "dir": str(self.dir),
            "port": str(self.port),
            "server_name": self.server_name,
            "shared_secret": self.shared_secret,
            "macaroon_secret": secrets.token_hex(16),
            "form_secret": secrets.token_hex(16),
            "ratelimits": limits,
            "appservices": json.dumps(self.appservices),
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
        digest = registration_mac(self.shared_secret, nonce, localpart, password, admin)
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


def self_signed_certificate(directory: Path) -> None:
    """A certificate for "localhost", good enough for federation on loopback with
    certificate checks off."""
    if (directory / "tls.crt").exists():
        return
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (directory / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "tls.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
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
