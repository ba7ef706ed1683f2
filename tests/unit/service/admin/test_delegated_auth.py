"""A homeserver behind Matrix Authentication Service: `cohost init` finds it (the
auth metadata, or `.well-known`) and says exactly what to do, writing nothing; and
`cohost doctor` names the mode. The homeserver here is a small aiohttp server that
answers as Synapse with MAS does (no admin registration, an issuer in its metadata)."""

from __future__ import annotations

import argparse
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from service.admin.auth_mode import delegated_to
from service.admin.init import Questions, add_arguments, run_init

ISSUER = "https://auth.example.org/"


def homeserver(*, metadata: bool, well_known: bool) -> web.Application:
    app = web.Application()

    async def versions(request: web.Request) -> web.Response:
        return web.json_response({"versions": ["v1.11"]})

    async def auth_metadata(request: web.Request) -> web.Response:
        if not metadata:
            return web.json_response({"errcode": "M_UNRECOGNIZED"}, status=404)
        return web.json_response({"issuer": ISSUER, "account_management_uri": ISSUER})

    async def client_well_known(request: web.Request) -> web.Response:
        body: dict[str, object] = {"m.homeserver": {"base_url": str(request.url.origin())}}
        if well_known:
            body["org.matrix.msc2965.authentication"] = {"issuer": ISSUER}
        return web.json_response(body)

    async def registration(request: web.Request) -> web.Response:
        raise AssertionError("init must not try Synapse's admin registration behind MAS")

    app.router.add_get("/_matrix/client/versions", versions)
    app.router.add_get("/_matrix/client/v1/auth_metadata", auth_metadata)
    app.router.add_get("/.well-known/matrix/client", client_well_known)
    app.router.add_get("/_synapse/admin/v1/register", registration)
    return app


@pytest.mark.parametrize(
    ("metadata", "well_known"), [(True, False), (False, True)], ids=["metadata", "well-known"]
)
async def test_init_behind_mas_says_what_to_do_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], metadata: bool, well_known: bool
) -> None:
    async with TestServer(homeserver(metadata=metadata, well_known=well_known)) as server:
        url = str(server.make_url("")).rstrip("/")
        port = server.port
        secret = tmp_path / "secret"
        secret.write_text("a registration secret")
        parser = argparse.ArgumentParser()
        add_arguments(parser)
        args = parser.parse_args(
            ["--yes", "--server-name", f"localhost:{server.port}", "--homeserver-url", url,
             "--config", str(tmp_path / "cohost.toml"), "--data-dir", str(tmp_path / "data"),
             "--registration-shared-secret-file", str(secret)]
        )  # fmt: skip
        assert await run_init(args, Questions(args)) == 1
    said = capsys.readouterr().err
    assert f"delegates logins to {ISSUER} (Matrix Authentication Service)" in said
    assert f"cohost appservice-registration --user-id @cohost:localhost:{port}" in said
    assert "mas-cli manage register-user --yes --password '<a new password>' cohost" in said
    assert not (tmp_path / "cohost.toml").exists() and not (tmp_path / "data").exists()


async def test_a_homeserver_with_its_own_logins_is_not_taken_for_mas() -> None:
    async with TestServer(homeserver(metadata=False, well_known=False)) as server:
        url = str(server.make_url("")).rstrip("/")
        async with aiohttp.ClientSession() as http:
            assert await delegated_to(http, url, f"localhost:{server.port}") is None
