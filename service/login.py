"""Builds the nio client with its E2EE store in data_dir and logs it in, reusing the
stored device when there is one."""

from __future__ import annotations

import secrets
from pathlib import Path

import structlog
from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

from handlers.framework.errors import MatrixError
from service.appservice import AppserviceClient
from service.credentials import (
    NIO_DEFAULT_PICKLE_KEY,
    StoredLogin,
    forget_login,
    load_login,
    pickle_key,
    private_dir,
    save_login,
)
from service.gateway import call, request_json
from service.settings import Settings

log = structlog.get_logger(__name__)


def make_client(settings: Settings) -> AsyncClient:
    private_dir(settings.data_dir)
    key = pickle_key(settings.data_dir)
    if key == NIO_DEFAULT_PICKLE_KEY:
        log.warning("crypto_store_default_key", hint="see the README: the crypto store")
    store = private_dir(settings.data_dir / "crypto")
    config = AsyncClientConfig(
        pickle_key=key,
        encryption_enabled=True,
        store_sync_tokens=False,  # the sync position lives in cohost's database
        max_limit_exceeded=0,  # rate limits are retried by service.gateway.call
        max_timeouts=0,  # connection errors surface to the sync loop's backoff
        request_timeout=60,
    )
    # In appservice mode every request names the bot's device (service.appservice).
    kind = AppserviceClient if settings.as_token is not None else AsyncClient
    return kind(settings.homeserver_url, settings.user_id, store_path=str(store), config=config)


def tune_crypto_store(client: AsyncClient) -> None:
    """nio writes its crypto store on every sync (the set of encrypted rooms), on the
    event loop's thread: in write-ahead-log mode with synchronous=NORMAL, as cohost's
    own database (storage.database), such a write no longer waits for the disk."""
    database = getattr(client.store, "database", None)
    if database is None:
        return
    database.pragma("journal_mode", "wal", permanent=True)
    database.pragma("synchronous", "normal", permanent=True)


async def log_in(client: AsyncClient, settings: Settings) -> None:
    if isinstance(client, AppserviceClient) and settings.as_token is not None:
        await _log_in_as_appservice(client, settings, settings.as_token.get_secret_value())
        return
    data_dir: Path = settings.data_dir
    stored = load_login(data_dir, settings.homeserver_url, settings.user_id)
    if stored is not None:
        if await _token_works(client, stored):
            log.info("login_restored", device_id=stored.device_id)
            return
        forget_login(data_dir)
    if settings.access_token is not None:
        token = settings.access_token.get_secret_value()
        client.access_token = token
        who = await call(client.whoami, "whoami")
        assert isinstance(who, WhoamiResponse)
        stored = StoredLogin(settings.homeserver_url, settings.user_id, who.device_id or "", token)
    elif settings.password is not None:
        resp = await call(
            lambda: client.login(
                settings.password.get_secret_value(),  # type: ignore[union-attr]
                device_name=settings.device_name,
            ),
            "login",
        )
        assert isinstance(resp, LoginResponse)
        stored = StoredLogin(
            settings.homeserver_url, resp.user_id, resp.device_id, resp.access_token
        )
        log.info("login_new_device", device_id=resp.device_id)
    else:  # settings validation guarantees one of the two
        raise AssertionError("no credentials")
    save_login(data_dir, stored)
    client.restore_login(stored.user_id, stored.device_id, stored.access_token)


async def _log_in_as_appservice(
    client: AppserviceClient, settings: Settings, as_token: str
) -> None:
    """The appservice token, acting through the bot's device: the stored one while the
    homeserver knows it, else a new one from an appservice login."""
    stored = load_login(settings.data_dir, settings.homeserver_url, settings.user_id)
    if stored is not None:
        client.masquerade_device = stored.device_id
        client.restore_login(stored.user_id, stored.device_id, as_token)
        try:
            await call(client.whoami, "whoami")
            log.info("login_restored", device_id=stored.device_id, mode="appservice")
            return
        except MatrixError as err:
            if err.errcode not in ("M_UNKNOWN_DEVICE", "M_UNKNOWN_TOKEN"):
                raise
            log.warning("stored_device_rejected", errcode=err.errcode)
            forget_login(settings.data_dir)
            _drop_crypto(client)
    client.masquerade_device = None
    client.access_token = as_token
    try:  # the appservice makes its bot's account the first time
        register = {
            "type": "m.login.application_service",
            "username": settings.user_id[1:].split(":", 1)[0],
            "inhibit_login": True,
        }
        await request_json(client, "POST", ["register"], register, "appservice register")
        log.info("appservice_user_registered")
    except MatrixError as err:
        if err.errcode != "M_USER_IN_USE":
            raise
    device_id = await _appservice_device(client, settings)
    # The file keeps the device; the token cohost uses is the one from the settings.
    stored = StoredLogin(settings.homeserver_url, settings.user_id, device_id, "")
    save_login(settings.data_dir, stored)
    client.masquerade_device = stored.device_id
    client.restore_login(stored.user_id, stored.device_id, as_token)
    log.info("login_new_device", device_id=stored.device_id, mode="appservice")


async def _appservice_device(client: AppserviceClient, settings: Settings) -> str:
    """A device for the bot. The appservice makes it itself (MSC4190: `PUT /devices`
    acting as the bot), as it must where Matrix Authentication Service serves the
    logins and no appservice `/login` exists; a homeserver without MSC4190 gets the
    appservice login instead."""
    device_id = f"COHOST{secrets.token_hex(4).upper()}"
    try:
        await request_json(
            client,
            "PUT",
            ["devices", device_id],
            {"display_name": settings.device_name},
            "appservice device",
            query=[("user_id", settings.user_id)],
        )
        log.info("appservice_device_made", msc="4190")
        return device_id
    except MatrixError as err:
        if err.errcode not in ("M_NOT_FOUND", "M_UNRECOGNIZED", "M_FORBIDDEN"):
            raise
        log.info("appservice_device_by_login", errcode=err.errcode)
    body = {
        "type": "m.login.application_service",
        "identifier": {"type": "m.id.user", "user": settings.user_id},
        "initial_device_display_name": settings.device_name,
    }
    made = await request_json(client, "POST", ["login"], body, "appservice login")
    return str(made["device_id"])


async def _token_works(client: AsyncClient, stored: StoredLogin) -> bool:
    client.restore_login(stored.user_id, stored.device_id, stored.access_token)
    try:
        await call(client.whoami, "whoami")
    except MatrixError as err:
        if err.errcode in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
            log.warning("stored_login_rejected", errcode=err.errcode)
            _drop_crypto(client)
            client.access_token = ""
            return False
        raise
    return True


def _drop_crypto(client: AsyncClient) -> None:
    """The old device's crypto store goes, so that the new login gets its own."""
    client.store = None
    client.olm = None
