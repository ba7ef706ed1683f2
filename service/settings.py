"""Settings: COHOST_* environment variables over an optional TOML file (`--config`)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from handlers.framework.arguments import parse_zone
from handlers.framework.errors import UserError
from handlers.framework.language import LANGUAGES, known
from handlers.framework.limits import Limits
from handlers.framework.patterns import MEMBERS

# Settings that may be read from a file named by `<name>_file`.
SECRET_FILES = ("password", "access_token", "as_token", "database_url")
# Values copied from an example and never changed must not reach a homeserver.
PLACEHOLDERS = {"changeme", "change-me", "password", "secret", "xxx", "todo", "<password>"}


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it in one line."""


class Settings(BaseSettings):
    # Each field's docstring is its description: the commented example config
    # (`cohost example-config`) is written from them.
    model_config = SettingsConfigDict(
        env_prefix="COHOST_", extra="forbid", use_attribute_docstrings=True
    )

    homeserver_url: str
    """Client-server API address, e.g. https://matrix.example.org (required)."""
    user_id: str
    """The bot's full user id, e.g. @cohost:example.org (required)."""
    password: SecretStr | None = None
    """Used once to log in (or access_token, or as_token); placeholders are refused."""
    access_token: SecretStr | None = None
    """Instead of a password."""
    password_file: Path | None = None
    """The password read from a file instead (systemd credentials, Docker secrets): the
    file's content without its trailing newline."""
    access_token_file: Path | None = None
    """The access token read from a file instead."""
    as_token: SecretStr | None = None
    """Appservice mode: the registration's token instead of a password (no rate limits)."""
    as_token_file: Path | None = None
    """The appservice token read from a file instead."""
    database_url_file: Path | None = None
    """The database URL read from a file instead (it may hold a password)."""
    device_name: str = "cohost"
    """The device name shown in the bot's sessions."""
    data_dir: Path = Path("./cohost-data")
    """Crypto store, stored login and the SQLite database."""
    database_url: str | None = None
    """E.g. postgresql://cohost@db/cohost (default: SQLite in data_dir)."""
    creators: list[str] | None = None
    """Who may create congregations: MXIDs or *:server.name (default: the bot's server)."""
    allowed_inviters: list[str] | None = None
    """Who may invite cohost into a room, same forms, and "members" (the members of the
    congregations it hosts); default: the bot's server and members."""
    membership_decided_by: Literal["hosts", "members"] = "hosts"
    """Who decides congregation membership: hosts or members."""
    welcome_in: Literal["lobby", "dm"] = "lobby"
    """Where a newcomer is welcomed: lobby (on first coming in) or dm (on joining)."""
    zone: str = "UTC"
    """The zone times are shown in where a congregation has chosen none (IANA name)."""
    language: str = "en"
    """The language cohost speaks where a congregation has chosen none (en, de, es)."""
    crew_window: timedelta = timedelta(days=2)
    """How long a crew decision stays open (ISO 8601 duration)."""
    congregation_window: timedelta = timedelta(days=7)
    """How long a congregation decision stays open."""
    network_window: timedelta = timedelta(days=7)
    """How long a network decision stays open."""
    rhythm_takeover_after: timedelta = timedelta(minutes=1)
    """How late a network crew's reminder may be before another cohost takes its rhythm
    over (keep it above the 30 s tick)."""
    max_open_proposals: int = Field(default=3, ge=1)
    """Open proposals one person may have in one room."""
    max_crews_per_day: int = Field(default=3, ge=1)
    """Crews one person may call in a day."""
    max_cohosts: int = Field(default=8, ge=0)
    """Co-hosts named at !congregation create (more join later by !host add)."""
    max_knock_proposals_per_hour: int = Field(default=10, ge=1)
    """Proposals opened by knocks on one room in an hour; later knocks wait."""
    shortest_proposal_window: timedelta = timedelta(hours=1)
    """The shortest window !propose --for may choose."""
    longest_proposal_window: timedelta = timedelta(days=30)
    """The longest window !propose --for (and !extend) may reach."""
    cross_signing: bool = True
    """Cross-sign the bot's device, so that clients sharing keys only with cross-signed
    devices talk to it."""
    log_format: Literal["console", "json"] | None = None
    """console or json (default: console on a terminal, else json)."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """debug, info, warning or error."""
    health_sync_within: timedelta = timedelta(minutes=5)
    """/health answers 503 when no sync completed for this long (the loop stalled)."""
    public_url: str | None = None
    """Where people reach cohost's HTTP server (behind a reverse proxy), for the
    addresses of crews' calendars; default: http://<http_host>:<http_port>."""
    http_host: str = "127.0.0.1"
    """Where /health and /metrics listen."""
    http_port: int = Field(default=8480, ge=0, le=65535)
    """The port of /health and /metrics."""

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_files(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        for name in SECRET_FILES:
            path = values.get(f"{name}_file")
            if not path:
                continue
            if values.get(name):
                raise ValueError(f"{name}_file: set {name} or {name}_file, not both")
            try:
                values[name] = Path(path).read_text().rstrip("\r\n")
            except OSError as err:
                raise ValueError(
                    f"{name}_file: {path} cannot be read by {_whoami()} ({err.strerror})"
                ) from None
        return values

    @field_validator("homeserver_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("user_id")
    @classmethod
    def _mxid(cls, value: str) -> str:
        if not value.startswith("@") or ":" not in value:
            raise ValueError("must be a full Matrix user id like @cohost:example.org")
        return value

    @field_validator("password", "access_token", "as_token")
    @classmethod
    def _not_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDERS:
            raise ValueError("is still a placeholder value")
        return value

    @field_validator("creators")
    @classmethod
    def _patterns(cls, value: list[str] | None) -> list[str] | None:
        for pattern in value or []:
            if not (pattern.startswith("*:") or (pattern.startswith("@") and ":" in pattern)):
                raise ValueError(f"{pattern!r} is neither @user:server nor *:server")
        return value

    @field_validator("allowed_inviters")
    @classmethod
    def _inviter_patterns(cls, value: list[str] | None) -> list[str] | None:
        for pattern in value or []:
            if pattern != MEMBERS and not (
                pattern.startswith("*:") or (pattern.startswith("@") and ":" in pattern)
            ):
                raise ValueError(f"{pattern!r} is neither @user:server, *:server nor {MEMBERS}")
        return value

    @field_validator(
        "crew_window",
        "congregation_window",
        "network_window",
        "rhythm_takeover_after",
        "shortest_proposal_window",
        "longest_proposal_window",
    )
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than zero")
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if not known(value):
            raise ValueError(f"{value!r} is not a language cohost speaks ({', '.join(LANGUAGES)})")
        return value

    @field_validator("zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            parse_zone(value)
        except UserError as err:
            raise ValueError(f"{value!r} is not an IANA time zone") from err
        return value

    @model_validator(mode="after")
    def _windows(self) -> Settings:
        if self.shortest_proposal_window > self.longest_proposal_window:
            raise ValueError("shortest_proposal_window: longer than longest_proposal_window")
        return self

    @model_validator(mode="after")
    def _credentials(self) -> Settings:
        if self.password is None and self.access_token is None and self.as_token is None:
            raise ValueError("password: set password, access_token or as_token")
        return self

    @property
    def limits(self) -> Limits:
        return Limits(
            open_proposals_per_person=self.max_open_proposals,
            crews_per_person_per_day=self.max_crews_per_day,
            cohosts_at_creation=self.max_cohosts,
            knock_proposals_per_room_per_hour=self.max_knock_proposals_per_hour,
            shortest_window=self.shortest_proposal_window,
            longest_window=self.longest_proposal_window,
        )

    @property
    def server_name(self) -> str:
        return self.user_id.split(":", 1)[1]

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'cohost.db').resolve()}"

    @property
    def effective_creators(self) -> list[str]:
        return self.creators if self.creators is not None else [f"*:{self.server_name}"]

    @property
    def effective_allowed_inviters(self) -> list[str]:
        if self.allowed_inviters is not None:
            return self.allowed_inviters
        # Most members' accounts are on other homeservers: they reach cohost too.
        return [f"*:{self.server_name}", MEMBERS]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment wins over the file, which arrives as init values.
        return (env_settings, init_settings)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read settings; any problem becomes one SettingsError line naming the setting."""
    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            values = tomllib.loads(config_file.read_text())
        except FileNotFoundError:
            raise SettingsError(f"config file {config_file} does not exist") from None
        except OSError as err:
            raise SettingsError(
                f"config file {config_file} cannot be read by {_whoami()} ({err.strerror})"
            ) from None
        except tomllib.TOMLDecodeError as err:
            raise SettingsError(f"config file {config_file} is not valid TOML: {err}") from None
    values.update(overrides)
    try:
        return Settings(**values)
    except ValidationError as err:
        raise SettingsError(_one_line(err)) from None


# Variables of the image's entrypoint (the config file, `cohost init`) and of the tests.
NOT_SETTINGS = ("COHOST_CONFIG", "COHOST_INIT_", "COHOST_TEST_")


def _whoami() -> str:
    """The user cohost runs as, as a file's permissions see it."""
    import getpass

    try:
        return f"user {getpass.getuser()} (uid {os.getuid()})"
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """`COHOST_*` variables that name no setting (a typo cohost would otherwise
    ignore): their names only, never their values."""
    known = {f"COHOST_{name.upper()}" for name in Settings.model_fields}
    environ = os.environ if environ is None else environ
    return sorted(
        k
        for k in environ
        if k.upper().startswith("COHOST_")
        and k.upper() not in known
        and not k.upper().startswith(NOT_SETTINGS)
    )


def _one_line(err: ValidationError) -> str:
    problems = []
    for item in err.errors():
        name = ".".join(str(p) for p in item["loc"]) or str(item["msg"]).split(":")[0]
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "missing":
            message = f"is required (set COHOST_{name.upper()} or {name} in the config file)"
        elif item["type"] == "extra_forbidden":
            message = "is not a cohost setting"
        if not item["loc"] and ":" in message:
            name, message = (s.strip() for s in message.split(":", 1))
        problems.append(f"setting {name}: {message}")
    return "; ".join(problems)
