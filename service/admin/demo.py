"""`cohost demo`: a throwaway Synapse on loopback, the bot and two demo users."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import tempfile
from pathlib import Path

from pydantic import SecretStr

from service.admin.devserver import Homeserver, free_port
from service.app import install_stop_signals, run_service
from service.logging import configure_logging
from service.settings import Settings

DEMO_USERS = ("alice", "bob")


async def run_demo(directory: Path | None, port: int | None) -> int:
    temporary = directory is None
    root = Path(tempfile.mkdtemp(prefix="cohost-demo-")) if directory is None else directory
    configure_logging("console")
    homeserver = Homeserver(root / "synapse", port=port)
    print(f"Starting a throwaway Synapse in {root} …", flush=True)
    await asyncio.to_thread(homeserver.start)
    try:
        bot = await asyncio.to_thread(homeserver.register, "cohost", secrets.token_urlsafe(16))
        users = [
            await asyncio.to_thread(homeserver.register, name, f"{name}-{secrets.token_hex(3)}")
            for name in DEMO_USERS
        ]
        settings = Settings(
            homeserver_url=homeserver.url,
            user_id=bot.user_id,
            password=SecretStr(bot.password),
            data_dir=root / "cohost-data",
            http_port=free_port(),
        )
        stop, ready = asyncio.Event(), asyncio.Event()
        install_stop_signals(stop)
        service = asyncio.create_task(run_service(settings, stop, ready))
        ready_or_failed = asyncio.create_task(ready.wait())
        await asyncio.wait({service, ready_or_failed}, return_when=asyncio.FIRST_COMPLETED)
        if service.done():
            ready_or_failed.cancel()
            service.result()  # raises what stopped it
            return 1
        print(_instructions(homeserver, bot.user_id, users, settings.http_port), flush=True)
        await service
        return 0
    finally:
        with contextlib.suppress(Exception):
            await asyncio.to_thread(homeserver.stop)
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
        print("Demo stopped; homeserver and demo data removed." if temporary else "Demo stopped.")


def _instructions(hs: Homeserver, bot: str, users: list, http_port: int) -> str:  # type: ignore[type-arg]
    logins = "\n".join(f"    {u.user_id}   password: {u.password}" for u in users)
    return f"""
cohost demo is ready.

  Homeserver:  {hs.url}   (server name {hs.server_name})
  Demo logins (Element: "Sign in" → "Edit" homeserver → {hs.url}):
{logins}
  The bot:     {bot}
  Health:      http://127.0.0.1:{http_port}/health

Start a direct message with {bot} (encrypted or not) and send !ping or !help.
Press Ctrl-C to stop everything.
"""
