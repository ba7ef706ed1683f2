"""`cohost doctor` on a good setup and on broken ones, as an admin runs it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import aiohttp
import pytest

from service.admin.devserver import Homeserver
from service.admin.init import lift_rate_limits
from tests.integration.cohost_process import CohostProcess, cli
from tests.integration.conftest import unique
from tests.integration.matrix_user import User
from tests.integration.test_identity import device_of, published

pytestmark = pytest.mark.integration


def doctor(bot: CohostProcess, **env: str) -> subprocess.CompletedProcess[str]:
    return cli("doctor", env={**bot.env, **env})


async def test_doctor_passes_a_good_setup_and_names_what_is_broken(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    bot = CohostProcess(homeserver, unique("doctored"), tmp_path / "doctored")
    bot.start()
    alice = await User.create(homeserver, unique("alice"))
    try:
        await published(alice, bot.user_id, device_of(bot))  # signed: the setup is whole
        good = doctor(bot)
        assert good.returncode == 0, good.stdout + good.stderr
        for check in ("homeserver", "login", "room version", "cross-signing", "database"):
            assert f"ok    {check}:" in good.stdout, good.stdout
        assert "(Synapse 1." in good.stdout
        # This homeserver does not federate, and cohost is a plain user here: both said,
        # neither a failure.
        assert "warn  federation: " in good.stdout and "cannot reach yours" in good.stdout
        assert "warn  rate limits: " in good.stdout and "appservice-registration" in good.stdout

        # With an admin's token doctor reads Synapse's override for the bot: not lifted,
        # then lifted (as `cohost init` does it); a token that is no admin's is said so.
        admin = homeserver.register(unique("admin"), admin=True)
        token_file = tmp_path / "admin_token"
        token_file.write_text(admin.access_token)
        limited = cli("doctor", "--admin-token-file", str(token_file), env=bot.env)
        assert "warn  rate limits: not lifted for the bot" in limited.stdout, limited.stdout
        async with aiohttp.ClientSession() as http:
            await lift_rate_limits(http, homeserver.url, admin.access_token, bot.user_id)
        lifted = cli("doctor", "--admin-token-file", str(token_file), env=bot.env)
        assert "ok    rate limits: lifted for the bot" in lifted.stdout, lifted.stdout
        token_file.write_text(alice.client.access_token)
        refused = cli("doctor", "--admin-token-file", str(token_file), env=bot.env)
        assert "warn  rate limits: the admin API refused to say (HTTP 403" in refused.stdout
        missing = cli("doctor", "--admin-token-file", str(tmp_path / "nope"), env=bot.env)
        assert missing.returncode == 2 and "cannot read" in missing.stderr
        assert "Traceback" not in missing.stderr

        data = bot.dir / "data"
        data.chmod(0o755)
        loose = doctor(bot)
        assert loose.returncode == 1
        assert "FAIL  data_dir:" in loose.stdout and "chmod -R go-rwx" in loose.stdout
        data.chmod(0o700)

        gone = doctor(bot, COHOST_HOMESERVER_URL="http://127.0.0.1:1")
        assert gone.returncode == 1
        assert "FAIL  homeserver:" in gone.stdout and "check `homeserver_url`" in gone.stdout
        assert len(gone.stdout.splitlines()) == 1  # nothing else can be checked
    finally:
        await alice.close()
        bot.kill()


async def test_doctor_warns_of_a_federation_certificate_other_servers_refuse(
    tmp_path: Path,
) -> None:
    # This homeserver federates on loopback with a self-signed certificate: reachable,
    # but no other homeserver on the internet would accept it.
    hs = Homeserver(tmp_path / "synapse", federation=True)
    hs.start()
    bot = CohostProcess(hs, "cohost", tmp_path / "bot")
    bot.start()
    try:
        result = doctor(bot)
        assert result.returncode == 0, result.stdout  # a warning, not a failure
        assert f"warn  federation: {hs.server_name} answers without a certificate" in (
            result.stdout
        ), result.stdout
    finally:
        bot.kill()
        hs.stop()
