"""The bot's login, kept in data_dir so that its device (and E2EE identity) survives
restarts: the password is used once, then the stored access token and device."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

FILE_NAME = "credentials.json"


@dataclass(frozen=True)
class StoredLogin:
    homeserver_url: str
    user_id: str
    device_id: str
    access_token: str

    def __repr__(self) -> str:  # never show the token
        return f"StoredLogin(user_id={self.user_id!r}, device_id={self.device_id!r})"


def load_login(data_dir: Path, homeserver_url: str, user_id: str) -> StoredLogin | None:
    path = data_dir / FILE_NAME
    try:
        stored = StoredLogin(**json.loads(path.read_text()))
    except (FileNotFoundError, TypeError, ValueError):
        return None
    if stored.homeserver_url != homeserver_url or stored.user_id != user_id:
        return None
    return stored


def save_login(data_dir: Path, login: StoredLogin) -> None:
    write_private(data_dir / FILE_NAME, json.dumps(asdict(login)))


def write_private(path: Path, text: str) -> None:
    """A file only cohost's user reads, replaced whole (never half-written)."""
    tmp = path.with_suffix(".tmp")
    # A leftover (or planted) temporary file keeps its own mode and may be a link: it
    # goes, and the new one is made afresh, private, never through a link.
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)  # whatever the umask
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


PICKLE_KEY_FILE = "crypto.key"
# What nio pickles a store with when given no key (stores made before cohost kept one).
NIO_DEFAULT_PICKLE_KEY = "DEFAULT_KEY"


def private_dir(path: Path) -> Path:
    """A directory only cohost's user can enter (0700), made if missing; what an
    earlier version left in it readable by others is made private too (files 0600)."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    for inner in path.rglob("*"):
        if not inner.is_symlink():
            inner.chmod(0o700 if inner.is_dir() else 0o600)
    return path


def pickle_key(data_dir: Path) -> str:
    """The secret the crypto store is pickled with: made at first start (0600) and kept.
    A store that an earlier cohost made without one keeps nio's default key, since the
    account and sessions in it can only be read with the key they were pickled with."""
    path = data_dir / PICKLE_KEY_FILE
    if path.exists():
        return path.read_text().strip()
    if any((data_dir / "crypto").glob("*.db")):
        return NIO_DEFAULT_PICKLE_KEY
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def forget_login(data_dir: Path) -> None:
    (data_dir / FILE_NAME).unlink(missing_ok=True)
