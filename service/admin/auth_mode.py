"""Whether a homeserver serves its own logins or delegates them to Matrix
Authentication Service (MSC3861/MSC2965, the default of new Element Server Suite and
matrix-docker-ansible-deploy installs): then Synapse's admin registration and password
logins are not the way to the bot's account, and appservice mode is."""

from __future__ import annotations

from typing import Any

import aiohttp

PROBE = aiohttp.ClientTimeout(total=5)
METADATA = (
    "/_matrix/client/v1/auth_metadata",
    "/_matrix/client/unstable/org.matrix.msc2965/auth_metadata",
)
WELL_KNOWN_KEYS = ("m.authentication", "org.matrix.msc2965.authentication")


async def _json(http: aiohttp.ClientSession, url: str) -> dict[str, Any] | None:
    try:
        async with http.get(url, timeout=PROBE) as resp:
            if resp.status != 200:
                return None
            data = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None
    return data if isinstance(data, dict) else None


async def delegated_to(
    http: aiohttp.ClientSession, homeserver_url: str, server_name: str | None = None
) -> str | None:
    """The issuer the homeserver delegates its logins to, or None (its own)."""
    for path in METADATA:
        data = await _json(http, f"{homeserver_url.rstrip('/')}{path}")
        if data is not None and isinstance(data.get("issuer"), str):
            return str(data["issuer"])
    if server_name:
        loopback = server_name.split(":")[0] in ("localhost", "127.0.0.1")
        for scheme in ("https", "http") if loopback else ("https",):
            data = await _json(http, f"{scheme}://{server_name}/.well-known/matrix/client")
            for key in WELL_KNOWN_KEYS:
                found = (data or {}).get(key)
                if isinstance(found, dict) and isinstance(found.get("issuer"), str):
                    return str(found["issuer"])
    return None


def what_to_do(issuer: str, user_id: str, config: str) -> str:
    """init's advice where logins are delegated: exactly the commands to run."""
    localpart = user_id[1:].split(":", 1)[0]
    return (
        f"the homeserver delegates logins to {issuer} (Matrix Authentication Service), "
        "so Synapse's admin API cannot make the bot's account. Either:\n"
        "  (a) appservice mode (no account to make, no rate limits; recommended):\n"
        f"        cohost appservice-registration --user-id {user_id}\n"
        "      add the registration file to Synapse's app_service_config_files, restart "
        "it,\n"
        f"      and write {config} with homeserver_url, user_id and as_token_file; or\n"
        "  (b) an account made in MAS, logging in with its password:\n"
        f"        mas-cli manage register-user --yes --password '<a new password>' {localpart}\n"
        "      then: cohost init --password-file <a file holding that password> "
        "(with the same flags)"
    )
