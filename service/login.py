"""Builds the nio client with its E2EE store in data_dir and logs it in, reusing the
stored device when there is one."""

from __future__ import annotations

from pathlib import Path

import structlog
from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

from handlers.framework.errors import MatrixError
from service.credentials import (
    NIO_DEFAULT_PICKLE_KEY,
    StoredLogin,
    forget_login,
    load_login,
    pickle_key,
    private_dir,
    save_login,
)
from service.gateway import call
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
    return AsyncClient(
        settings.homeserver_url, settings.user_id, store_path=str(store), config=config
    )


async def log_in(client: AsyncClient, settings: Settings) -> None:
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


async def _token_works(client: AsyncClient, stored: StoredLogin) -> bool:
    client.restore_login(stored.user_id, stored.device_id, stored.access_token)
    try:
        await call(client.whoami, "whoami")
    except MatrixError as err:
        if err.errcode in ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN"):
            log.warning("stored_login_rejected", errcode=err.errcode)
            # Drop the old device's crypto store so the new login gets its own.
            client.store = None
            client.olm = None
            client.access_token = ""
            return False
        raise
    return True
