"""Element's own SDK against cohost: matrix-js-sdk (what Element Web is built on, with
its Rust crypto), installed from the npm registry by this project's files
(`tests/element/package.json`, `package-lock.json`), in Element's device isolation
modes. In "exclude insecure devices" (`OnlySignedDevicesIsolationMode`) a client shares
room keys only with cross-signed devices and reads only what they send."""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from service.admin.devserver import DemoUser, Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import create_congregation, create_crew, let_in
from tests.integration.conftest import unique
from tests.integration.matrix_user import User

ELEMENT = Path(__file__).parent.parent / "element"
INSTALLED = ELEMENT / "node_modules" / ".cohost-installed"


def install_sdk() -> None:
    """Install the SDK once for all test workers. The stamp is written only after `npm ci`
    finished, and the lock keeps a second worker from reading a half-written
    node_modules (which is what the package directory alone would let it do)."""
    with open(ELEMENT / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if INSTALLED.exists() and INSTALLED.read_text() == lock_digest():
            return
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=ELEMENT, check=True, timeout=600
        )
        INSTALLED.write_text(lock_digest())


def lock_digest() -> str:
    return hashlib.sha256((ELEMENT / "package-lock.json").read_bytes()).hexdigest()


def element_client(
    hs: Homeserver,
    bot: CohostProcess,
    mode: str,
    *commands: str,
    room: str = "dm",
    account: DemoUser | None = None,
    timeout: float = 300,
) -> list[dict[str, Any]]:
    """Run the Element-grade client: one JSON line per command, with the reply it read."""
    install_sdk()
    account = account or hs.register(unique("elena"))
    localpart = account.user_id[1:].split(":", 1)[0]
    arguments = [hs.url, localpart, account.password, bot.user_id, mode, room, *commands]
    done = subprocess.run(
        ["node", "client.mjs", *arguments],
        cwd=ELEMENT,
        capture_output=True,
        text=True,
        timeout=timeout,
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

        # In an encrypted crew room: Elena proposes from Element; Alice proposes too, and
        # Elena's 👍 (in the clear, as Element Web sends it) passes it; a command sent in a
        # thread is answered.
        alice = await User.create(homeserver, unique("alice"), store=tmp_path / "alice")
        elena = homeserver.register(unique("elena"))
        riverside = await create_congregation(alice, bot, "Element Edge")
        await let_in(alice, riverside.space, elena)
        crew = await create_crew(alice, bot, riverside.lobby, f"!crew new Walkers {elena.user_id}")
        client = asyncio.create_task(
            asyncio.to_thread(
                element_client,
                homeserver,
                bot,
                "signed",
                "!propose We try a silent meeting",
                "wait:Proposal #2:",
                "react",
                "thread:!ping",
                room=crew,
                account=elena,
            )
        )
        await alice.wait_for_notice(crew, bot.user_id, "Proposal #1:", within=120)
        assert "Proposal #2 is open" in await alice.ask(crew, "!propose We meet on Tuesdays")
        await alice.wait_for_notice(crew, bot.user_id, "Proposal #2 passed", within=120)
        opened, waited, reacted, threaded = await client
        await alice.close()
        assert opened["body"] and "Proposal #1 is open" in opened["body"], opened
        assert opened["shield"]["colour"] == 0, opened
        assert waited["found"] and reacted["sent"]
        assert threaded["body"] and "Pong" in threaded["body"], threaded
        assert threaded["thread"], threaded  # answered in the thread it was asked in
    finally:
        bot.kill()


async def test_element_verifies_cohost_by_emoji(homeserver: Homeserver, tmp_path: Path) -> None:
    """Element's "Verify user": the emoji it shows are the ones cohost logs for the admin,
    and afterwards Element counts cohost's identity as verified."""
    bot = CohostProcess(homeserver, unique("verified"), tmp_path / "verified")
    bot.start()
    try:
        verified, ping = element_client(homeserver, bot, "signed", "verify", "!ping")
        assert verified["phase"] == "Done", verified
        assert verified["verified"] is True, verified
        [logged] = [r for r in bot.log_records() if r.get("event") == "verification_sas"]
        assert logged["emoji"] == verified["emoji"], (logged, verified)
        assert logged["decimals"] == verified["decimals"], (logged, verified)
        assert [r for r in bot.log_records() if r.get("event") == "verification_done"]
        assert ping["body"] and "Pong" in ping["body"], ping
        assert ping["shield"]["colour"] == 0, ping
    finally:
        bot.kill()


async def test_without_cross_signing_element_reads_nothing_or_flags_it(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    bot = CohostProcess(
        homeserver, unique("unsigned"), tmp_path / "unsigned", cross_signing="false"
    )
    bot.start()
    try:
        [ping] = element_client(homeserver, bot, "signed", "!ping")
        assert ping["body"] is None, ping  # the key was never shared, or the reply is refused
        # In Element's default mode the reply is read, but flagged: an unsigned device.
        [flagged] = element_client(homeserver, bot, "all", "!ping")
        assert flagged["body"] and "Pong" in flagged["body"], flagged
        assert flagged["shield"]["colour"] != 0, flagged
    finally:
        bot.kill()


async def test_a_picked_person_is_read_and_only_those_asked_are_notified(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    """In an encrypted crew room, two Element clients at once: Elena picks Gus from the
    composer's suggestions (a pill) in `!crew invite`; the proposal cohost posts asks the
    crew's other members, and the SDK's own push-rule evaluation says it notifies and
    highlights for Fay, who is asked, not for Elena, who proposed; the reply to Elena's
    command notifies nobody."""
    bot = CohostProcess(homeserver, unique("athome"), tmp_path / "athome")
    bot.start()
    try:
        alice = await User.create(homeserver, unique("alice"), store=tmp_path / "alice")
        gus = await User.create(homeserver, unique("gus"), store=tmp_path / "gus")
        elena, fay = homeserver.register(unique("elena")), homeserver.register(unique("fay"))
        riverside = await create_congregation(alice, bot, "At Home")
        await let_in(alice, riverside.space, gus)
        await gus.join(riverside.lobby)  # a newcomer in the Lobby: welcomed, by a mention
        welcome = await alice.wait_for_notice(riverside.lobby, bot.user_id, "Welcome to")
        assert gus.user_id in welcome and "`!help`" in welcome, welcome
        for member in (elena, fay):
            await let_in(alice, riverside.space, member)
        crew = await create_crew(
            alice, bot, riverside.lobby, f"!crew new Walkers {elena.user_id} {fay.user_id}"
        )
        asked = asyncio.create_task(
            asyncio.to_thread(
                element_client,
                homeserver,
                bot,
                "signed",
                "push:Proposal #1:",
                room=crew,
                account=fay,
            )
        )
        proposing = asyncio.create_task(
            asyncio.to_thread(
                element_client,
                homeserver,
                bot,
                "signed",
                f"joined:{fay.user_id}",
                f"pill:!crew invite|{gus.user_id}|Gus Gardener",
                "push:Proposal #1:",
                room=crew,
                account=elena,
            )
        )
        [seen_by_fay] = await asked
        joined, reply, seen_by_elena = await proposing
        assert joined["joined"], joined
        assert reply["body"] and "Proposal #1 is open" in reply["body"], reply
        assert (reply["msgtype"], reply["notify"]) == ("m.notice", False), reply
        assert seen_by_fay["found"] and seen_by_fay["msgtype"] == "m.text", seen_by_fay
        assert seen_by_fay["notify"] and seen_by_fay["highlight"], seen_by_fay
        assert f'href="https://matrix.to/#/{gus.user_id}"' in seen_by_fay["formatted"]
        assert seen_by_elena["found"] and not seen_by_elena["highlight"], seen_by_elena
        await alice.close()
        await gus.close()
    finally:
        bot.kill()
