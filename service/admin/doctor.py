"""`cohost doctor`: one line per check of an admin's setup, each passing, warning or
failing with what to do. It logs in only with the login cohost stored (it never makes a
device of its own) and changes nothing. Exits non-zero when a check fails."""

from __future__ import annotations

import stat
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum
from urllib.parse import quote

import aiohttp
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from service.admin.auth_mode import delegated_to
from service.appservice import acting_as
from service.credentials import load_login
from service.crypto.identity import KEYS_FILE, Identity, key_id
from service.settings import Settings
from storage.database import alembic_config, make_engine

ROOM_VERSION = "12"
MAX_SKEW_SECONDS = 30
# Where another homeserver would look for this one: a server that does not answer there
# soon is as good as absent for federation.
PROBE = aiohttp.ClientTimeout(total=5)


class Level(Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Finding:
    level: Level
    check: str
    text: str  # what was found, and on failure what to do

    def line(self) -> str:
        return f"{self.level.value:<4}  {self.check}: {self.text}"


Check = Callable[[], Awaitable[Finding]]


class Doctor:
    def __init__(
        self, settings: Settings, http: aiohttp.ClientSession, admin_token: str | None = None
    ) -> None:
        self.settings = settings
        self.http = http
        self.admin_token = admin_token  # a homeserver admin's, to read the bot's limits
        login = load_login(settings.data_dir, settings.homeserver_url, settings.user_id)
        self.device = login.device_id if login else None
        self.token = login.access_token if login else None
        # Appservice mode: the appservice's token, naming the bot and its device.
        self.acting: dict[str, str] = {}
        if settings.as_token is not None and login is not None:
            self.token = settings.as_token.get_secret_value()
            self.acting = acting_as(settings.user_id, login.device_id)

    async def _get(self, path: str, *, auth: bool = False) -> tuple[int, dict[str, object], str]:
        headers = {"Authorization": f"Bearer {self.token}"} if auth and self.token else {}
        url = f"{self.settings.homeserver_url}{path}"
        params = self.acting if auth else {}
        async with self.http.get(url, headers=headers, params=params) as resp:
            body = await resp.json(content_type=None)
            return resp.status, body if isinstance(body, dict) else {}, resp.headers.get("Date", "")

    async def homeserver(self) -> Finding:
        try:
            status, body, _ = await self._get("/_matrix/client/versions")
        except (aiohttp.ClientError, TimeoutError) as err:
            return Finding(
                Level.FAIL,
                "homeserver",
                f"{self.settings.homeserver_url} does not answer ({type(err).__name__}); "
                "check `homeserver_url` and that the homeserver runs",
            )
        versions = body.get("versions")
        if status != 200 or not isinstance(versions, list):
            return Finding(Level.FAIL, "homeserver", f"not a Matrix homeserver (HTTP {status})")
        software = ""
        try:  # Synapse says its version to anyone; other homeservers may not
            status, body, _ = await self._get("/_synapse/admin/v1/server_version")
            if status == 200 and body.get("server_version"):
                software = f"Synapse {body['server_version']}, "
        except (aiohttp.ClientError, TimeoutError, ValueError):
            pass
        return Finding(
            Level.OK, "homeserver", f"answers ({software}spec versions up to {versions[-1]})"
        )

    async def login(self) -> Finding:
        if self.token is None:
            return Finding(
                Level.FAIL, "login", f"no stored login in {self.settings.data_dir}: run cohost once"
            )
        status, body, _ = await self._get("/_matrix/client/v3/account/whoami", auth=True)
        if status != 200 or body.get("user_id") != self.settings.user_id:
            return Finding(
                Level.FAIL,
                "login",
                f"the stored login is refused (HTTP {status}); delete credentials.json in "
                "data_dir and start cohost to log in again",
            )
        return Finding(Level.OK, "login", f"{self.settings.user_id}, device {self.device}")

    async def room_version(self) -> Finding:
        status, body, _ = await self._get("/_matrix/client/v3/capabilities", auth=True)
        capabilities = body.get("capabilities")
        versions = capabilities.get("m.room_versions", {}) if isinstance(capabilities, dict) else {}
        available = versions.get("available", {}) if isinstance(versions, dict) else {}
        default = versions.get("default") if isinstance(versions, dict) else None
        if status == 200 and ROOM_VERSION in available:
            return Finding(
                Level.OK, "room version", f"{ROOM_VERSION} available (default {default})"
            )
        return Finding(
            Level.WARN,
            "room version",
            f"{ROOM_VERSION} is not available; cohost makes rooms of version {default}, where "
            "founders share the top level by power level instead of as creators",
        )

    async def cross_signing(self) -> Finding:
        if not self.settings.cross_signing:
            return Finding(Level.WARN, "cross-signing", "off (setting `cross_signing`)")
        identity = Identity.load(self.settings.data_dir / KEYS_FILE)
        if identity is None or self.token is None:
            return Finding(Level.FAIL, "cross-signing", "no identity yet: start cohost once")
        user = self.settings.user_id
        url = f"{self.settings.homeserver_url}/_matrix/client/v3/keys/query"
        headers = {"Authorization": f"Bearer {self.token}"}
        query: dict[str, object] = {"device_keys": {user: []}}
        async with self.http.post(url, json=query, headers=headers, params=self.acting) as resp:
            body = await resp.json(content_type=None)
        device = body.get("device_keys", {}).get(user, {}).get(self.device, {})
        signatures = device.get("signatures", {}).get(user, {})
        if key_id(identity.self_signing) in signatures:
            return Finding(Level.OK, "cross-signing", "this device is signed by cohost's identity")
        return Finding(
            Level.FAIL,
            "cross-signing",
            "this device is not signed: clients that exclude insecure devices will not talk "
            "to cohost; restart it (it signs at start) and read its log for cross_signing_*",
        )

    async def federation(self) -> Finding:
        """Whether other homeservers can reach this one, as they look for it: the server
        name's `.well-known/matrix/server`, else port 8448 (SRV records are not read).
        A warning only: a congregation may live without federation, a network cannot."""
        name = self.settings.server_name
        target = name if ":" in name.rsplit("]", 1)[-1] else f"{name}:8448"
        try:
            url = f"https://{name}/.well-known/matrix/server"
            async with self.http.get(url, timeout=PROBE) as resp:
                delegated = (await resp.json(content_type=None)).get("m.server")
                if resp.status == 200 and isinstance(delegated, str):
                    target = delegated if ":" in delegated else f"{delegated}:8448"
        except (aiohttp.ClientError, TimeoutError, ValueError, AttributeError):
            pass
        try:
            url = f"https://{target}/_matrix/federation/v1/version"
            async with self.http.get(url, timeout=PROBE) as resp:
                server = (await resp.json(content_type=None)).get("server", {})
        except aiohttp.ClientSSLError:
            return Finding(
                Level.WARN,
                "federation",
                f"{target} answers without a certificate valid for {name}: other "
                "homeservers will not federate (networks of congregations need it)",
            )
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            return Finding(
                Level.WARN,
                "federation",
                f"{target} does not answer ({type(err).__name__}): other homeservers cannot "
                "reach yours; networks of congregations need federation",
            )
        what = f"{server.get('name', '?')} {server.get('version', '')}".strip()
        return Finding(Level.OK, "federation", f"reachable at {target} ({what})")

    async def authentication(self) -> Finding:
        issuer = await delegated_to(self.http, self.settings.homeserver_url)
        if issuer is None:
            mode = "appservice mode" if self.settings.as_token is not None else "a password login"
            return Finding(Level.OK, "authentication", f"the homeserver's own ({mode})")
        if self.settings.as_token is not None:
            return Finding(
                Level.OK,
                "authentication",
                f"delegated to {issuer} (Matrix Authentication Service); appservice mode "
                "makes the bot's device itself (MSC4190)",
            )
        return Finding(
            Level.WARN,
            "authentication",
            f"delegated to {issuer} (Matrix Authentication Service): a password login "
            "works only through MAS's compatibility layer; appservice mode is the sure way "
            "(`cohost appservice-registration`)",
        )

    async def rate_limits(self) -> Finding:
        if self.settings.as_token is not None:
            return Finding(
                Level.OK,
                "rate limits",
                "appservice mode: not rate-limited where the registration says rate_limited: false",
            )
        if self.admin_token is not None:
            return await self._rate_limit_override(self.admin_token)
        return Finding(
            Level.WARN,
            "rate limits",
            "cohost meets the homeserver's limits as any user: a crew formation round waits "
            "on them (Synapse: 10 rooms, then one a minute) unless an admin lifted them "
            "(Synapse's override_ratelimit, which `cohost init --admin-token-file` sets; "
            "`cohost doctor --admin-token-file` checks it); see also "
            "`cohost appservice-registration`",
        )

    async def _rate_limit_override(self, token: str) -> Finding:
        """Synapse's per-user override, read with an admin's token: lifted means no
        limit on messages (0 per second, 0 burst), which room creation follows too."""
        path = f"/_synapse/admin/v1/users/{quote(self.settings.user_id)}/override_ratelimit"
        headers = {"Authorization": f"Bearer {token}"}
        url = f"{self.settings.homeserver_url}{path}"
        async with self.http.get(url, headers=headers) as resp:
            status = resp.status
            body = await resp.json(content_type=None)
        if status != 200 or not isinstance(body, dict):
            errcode = body.get("errcode") if isinstance(body, dict) else None
            return Finding(
                Level.WARN,
                "rate limits",
                f"the admin API refused to say (HTTP {status}"
                f"{', ' + str(errcode) if errcode else ''}); is the token a homeserver admin's?",
            )
        if body.get("messages_per_second") == 0 and body.get("burst_count") == 0:
            return Finding(
                Level.OK, "rate limits", "lifted for the bot (Synapse's override_ratelimit)"
            )
        found = "none" if not body else f"{body}"
        return Finding(
            Level.WARN,
            "rate limits",
            f"not lifted for the bot (Synapse's override_ratelimit: {found}): a crew "
            "formation round waits on them; `cohost init --admin-token-file` lifts them, "
            'or POST {"messages_per_second": 0, "burst_count": 0} to '
            f"{path}",
        )

    async def data_dir(self) -> Finding:
        path = self.settings.data_dir
        if not path.is_dir():
            return Finding(Level.FAIL, "data_dir", f"{path} does not exist: run cohost once")
        loose = [
            p
            for p in (path, *path.rglob("*"))
            if stat.S_IMODE(p.stat().st_mode) & 0o077 and not p.is_symlink()
        ]
        if loose:
            return Finding(
                Level.FAIL,
                "data_dir",
                f"{len(loose)} path(s) readable by others, e.g. {loose[0]}: chmod -R go-rwx {path}",
            )
        return Finding(Level.OK, "data_dir", f"{path} is cohost's user's alone")

    async def database(self) -> Finding:
        engine = make_engine(self.settings.effective_database_url)
        try:
            async with engine.connect() as conn:
                current = await conn.run_sync(_current_revision)
        except Exception as err:
            return Finding(
                Level.FAIL,
                "database",
                f"cannot be reached ({type(err).__name__}); check `database_url`",
            )
        finally:
            await engine.dispose()
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        if current != head:
            return Finding(
                Level.FAIL, "database", f"at revision {current}, not {head}: run `cohost migrate`"
            )
        return Finding(Level.OK, "database", f"reachable, migrated ({head})")

    async def clock(self) -> Finding:
        _, _, date = await self._get("/_matrix/client/versions")
        if not date:
            return Finding(Level.WARN, "clock", "the homeserver sends no Date header to compare")
        skew = (datetime.now(UTC) - parsedate_to_datetime(date)).total_seconds()
        if abs(skew) > MAX_SKEW_SECONDS:
            return Finding(
                Level.FAIL,
                "clock",
                f"{skew:+.0f} s from the homeserver's: windows and reminders drift; run NTP",
            )
        return Finding(Level.OK, "clock", f"{skew:+.0f} s from the homeserver's")

    def checks(self) -> list[Check]:
        return [
            self.homeserver,
            self.federation,
            self.login,
            self.authentication,
            self.rate_limits,
            self.room_version,
            self.cross_signing,
            self.data_dir,
            self.database,
            self.clock,
        ]


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def run_doctor(
    settings: Settings, out: Callable[[str], None] = print, admin_token: str | None = None
) -> int:
    timeout = aiohttp.ClientTimeout(total=15)
    findings: list[Finding] = []
    async with aiohttp.ClientSession(timeout=timeout) as http:
        doctor = Doctor(settings, http, admin_token)
        for check in doctor.checks():
            try:
                finding = await check()
            except Exception as err:  # a check that cannot run is a failing one
                name = check.__name__.replace("_", " ")
                finding = Finding(Level.FAIL, name, f"could not check ({type(err).__name__})")
            findings.append(finding)
            out(finding.line())
            if finding.check == "homeserver" and finding.level is Level.FAIL:
                break  # nothing else can be checked
    return 1 if any(f.level is Level.FAIL for f in findings) else 0
