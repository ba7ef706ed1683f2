"""A congregation's crew formation round, as the rate-limit test and benchmark run it:
many members each call a crew at once; how many crews are ready, and how soon."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import yaml

from service.admin.devserver import Homeserver, _request
from service.appservice import registration
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import create_congregation, let_in
from tests.integration.conftest import unique
from tests.integration.matrix_user import User


@dataclass(frozen=True)
class Formation:
    ready: int
    seconds: float


def exempt_people(hs: Homeserver, users: list[User]) -> None:
    """People are not what is measured: the homeserver's admin lifts their limits
    (Synapse's per-user override), so that only cohost's own requests meet them."""
    admin = hs.register(unique("admin"), admin=True)
    for user in users:
        url = f"{hs.url}/_synapse/admin/v1/users/{quote(user.user_id)}/override_ratelimit"
        _request("POST", f"{url}?access_token={admin.access_token}", {})


async def crew_formation(
    hs: Homeserver, bot: CohostProcess, crews: int, within: float
) -> Formation:
    """`crews` members each send `!crew new` in the Lobby at once; counted from the
    first command until all crews are ready or `within` seconds have passed."""
    host = await User.create(hs, unique("host"))
    callers = [await User.create(hs, unique("caller")) for _ in range(crews)]
    people = [host, *callers]
    try:
        exempt_people(hs, people)
        congregation = await create_congregation(host, bot, unique("Formation"))
        for caller in callers:
            await let_in(host, congregation.space, caller)
            await caller.join(congregation.lobby)
        started = time.monotonic()
        for i, caller in enumerate(callers):
            await caller.send(congregation.lobby, f"!crew new Crew{i:02d}")
        ready: set[str] = set()
        while len(ready) < crews and time.monotonic() - started < within:
            await asyncio.sleep(1)
            history = await host.history(congregation.lobby)
            ready = {
                str(e["content"]["body"])
                for e in history
                if e["sender"] == bot.user_id and "is ready: " in str(e["content"].get("body"))
            }
        return Formation(len(ready), time.monotonic() - started)
    finally:
        for person in people:
            await person.close()


def appservice_cohost(root: Path, localpart: str = "cohost") -> tuple[Homeserver, Path]:
    """A homeserver on Synapse's default rate limits that loads cohost's appservice
    registration, and the config cohost runs with there (no password)."""
    root.mkdir(parents=True, exist_ok=True)
    registration_file = root / "registration.yaml"
    hs = Homeserver(root / "synapse", ratelimits=None, appservices=[registration_file])
    user_id = f"@{localpart}:{hs.server_name}"
    content, as_token = registration(user_id)
    registration_file.write_text(yaml.safe_dump(content))
    (root / "as_token").write_text(as_token)
    return hs, appservice_config(root, hs, user_id, root / "as_token")


def appservice_config(root: Path, hs: Homeserver, user_id: str, token_file: Path) -> Path:
    """cohost's config in appservice mode: the token file, and no password."""
    config = root / "cohost.toml"
    config.write_text(
        f'homeserver_url = "{hs.url}"\nuser_id = "{user_id}"\n'
        f'as_token_file = "{token_file}"\ndata_dir = "{root / "data"}"\n'
    )
    return config
