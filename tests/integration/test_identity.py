"""cohost's cross-signed identity on a real Synapse, as another user's client sees it."""

from __future__ import annotations

import json
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from signedjson.key import decode_verify_key_base64
from signedjson.sign import verify_signed_json

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.conftest import unique
from tests.integration.matrix_user import User

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Published:
    master: str
    self_signing: str
    signed_devices: frozenset[str]


def _only_key(entry: dict[str, Any]) -> str:
    [key] = entry["keys"].values()
    return str(key)


def _verifies(signed: dict[str, Any], user: str, public: str) -> bool:
    key = decode_verify_key_base64("ed25519", public, public)
    try:
        verify_signed_json(signed, user, key)
    except Exception:
        return False
    return True


async def published(user: User, bot: str, device: str | None = None) -> Published:
    """What the homeserver tells anyone of the bot's identity, once it has signed its
    device (`device`, when named): every signature checked."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status, body = await user.api(
            "POST", "/_matrix/client/v3/keys/query", {"device_keys": {bot: []}}
        )
        assert status == 200, body
        master = body.get("master_keys", {}).get(bot)
        self_signing = body.get("self_signing_keys", {}).get(bot)
        if master and self_signing:
            master_key, ssk = _only_key(master), _only_key(self_signing)
            assert _verifies(self_signing, bot, master_key)  # the master signed it
            signed = frozenset(
                d
                for d, keys in body.get("device_keys", {}).get(bot, {}).items()
                if _verifies(keys, bot, ssk)
            )
            if signed and (device is None or device in signed):
                return Published(master_key, ssk, signed)
        await user.sync(500)
    raise AssertionError(f"{bot} never published a cross-signed device")


def device_of(bot: CohostProcess) -> str:
    stored = (bot.dir / "data" / "credentials.json").read_text()
    return str(json.loads(stored)["device_id"])


async def test_cohost_cross_signs_its_device_and_keeps_its_identity(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    bot = CohostProcess(homeserver, unique("signed"), tmp_path / "signed")
    bot.start()
    alice = await User.create(homeserver, unique("alice"))
    try:
        first = await published(alice, bot.user_id, device_of(bot))
        keys = bot.dir / "data" / "cross_signing.json"
        assert stat.S_IMODE(keys.stat().st_mode) == 0o600
        bot.stop()
        bot.start()
        assert await published(alice, bot.user_id, device_of(bot)) == first  # reused

        # The crypto store and the login are lost: a new device, the same identity.
        bot.stop()
        shutil.rmtree(bot.dir / "data" / "crypto")
        (bot.dir / "data" / "credentials.json").unlink()
        bot.start()
        device = device_of(bot)
        again = await published(alice, bot.user_id, device)
        assert device not in first.signed_devices
        assert (again.master, again.self_signing) == (first.master, first.self_signing)
    finally:
        await alice.close()
        bot.kill()


async def test_with_cross_signing_off_the_device_stays_unsigned(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    bot = CohostProcess(homeserver, unique("plain"), tmp_path / "plain", cross_signing="false")
    bot.start()
    alice = await User.create(homeserver, unique("alice"))
    try:
        # Once its device keys are out (where, with the setting on, it would go on to
        # cross-sign) and a while after, nothing is published.
        deadline = time.monotonic() + 60
        body: dict[str, Any] = {}
        while time.monotonic() < deadline and not body.get("device_keys", {}).get(bot.user_id):
            await alice.sync(500)
            _, body = await alice.api(
                "POST", "/_matrix/client/v3/keys/query", {"device_keys": {bot.user_id: []}}
            )
        assert body.get("device_keys", {}).get(bot.user_id), body
        await alice.quiet_for(5)
        status, body = await alice.api(
            "POST", "/_matrix/client/v3/keys/query", {"device_keys": {bot.user_id: []}}
        )
        assert status == 200 and not body.get("master_keys", {}).get(bot.user_id)
    finally:
        await alice.close()
        bot.kill()


async def test_a_message_cohost_cannot_read_gets_one_explanation(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    bot = CohostProcess(homeserver, unique("reader"), tmp_path / "reader")
    bot.start()
    alice = await User.create(homeserver, unique("alice"), store=tmp_path / "alice-crypto")
    try:
        dm = await alice.create_dm(bot.user_id, encrypted=True)
        assert "Pong" in await alice.ask(dm, "!ping")
        # Alice's client withholds its keys from cohost's device from now on.
        if alice.client.should_query_keys:
            await alice.client.keys_query()
        for device in alice.client.device_store.active_user_devices(bot.user_id):
            alice.client.blacklist_device(device)
        assert alice.client.olm is not None
        alice.client.olm.rotate_outbound_group_session(dm)
        await alice.send(dm, "!ping secret plans")
        told = await alice.wait_for_notice(dm, bot.user_id, "could not read", within=60)
        assert "secret" not in told and alice.user_id in told
        await alice.send(dm, "!ping again")  # the same session: not told twice
        await alice.quiet_for(15)
        explanations = [
            e
            for e in alice.notices(dm, bot.user_id)
            if "could not read" in e.source["content"]["body"]
        ]
        assert len(explanations) == 1
    finally:
        await alice.close()
        bot.kill()
