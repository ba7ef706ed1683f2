"""The bot's login, kept in data_dir so that its device (and E2EE identity) survives
restarts: the password is used once, then the stored access token and device."""

from __future__ import annotations

import json
import os
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
    path = data_dir / FILE_NAME
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(login), f)
    os.replace(tmp, path)


def forget_login(data_dir: Path) -> None:
    (data_dir / FILE_NAME).unlink(missing_ok=True)
