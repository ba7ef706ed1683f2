"""Element's own SDK against cohost: matrix-js-sdk (what Element Web is built on, with
its Rust crypto), installed from the npm registry by this project's files
(`tests/element/package.json`, `package-lock.json`), in Element's device isolation
modes. In "exclude insecure devices" (`OnlySignedDevicesIsolationMode`) a client shares
room keys only with cross-signed devices and reads only what they send."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from service.devserver import DemoUser, Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import create_congregation, create_crew
from tests.integration.conftest import unique
from tests.integration.matrix_user import User

pytestmark = pytest.mark.integration

ELEMENT = Path(__file__).parent.parent / "element"


def element_client(
    hs: Homeserver,
    bot: CohostProcess,
    mode: str,
    *commands: str,
    room: str = "dm",
    account: DemoUser | None = None,
) -> list[dict[str, Any]]:
    """Run the Element-grade client: one JSON line per command, with the reply it read."""
    if not (ELEMENT / "node_modules" / "matrix-js-sdk").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=ELEMENT, check=True, timeout=300
        )
    account = account or hs.register(unique("elena"))
    localpart = account.user_id[1:].split(":", 1)[0]
    arguments = [hs.url, localpart, account.password, bot.user_id, mode, room, *commands]
    done = subprocess.run(
        ["node", "client.mjs", *arguments],
        cwd=ELEMENT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js 20 and npm"),
]


async def test_element_in_signed_devices_only_mode_talks_to_cohost(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    bot = CohostProcess(homeserver, unique("element"), tmp_path / "element")
    bot.start()
    try:
        [ping] = element_client(homeserver, bot, "signed", "!ping")
        assert ping["body"] and "Pong" in ping["body"], ping
        assert ping["shield"]["colour"] == 0, ping  # EventShieldColour.NONE: nothing flagged

        # In an encrypted crew room, a proposal opened from Element and its answer read.
        alice = await User.create(homeserver, unique("alice"))
        elena = homeserver.register(unique("elena"))
        riverside = await create_congregation(alice, bot, "Element Edge")
        crew = await create_crew(alice, bot, riverside.lobby, f"!crew new Walkers {elena.user_id}")
        await alice.close()
        [opened] = element_client(
            homeserver, bot, "signed", "!propose We meet on Tuesdays", room=crew, account=elena
        )
        assert opened["body"] and "Proposal #1 is open" in opened["body"], opened
        assert opened["shield"]["colour"] == 0, opened
    finally:
        bot.kill()


async def test_without_cross_signing_element_in_that_mode_reads_nothing(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    bot = CohostProcess(
        homeserver, unique("unsigned"), tmp_path / "unsigned", cross_signing="false"
    )
    bot.start()
    try:
        [ping] = element_client(homeserver, bot, "signed", "!ping")
        assert ping["body"] is None, ping  # the key was never shared, or the reply is refused
    finally:
        bot.kill()
