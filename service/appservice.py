"""Appservice mode: cohost as an application service's sender, so that the homeserver's
rate limits do not hold back a congregation's crew formation.

`cohost appservice-registration` writes the registration file the homeserver loads
(`app_service_config_files`): fresh tokens, `rate_limited: false`, and an exclusive
namespace holding only the bot's own user. The appservice's sender is another user
(`<bot>-appservice`): Synapse serves no /sync to an appservice's sender, and cohost
reads by /sync as in the plain mode (no transactions are pushed to it).

cohost then runs with the appservice token (`as_token`) and no password. The bot's
account is registered by the appservice if it does not exist, its device comes from
the appservice itself (MSC4190: `PUT /devices/<id>` acting as the bot; the registration
says `io.element.msc4190: true`, as mautrix bridges do behind Matrix Authentication
Service), else from an appservice login (MSC2778), and every request
carries the appservice token naming the bot and that device (`user_id`, `device_id`:
MSC3202's masquerading). The homeserver sees the appservice (no rate limits, no
interactive auth to replace cross-signing keys, MSC4190) acting as the bot through its
device (to-device messages, keys)."""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml
from aiohttp import ClientResponse
from nio import AsyncClient

from service.credentials import write_private

CLIENT_API = "/_matrix/client/"


def registration(user_id: str) -> tuple[dict[str, Any], str]:
    """The registration for this bot, and its appservice token."""
    localpart, server = user_id[1:].split(":", 1)
    as_token = secrets.token_urlsafe(32)
    return (
        {
            "id": f"cohost-{localpart}",
            "url": None,  # cohost syncs; the homeserver pushes it nothing
            "as_token": as_token,
            "hs_token": secrets.token_urlsafe(32),
            "sender_localpart": f"{localpart}-appservice",
            "namespaces": {
                "users": [{"exclusive": True, "regex": f"^{re.escape(user_id)}$"}],
                "aliases": [],
                "rooms": [],
            },
            "rate_limited": False,
            "de.sorunome.msc2409.push_ephemeral": False,
            # MSC4190: the appservice makes and manages its bot's device itself, with no
            # /login (which Matrix Authentication Service does not offer appservices).
            "io.element.msc4190": True,
        },
        as_token,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user-id", help="the bot, e.g. @cohost:example.org (default: the config's user_id)"
    )
    parser.add_argument("--config", type=Path, help="TOML settings file (its user_id)")
    parser.add_argument(
        "--out", type=Path, default=Path("cohost-registration.yaml"), help="registration file"
    )
    parser.add_argument(
        "--token-file", type=Path, default=Path("cohost-as-token"), help="cohost's token file"
    )


def configured_user(config: Path | None) -> str | None:
    """The bot's id as the settings name it (COHOST_USER_ID, else the config file's):
    read alone, since the rest of the settings may still lack the token this writes."""
    if os.environ.get("COHOST_USER_ID"):
        return os.environ["COHOST_USER_ID"]
    if config is None:
        return None
    try:
        found = tomllib.loads(config.read_text()).get("user_id")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return found if isinstance(found, str) else None


def write_registration(args: argparse.Namespace) -> int:
    user_id = args.user_id or configured_user(args.config)
    if user_id is None:
        print("cohost: name the bot: --user-id @cohost:example.org, or --config", file=sys.stderr)
        return 2
    if not re.fullmatch(r"@[a-z0-9._=\-/+]+:[^\s]+", user_id):
        print(f"cohost: {user_id!r} is not a user id like @cohost:example.org", file=sys.stderr)
        return 2
    for path in (args.out, args.token_file):
        if path.exists():
            print(
                f"cohost: {path} exists; the tokens in it would stop working. Remove it first.",
                file=sys.stderr,
            )
            return 1
    content, as_token = registration(user_id)
    write_private(args.out, yaml.safe_dump(content, sort_keys=False))
    write_private(args.token_file, as_token + "\n")
    print(f"ok    wrote {args.out} and {args.token_file} (0600)")
    print("Next:")
    print(f"  1. make {args.out} readable by the homeserver and add it to homeserver.yaml:")
    print(f"       app_service_config_files: [{args.out.resolve()}]")
    print("     then restart the homeserver (it makes the bot's user if it does not exist).")
    print(f'  2. in cohost\'s config: as_token_file = "{args.token_file.resolve()}"')
    print("     (no password is needed), then `cohost doctor` and `cohost run`.")
    return 0


def acting_as(user_id: str, device_id: str) -> dict[str, str]:
    """The query parameters by which the appservice's token acts as the bot's device."""
    return {"user_id": user_id, "device_id": device_id}


class AppserviceClient(AsyncClient):  # type: ignore[misc]  # nio's classes are untyped here
    """nio's client whose every client-server request names the bot's device, so that
    the appservice token acts through it."""

    masquerade_device: str | None = None

    async def send(
        self,
        method: str,
        path: str,
        data: Any = None,
        headers: dict[str, str] | None = None,
        trace_context: Any | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - nio's own signature
    ) -> ClientResponse:
        if self.masquerade_device and path.startswith(CLIENT_API):
            joiner = "&" if "?" in path else "?"
            acting = acting_as(self.user_id, self.masquerade_device)
            path = f"{path}{joiner}{urlencode(acting)}"
        response: ClientResponse = await super().send(
            method, path, data, headers, trace_context, timeout
        )
        return response
