"""`cohost init`: from a server name to a config file cohost runs with.

It finds the homeserver from the server name (`.well-known/matrix/client`), checks
that it answers, makes the bot's account where it can (Synapse's registration shared
secret, or an admin's access token) or checks the password of an existing one, writes
the config file (0600) and `data_dir` (0700), and prints the next commands. Every
question has a flag; with `--yes` nothing is asked and defaults are taken."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import secrets
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from service.admin.auth_mode import delegated_to, what_to_do
from service.admin.synapse_admin import registration_mac
from service.credentials import private_dir, write_private

TIMEOUT = aiohttp.ClientTimeout(total=20)
PASSWORD_FILE = "password"  # in data_dir: the password of an account init made
# Discovery tries addresses that may not exist: each gets a short while.
PROBE = aiohttp.ClientTimeout(total=5)
LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


class InitError(Exception):
    """Why init stopped, in one line with what to do; nothing was written."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server-name", help="the homeserver's name, as in @user:NAME")
    parser.add_argument("--homeserver-url", help="skip discovery: the client API's base URL")
    parser.add_argument("--user", help="the bot's localpart (default: cohost)")
    parser.add_argument("--password-file", type=Path, help="an existing account's password")
    parser.add_argument(
        "--registration-shared-secret-file",
        type=Path,
        help="Synapse's registration_shared_secret: make the account with it",
    )
    parser.add_argument(
        "--admin-token-file", type=Path, help="a Synapse admin's access token: make the account"
    )
    parser.add_argument("--config", type=Path, help="where to write (default: ./cohost.toml)")
    parser.add_argument("--data-dir", type=Path, help="cohost's state (default: ./cohost-data)")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: SQLite in data_dir)")
    parser.add_argument(
        "--owner",
        help="give the config and data_dir to this user (as root, for systemd's User=cohost)",
    )
    parser.add_argument("--yes", action="store_true", help="ask nothing; take the defaults")
    parser.add_argument("--force", action="store_true", help="overwrite an existing config")


@dataclass
class Questions:
    """Answers from flags first, else from the admin (unless told to ask nothing)."""

    args: argparse.Namespace
    ask: Callable[[str], str] = input
    ask_secret: Callable[[str], str] = getpass.getpass

    def value(self, name: str, question: str, default: str | None = None) -> str:
        given = getattr(self.args, name)
        if given is not None:
            return str(given)
        if self.args.yes:
            if default is None:
                raise InitError(f"--{name.replace('_', '-')} is required with --yes")
            return default
        shown = f" [{default}]" if default else ""
        answer = self.ask(f"{question}{shown}: ").strip()
        if not answer and default is None:
            raise InitError(f"{question}: an answer is needed")
        return answer or str(default)

    def yes_or_no(self, question: str, default: bool) -> bool:
        if self.args.yes:
            return default
        answer = self.ask(f"{question}? [{'Y/n' if default else 'y/N'}]: ").strip().lower()
        return default if not answer else answer.startswith("y")

    def secret(self, name: str, question: str) -> str | None:
        path: Path | None = getattr(self.args, name)
        if path is not None:
            return read_secret(path, f"--{name.replace('_', '-')}")
        if self.args.yes:
            return None
        return self.ask_secret(f"{question} (Enter to skip): ").strip() or None


def read_secret(path: Path, what: str) -> str:
    try:
        value = path.read_text().strip()
    except OSError as err:
        raise InitError(f"{what}: cannot read {path} ({err.strerror})") from None
    if not value:
        raise InitError(f"{what}: {path} is empty")
    return value


async def run_init(args: argparse.Namespace, questions: Questions | None = None) -> int:
    q = questions or Questions(args)
    try:
        await _init(args, q)
    except InitError as err:
        print(f"cohost init: {err}", file=sys.stderr)
        return 1
    return 0


async def _init(args: argparse.Namespace, q: Questions) -> None:
    config = Path(q.value("config", "Config file to write", "cohost.toml"))
    refuse_overwrite(config, args.force)
    owner = known_user(args.owner) if args.owner else None
    # Every question before the account is made: an answer abandoned after it would
    # leave an account whose generated password nobody has.
    data_dir = Path(q.value("data_dir", "Directory for cohost's state", "cohost-data"))
    server_name = q.value("server_name", "Your homeserver's name (as in @you:NAME)")
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        url = args.homeserver_url or await discover(http, server_name)
        url = q.value("homeserver_url", "Homeserver URL", url).rstrip("/")
        versions = await client_versions(http, url)
        print(f"ok    homeserver {url} answers (spec versions up to {versions[-1]})")
        localpart = q.value("user", "The bot's user name", "cohost")
        user_id = f"@{localpart}:{server_name}"
        issuer = await delegated_to(http, url, server_name)
        if issuer is not None and args.password_file is None:
            raise InitError(what_to_do(issuer, user_id, str(config)))
        if issuer is not None:
            print(f"ok    logins are delegated to {issuer}; logging in through it")
        password, password_file = await account(http, q, url, localpart, user_id, data_dir)
        try:
            await check_login(http, url, user_id, password)
            print(f"ok    {user_id} can log in")
            values: dict[str, str] = {"homeserver_url": url, "user_id": user_id}
            if password_file is not None:
                values["password_file"] = str(password_file)
            else:
                values["password"] = password
            values["data_dir"] = str(data_dir)
            if args.database_url:
                values["database_url"] = args.database_url
            write_setup(config, data_dir, values)
            if owner is not None:
                give_to(owner, config, data_dir)
        except (InitError, OSError) as err:
            if password_file is None or password_file == args.password_file:
                raise
            raise InitError(
                f"{err}. The account {user_id} was made; its password is kept in "
                f"{password_file}: run init again with --password-file {password_file}"
            ) from None
    print(f"ok    wrote {config} (0600) and {data_dir}/ (0700)")
    if owner is not None:
        print(f"ok    {config} and {data_dir}/ belong to {args.owner}")
    print("Next:")
    print(f"  cohost doctor --config {config}   # checks the setup, one line per check")
    print(f"  cohost run --config {config}      # then invite {user_id} or DM it `!help`")


async def discover(http: aiohttp.ClientSession, server_name: str) -> str:
    """The client API's base URL from the server's `.well-known/matrix/client`, or the
    server name itself. A loopback name is also tried over plain HTTP (a test bed)."""
    schemes = ["https"]
    if server_name.split(":")[0] in LOOPBACK or server_name.startswith("[::1]"):
        schemes.append("http")
    for scheme in schemes:
        try:
            url = f"{scheme}://{server_name}/.well-known/matrix/client"
            data = await get_json(http, url, PROBE)
        except InitError:
            continue
        base = (data.get("m.homeserver") or {}).get("base_url") if isinstance(data, dict) else None
        if isinstance(base, str) and base.startswith(("http://", "https://")):
            print(f"ok    .well-known of {server_name} names {base}")
            return base.rstrip("/")
    print(f"warn  no .well-known for {server_name}; trying https://{server_name}")
    return f"https://{server_name}"


async def client_versions(http: aiohttp.ClientSession, url: str) -> list[str]:
    data = await get_json(http, f"{url}/_matrix/client/versions")
    versions = data.get("versions") if isinstance(data, dict) else None
    if not isinstance(versions, list) or not versions:
        raise InitError(f"{url} does not answer as a Matrix homeserver; check the URL")
    return [str(v) for v in versions]


async def account(
    http: aiohttp.ClientSession,
    q: Questions,
    url: str,
    localpart: str,
    user_id: str,
    data_dir: Path,
) -> tuple[str, Path | None]:
    """The bot's password, making the account when a secret allows; and the file it
    is kept in (the config then names the file): the admin's, or, for an account made
    here, `data_dir/password`, written before the account is asked for."""
    if q.args.password_file is not None:
        return read_secret(q.args.password_file, "--password-file"), q.args.password_file
    shared = q.secret("registration_shared_secret_file", "Synapse's registration_shared_secret")
    if shared is not None:
        register = partial(register_with_secret, http, url, shared, localpart)
        return await made_with_kept_password(register, data_dir)
    token = q.secret("admin_token_file", "An admin's access token")
    if token is not None:
        register = partial(register_with_token, http, url, token, user_id)
        made = await made_with_kept_password(register, data_dir)
        if q.yes_or_no("Lift Synapse's rate limits for the bot (override_ratelimit)", True):
            await lift_rate_limits(http, url, token, user_id)
        return made
    password = q.secret("password_file", f"The password of the existing account {user_id}")
    if password is None:
        raise InitError(
            "no way to the bot's account: give --registration-shared-secret-file or "
            "--admin-token-file to make it, or --password-file for an existing one"
        )
    return password, None


async def made_with_kept_password(
    register: Callable[[str], Awaitable[None]], data_dir: Path
) -> tuple[str, Path]:
    """A new account's password is on disk (0600) before the account exists, so that
    no later failure strands an account whose password nobody has; a refused
    registration leaves nothing behind."""
    password = secrets.token_urlsafe(32)
    pending, made_dir = _keep_pending(password, data_dir)
    try:
        await register(password)
    except BaseException:
        _discard(pending, data_dir if made_dir else None)
        raise
    kept = data_dir / PASSWORD_FILE
    os.replace(pending, kept)
    return password, kept


def _keep_pending(password: str, data_dir: Path) -> tuple[Path, bool]:
    made_dir = not data_dir.exists()
    private_dir(data_dir)
    pending = data_dir / "password.pending"
    write_private(pending, password)
    return pending, made_dir


def _discard(pending: Path, made_dir: Path | None) -> None:
    pending.unlink(missing_ok=True)
    if made_dir is not None and not any(made_dir.iterdir()):
        made_dir.rmdir()


async def register_with_secret(
    http: aiohttp.ClientSession, url: str, secret: str, localpart: str, password: str
) -> None:
    endpoint = f"{url}/_synapse/admin/v1/register"
    nonce = (await get_json(http, endpoint)).get("nonce", "")
    body = {
        "nonce": nonce,
        "username": localpart,
        "password": password,
        "admin": False,
        "mac": registration_mac(secret, nonce, localpart, password, admin=False),
    }
    status, data = await request(http, "POST", endpoint, body)
    if data.get("errcode") == "M_USER_IN_USE":
        raise InitError(f"{localpart} exists already; give its password with --password-file")
    if status >= 400:
        raise InitError(f"the homeserver refused the registration: {describe(data)}")
    print(f"ok    made the account {data.get('user_id')}")


async def register_with_token(
    http: aiohttp.ClientSession, url: str, token: str, user_id: str, password: str
) -> None:
    endpoint = f"{url}/_synapse/admin/v2/users/{quote(user_id)}"
    headers = {"Authorization": f"Bearer {token}"}
    status, data = await request(http, "GET", endpoint, None, headers)
    if status == 200:
        raise InitError(f"{user_id} exists already; give its password with --password-file")
    if status != 404:
        raise InitError(f"the admin API refused the token: {describe(data)}")
    body = {"password": password, "displayname": "cohost", "admin": False}
    status, data = await request(http, "PUT", endpoint, body, headers)
    if status >= 400:
        raise InitError(f"the admin API refused to make the account: {describe(data)}")
    print(f"ok    made the account {user_id}")


async def lift_rate_limits(http: aiohttp.ClientSession, url: str, token: str, user_id: str) -> None:
    """Synapse's per-user override: the bot's messages and room creation are not
    rate-limited (a crew formation round does not wait), without appservice mode."""
    endpoint = f"{url}/_synapse/admin/v1/users/{quote(user_id)}/override_ratelimit"
    headers = {"Authorization": f"Bearer {token}"}
    body = {"messages_per_second": 0, "burst_count": 0}
    status, data = await request(http, "POST", endpoint, body, headers)
    if status >= 400:
        print(f"warn  the rate limits stay: the admin API said {describe(data)}")
        return
    print(f"ok    {user_id} is not rate-limited (Synapse's override_ratelimit)")


async def check_login(http: aiohttp.ClientSession, url: str, user_id: str, password: str) -> None:
    """Log in and out again: the password works, and no device is left behind."""
    body = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user_id},
        "password": password,
        "initial_device_display_name": "cohost init (logged out at once)",
    }
    status, data = await request(http, "POST", f"{url}/_matrix/client/v3/login", body)
    if status >= 400:
        raise InitError(f"{user_id} cannot log in: {describe(data)}")
    headers = {"Authorization": f"Bearer {data['access_token']}"}
    await request(http, "POST", f"{url}/_matrix/client/v3/logout", {}, headers)


def known_user(name: str) -> int:
    """The uid of the user the files will belong to; checked before anything is made."""
    import pwd

    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        raise InitError(f"--owner: there is no user {name!r} on this machine") from None


def give_to(uid: int, config: Path, data_dir: Path) -> None:
    """The service's user reads its own config and state (it runs as that user)."""
    try:
        os.chown(config, uid, -1)
        os.chown(data_dir, uid, -1)
        for root, dirs, files in os.walk(data_dir):
            for name in dirs + files:
                os.chown(Path(root) / name, uid, -1)
    except PermissionError:
        raise InitError(
            f"--owner: only root can give {config} and {data_dir} to another user; "
            "run init with sudo"
        ) from None


def refuse_overwrite(config: Path, force: bool) -> None:
    if config.exists() and not force:
        raise InitError(f"{config} exists; pass --force to overwrite it")


def write_setup(config: Path, data_dir: Path, values: dict[str, str]) -> None:
    """The config file (0600) with absolute paths, and data_dir (0700)."""
    private_dir(data_dir)
    for name in ("data_dir", "password_file"):
        if name in values:
            values[name] = str(Path(values[name]).resolve())
    # TOML's basic strings take JSON's escapes.
    lines = [f"# Written by `cohost init` on {datetime.now(UTC):%Y-%m-%d}; settings: README."]
    lines += [f"{name} = {json.dumps(value)}" for name, value in values.items()]
    write_private(config, "\n".join(lines) + "\n")


async def get_json(
    http: aiohttp.ClientSession, url: str, within: aiohttp.ClientTimeout | None = None
) -> dict[str, Any]:
    status, data = await request(http, "GET", url, within=within)
    if status >= 400:
        raise InitError(f"{url} answered {status}: {describe(data)}")
    return data


async def request(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    body: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    within: aiohttp.ClientTimeout | None = None,
) -> tuple[int, dict[str, Any]]:
    try:
        async with http.request(
            method, url, json=body, headers=headers, timeout=within or TIMEOUT
        ) as resp:
            try:
                data = await resp.json(content_type=None)
            except (ValueError, aiohttp.ContentTypeError):
                data = None
            return resp.status, data if isinstance(data, dict) else {}
    except (aiohttp.ClientError, TimeoutError) as err:
        raise InitError(f"cannot reach {url}: {type(err).__name__}") from None


def describe(data: dict[str, Any]) -> str:
    return f"{data.get('errcode', 'no error code')} {data.get('error', '')}".strip()
