"""cohost's cross-signed identity, so that clients that share room keys only with
cross-signed devices (Element's "invisible crypto", MSC4153) keep talking to it.

On first start cohost makes its master, self-signing and user-signing keys (Ed25519,
by matrix-org's `signedjson`), keeps their seeds in `data_dir` (0600) before anything
is published, uploads them (a first upload needs no interactive auth, MSC3967), and
signs its own device with the self-signing key. Every start checks that the device it
logged in with is signed; a new device (a lost crypto store) is signed by the same
identity. If the homeserver holds another identity for the bot (the seeds were lost),
cohost replaces it when it has its password (interactive auth) and says what to do
when it has only an access token."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from nio import AsyncClient
from signedjson.key import (
    decode_signing_key_base64,
    encode_signing_key_base64,
    encode_verify_key_base64,
    generate_signing_key,
    get_verify_key,
)
from signedjson.sign import sign_json
from signedjson.types import SigningKey

from handlers.framework.errors import MatrixError
from service.credentials import write_private
from service.gateway import request_json
from service.settings import Settings

log = structlog.get_logger(__name__)

KEYS_FILE = "cross_signing.json"
USAGES = ("master", "self_signing", "user_signing")


def public(key: SigningKey) -> str:
    return str(encode_verify_key_base64(get_verify_key(key)))


def key_id(key: SigningKey) -> str:
    return f"ed25519:{public(key)}"


def _named(seed: str) -> SigningKey:
    """A key whose version is its own public key, as cross-signing key ids are."""
    unnamed = decode_signing_key_base64("ed25519", "0", seed)
    key: SigningKey = decode_signing_key_base64("ed25519", public(unnamed), seed)
    return key


@dataclass(frozen=True)
class Identity:
    master: SigningKey
    self_signing: SigningKey
    user_signing: SigningKey

    @classmethod
    def generate(cls) -> Identity:
        return cls(*(_named(encode_signing_key_base64(generate_signing_key("0"))) for _ in USAGES))

    @classmethod
    def load(cls, path: Path) -> Identity | None:
        if not path.exists():
            return None
        seeds = json.loads(path.read_text())
        return cls(*(_named(seeds[usage]) for usage in USAGES))

    def save(self, path: Path) -> None:
        keys = (self.master, self.self_signing, self.user_signing)
        seeds = {usage: encode_signing_key_base64(k) for usage, k in zip(USAGES, keys, strict=True)}
        write_private(path, json.dumps(seeds))

    def published(self, user_id: str) -> dict[str, Any]:
        """The upload: the master key, and the other two signed by it."""

        def described(usage: str, key: SigningKey) -> dict[str, Any]:
            return {"user_id": user_id, "usage": [usage], "keys": {key_id(key): public(key)}}

        return {
            "master_key": described("master", self.master),
            "self_signing_key": sign_json(
                described("self_signing", self.self_signing), user_id, self.master
            ),
            "user_signing_key": sign_json(
                described("user_signing", self.user_signing), user_id, self.master
            ),
        }


def master_key(settings: Settings) -> str | None:
    """The public master key cohost's identity is known by, if it has one."""
    if not settings.cross_signing:
        return None
    identity = Identity.load(settings.data_dir / KEYS_FILE)
    return None if identity is None else public(identity.master)


async def ensure_cross_signed(client: AsyncClient, settings: Settings) -> bool:
    """Make sure the bot's identity is published and its device signed by it; True
    when it is."""
    user, device = client.user_id, client.device_id
    path = settings.data_dir / KEYS_FILE
    identity = Identity.load(path)
    if identity is None:
        identity = Identity.generate()
        identity.save(path)  # kept before anything is published
    if client.should_upload_keys:
        await client.keys_upload()  # the device's own keys, to be signed
    published = await _query(client, user)
    theirs = _first_key(published.get("master_keys", {}).get(user))
    if theirs != public(identity.master) and not await _publish(client, settings, identity):
        return False
    device_keys = published.get("device_keys", {}).get(user, {}).get(device)
    if device_keys is None:
        device_keys = (await _query(client, user)).get("device_keys", {}).get(user, {}).get(device)
    if device_keys is None:
        log.warning("cross_signing_device_keys_missing", device_id=device)
        return False
    if key_id(identity.self_signing) in device_keys.get("signatures", {}).get(user, {}):
        log.info("cross_signing_ready", device_id=device, master=public(identity.master))
        return True
    unsigned = {k: v for k, v in device_keys.items() if k != "unsigned"}
    signed = sign_json(unsigned, user, identity.self_signing)
    result = await request_json(
        client, "POST", ["keys", "signatures", "upload"], {user: {device: signed}}, "signatures"
    )
    if result.get("failures"):
        log.warning("cross_signing_device_not_signed", failures=list(result["failures"]))
        return False
    log.info("cross_signing_device_signed", device_id=device, master=public(identity.master))
    return True


async def _query(client: AsyncClient, user: str) -> dict[str, Any]:
    body: dict[str, Any] = {"device_keys": {user: []}}
    result: dict[str, Any] = await request_json(client, "POST", ["keys", "query"], body, "query")
    return result


def _first_key(published: dict[str, Any] | None) -> str | None:
    keys = list((published or {}).get("keys", {}).values())
    return str(keys[0]) if keys else None


async def _publish(client: AsyncClient, settings: Settings, identity: Identity) -> bool:
    """Upload the identity: at once the first time; replacing another one takes the
    password (interactive auth)."""
    body = identity.published(client.user_id)
    try:
        await request_json(
            client, "POST", ["keys", "device_signing", "upload"], body, "signing keys"
        )
        return True
    except MatrixError as err:
        if err.status != 401:
            raise
    if settings.password is None:
        log.error(
            "cross_signing_needs_password",
            hint="the homeserver holds another identity for this bot; set `password` once "
            "so cohost can replace it, or reset the bot's cross-signing from an admin tool",
        )
        return False
    session = await _auth_session(client, body)
    auth = {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": client.user_id},
        "password": settings.password.get_secret_value(),
        "session": session,
    }
    await request_json(
        client,
        "POST",
        ["keys", "device_signing", "upload"],
        {**body, "auth": auth},
        "signing keys",
    )
    log.info("cross_signing_identity_replaced", master=public(identity.master))
    return True


async def _auth_session(client: AsyncClient, body: dict[str, Any]) -> str | None:
    """The interactive-auth session the homeserver opens for the upload."""
    path = "/_matrix/client/v3/keys/device_signing/upload"
    headers = {"Authorization": f"Bearer {client.access_token}"}
    resp = await client.send("POST", path, json.dumps(body), headers)
    async with resp:
        data = await resp.json(content_type=None)
    return data.get("session") if isinstance(data, dict) else None
