"""The PostgreSQL the storage suite runs on: the machine's (127.0.0.1:5432, or
`COHOST_TEST_PG`) when one answers; else a throwaway server of the suite's own, made
from the installed server binaries, as the suite makes its Synapse; else none, said
in one line, and the SQLite half runs alone."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def answers(dsn: str) -> bool:
    url = urlparse(dsn)
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 5432), 1):
            return True
    except OSError:
        return False


def server_binaries() -> Path | None:
    """Where initdb and pg_ctl are: on the PATH, or Debian's versioned directory."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(versions[0]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Throwaway:
    """A PostgreSQL server in a temporary directory, trust authentication on loopback."""

    bin: Path
    dir: Path
    port: int

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        # PostgreSQL refuses to run as root: as root, run it as the postgres user.
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        data = self.dir / "data"
        self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(data), "-o", options, "-w", "-l", str(self.dir / "log"), "start"
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def throwaway() -> Throwaway | None:
    binaries = server_binaries()
    if binaries is None:
        return None
    directory = Path(tempfile.mkdtemp(prefix="cohost-pg-"))
    os.chmod(directory, 0o755)
    return Throwaway(binaries, directory, _free_port())
