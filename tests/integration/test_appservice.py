"""Appservice mode on Synapse's default rate limits: the registration cohost writes,
Synapse started with it, and a crew formation round past the room-creation burst that
never waits on a limit; no password anywhere."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess, cli
from tests.integration.formation import appservice_config, crew_formation
from tests.integration.matrix_user import User

pytestmark = pytest.mark.integration

# Synapse's default rc_room_creation lets 10 rooms through, then one a minute.
BEYOND_THE_BURST = 13


def registration_command(user_id: str, out: Path, token: Path) -> subprocess.CompletedProcess[str]:
    return cli(
        "appservice-registration", "--user-id", user_id, "--out", str(out),
        "--token-file", str(token),
    )  # fmt: skip


def write_registration(user_id: str, out: Path, token: Path) -> dict[str, object]:
    made = registration_command(user_id, out, token)
    assert made.returncode == 0, made.stderr
    assert "app_service_config_files" in made.stdout
    registration: dict[str, object] = yaml.safe_load(out.read_text())
    return registration


async def test_appservice_mode_forms_crews_without_meeting_the_rate_limits(
    tmp_path: Path,
) -> None:
    registration_file, token_file = tmp_path / "registration.yaml", tmp_path / "as_token"
    hs = Homeserver(tmp_path / "synapse", ratelimits=None, appservices=[registration_file])
    user_id = f"@cohostas:{hs.server_name}"
    registration = write_registration(user_id, registration_file, token_file)
    assert registration["rate_limited"] is False
    assert registration["io.element.msc4190"] is True  # no appservice /login: devices by PUT
    [users] = registration["namespaces"]["users"]  # type: ignore[index]
    assert users["exclusive"] is True
    assert re.fullmatch(users["regex"], user_id)
    assert not re.fullmatch(users["regex"], f"@someone:{hs.server_name}")
    assert registration["as_token"] == token_file.read_text().strip() != registration["hs_token"]
    again = registration_command(user_id, registration_file, token_file)
    assert again.returncode == 1 and "exists" in again.stderr  # tokens are never replaced

    hs.start()
    config = appservice_config(tmp_path, hs, user_id, token_file)
    bot = CohostProcess.configured(config, tmp_path / "bot")
    bot.start()
    try:
        formation = await crew_formation(hs, bot, BEYOND_THE_BURST, within=150)
        assert formation.ready == BEYOND_THE_BURST, formation
        events = [r.get("event") for r in bot.log_records()]
        assert "rate_limited" not in events
        # Its device made by the appservice itself (MSC4190), as behind MAS.
        assert "appservice_device_made" in events and "appservice_device_by_login" not in events
        assert bot.scrape()[("cohost_rate_limit_waits_total", ())] == 0
        # Its device is cross-signed without a password: the appservice needs none.
        assert "cross_signing_device_signed" in events
        device = json.loads((tmp_path / "data" / "credentials.json").read_text())["device_id"]

        doctor = cli("doctor", "--config", str(config))
        assert doctor.returncode == 0, doctor.stdout
        assert "ok    authentication: the homeserver's own" in doctor.stdout, doctor.stdout
        for check in ("login", "rate limits", "cross-signing"):
            assert f"ok    {check}: " in doctor.stdout, doctor.stdout

        bot.stop()
        bot.start()  # the same device again, through the appservice token
        assert "login_restored" in [r.get("event") for r in bot.log_records()]
        restored = json.loads((tmp_path / "data" / "credentials.json").read_text())
        assert restored["device_id"] == device and restored["access_token"] == ""
        person = await User.create(hs, "pinger")
        try:
            dm = await person.create_dm(user_id, encrypted=False)
            assert "Pong" in await person.ask(dm, "!ping")
        finally:
            await person.close()
    finally:
        bot.kill()
        hs.stop()
