"""Bad settings stop the start with one line that names the setting."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from service.settings import SettingsError, load_settings

GOOD = {
    "homeserver_url": "http://127.0.0.1:8008",
    "user_id": "@cohost:example.org",
    "password": "s3cret-pw",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("COHOST_"):
            monkeypatch.delenv(key)


def test_defaults_follow_the_bots_server(tmp_path: Path) -> None:
    settings = load_settings(**GOOD, data_dir=tmp_path)
    assert settings.effective_creators == ["*:example.org"]
    assert settings.effective_allowed_inviters == ["*:example.org", "members"]
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve() / 'cohost.db'}"
    assert settings.crew_window == timedelta(days=2)
    assert settings.membership_decided_by == "hosts"


def test_the_environment_overrides_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cohost.toml"
    config.write_text(
        'homeserver_url = "http://hs.example:8008"\nuser_id = "@bot:hs.example"\n'
        'password = "from-file"\ncreators = ["@alice:hs.example"]\ncrew_window = "P3D"\n'
    )
    monkeypatch.setenv("COHOST_USER_ID", "@other:hs.example")
    settings = load_settings(config)
    assert settings.user_id == "@other:hs.example"
    assert settings.creators == ["@alice:hs.example"]
    assert settings.crew_window == timedelta(days=3)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"homeserver_url": None}, "setting homeserver_url: is required"),
        ({"homeserver_url": "matrix.example.org"}, "setting homeserver_url: must start with http"),
        ({"user_id": "cohost"}, "setting user_id: must be a full Matrix user id"),
        ({"password": None}, "setting password: set password, access_token or as_token"),
        ({"password": "changeme"}, "setting password: is still a placeholder"),
        ({"http_port": 70000}, "setting http_port"),
        ({"membership_decided_by": "everyone"}, "setting membership_decided_by"),
        ({"creators": ["alice"]}, "setting creators: 'alice' is neither"),
        ({"crew_window": "-P1D"}, "setting crew_window: must be longer than zero"),
        ({"log_format": "xml"}, "setting log_format"),
        ({"colour": "blue"}, "setting colour: is not a cohost setting"),
    ],
)
def test_bad_settings_fail_with_the_settings_name(overrides: dict[str, object], named: str) -> None:
    values = {k: v for k, v in {**GOOD, **overrides}.items() if v is not None}
    with pytest.raises(SettingsError) as err:
        load_settings(**values)
    assert named in str(err.value)
    assert "\n" not in str(err.value)


def test_a_bad_environment_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COHOST_HTTP_PORT", "eighty")
    with pytest.raises(SettingsError, match="setting http_port"):
        load_settings(**GOOD)


def test_a_malformed_config_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("homeserver_url = ")
    with pytest.raises(SettingsError, match="is not valid TOML"):
        load_settings(config)
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")


def test_secrets_do_not_show_in_repr() -> None:
    settings = load_settings(**GOOD)
    assert "s3cret-pw" not in repr(settings)


def test_secrets_come_from_files_as_systemd_credentials_and_docker_secrets_give_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "password").write_text("from-a-file\n")
    (tmp_path / "db").write_text("postgresql+asyncpg://cohost:pw@db/cohost")
    monkeypatch.setenv("COHOST_PASSWORD_FILE", str(tmp_path / "password"))
    values = {k: v for k, v in GOOD.items() if k != "password"}
    settings = load_settings(**values, database_url_file=tmp_path / "db")
    assert settings.password is not None
    assert settings.password.get_secret_value() == "from-a-file"
    assert settings.effective_database_url.endswith("@db/cohost")


def test_a_secret_file_that_cannot_be_read_or_doubles_a_value_is_named() -> None:
    with pytest.raises(
        SettingsError,
        match=r"setting password_file: /nonexistent cannot be read by (user \S+ )?\(?uid",
    ):
        load_settings(**{**GOOD, "password": None}, password_file="/nonexistent")
    with pytest.raises(SettingsError, match="set password or password_file, not both"):
        load_settings(**GOOD, password_file="/etc/hostname")


def test_an_unreadable_config_file_is_one_line_naming_the_file_and_the_user(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from service.cli import main

    unreadable = tmp_path / "cohost.toml"
    unreadable.mkdir()  # a directory where the file should be: no user can read it as one
    with pytest.raises(SettingsError, match=r"config file .*cohost.toml cannot be read by"):
        load_settings(unreadable)
    assert main(["run", "--config", str(unreadable)]) == 2
    said = capsys.readouterr().err
    assert said.count("\n") == 1 and "Traceback" not in said
    assert said.startswith(f"cohost: config file {unreadable} cannot be read by ")


def test_unknown_cohost_variables_are_named_and_their_values_never(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from service.settings import unknown_variables

    environment = {
        "COHOST_PASWORD": "typo-secret",  # a typo: a setting that would silently not apply
        "COHOST_PASSWORD": "right",
        "COHOST_CONFIG": "/etc/cohost.toml",  # the image's entrypoint reads it
        "COHOST_INIT_USER": "cohost",
        "HOME": "/root",
    }
    assert unknown_variables(environment) == ["COHOST_PASWORD"]


def test_the_log_level_is_a_setting() -> None:
    assert load_settings(**GOOD).log_level == "info"
    assert load_settings(**GOOD, log_level="debug").log_level == "debug"
    with pytest.raises(SettingsError, match="setting log_level"):
        load_settings(**GOOD, log_level="loud")


def test_the_example_config_is_written_from_the_settings_and_stays_in_step() -> None:
    """deploy/cohost.example.toml is what `cohost example-config` writes now; every
    setting is in it, described, with its default, and in the README's table; with a
    password it loads to exactly the defaults."""
    import re
    import tomllib

    from service.admin.example_config import example_config
    from service.settings import Settings

    root = Path(__file__).resolve().parents[3]
    text = example_config()
    assert (root / "deploy" / "cohost.example.toml").read_text() == text, (
        "run `cohost example-config > deploy/cohost.example.toml`"
    )
    readme_table = set(re.findall(r"`([a-z_]+)`", root.joinpath("README.md").read_text()))
    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert re.search(rf"^#? ?{name} = ", text, re.MULTILINE), name
        assert name in readme_table, f"{name} is missing from the README's settings"

    # Uncommenting a default changes nothing: each commented line is the default.
    def has_default(line: str) -> bool:
        found = re.match(r"# ([a-z_]+) = ", line)
        return found is not None and Settings.model_fields[found[1]].default is not None

    uncommented = "\n".join(line[2:] if has_default(line) else line for line in text.splitlines())
    loaded = tomllib.loads(uncommented)
    assert len(loaded) > 20
    required = {"homeserver_url": loaded["homeserver_url"], "user_id": loaded["user_id"]}
    settings = load_settings(**loaded, password="s3cret-pw")
    assert settings == load_settings(**required, password="s3cret-pw")
