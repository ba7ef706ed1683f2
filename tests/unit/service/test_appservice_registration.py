"""`cohost appservice-registration` names the bot as the config does when not told."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from service.cli import main


@pytest.fixture(autouse=True)
def no_cohost_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COHOST_USER_ID", raising=False)


def test_the_bots_id_comes_from_the_config_when_not_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "cohost.toml"
    # As `cohost init` leaves it for appservice mode: no credentials yet.
    config.write_text(
        'homeserver_url = "https://matrix.example.org"\nuser_id = "@cb:example.org"\n'
    )
    out, token = tmp_path / "registration.yaml", tmp_path / "as-token"
    assert (
        main(
            [
                "appservice-registration",
                "--config",
                str(config),
                "--out",
                str(out),
                "--token-file",
                str(token),
            ]
        )
        == 0
    )
    written = yaml.safe_load(out.read_text())
    assert written["namespaces"]["users"][0]["regex"] == r"^@cb:example\.org$"
    assert written["as_token"] == token.read_text().strip()
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_without_an_id_or_a_config_it_asks_for_one_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "registration.yaml"
    assert main(["appservice-registration", "--out", str(out)]) == 2
    assert "name the bot" in capsys.readouterr().err and not out.exists()
