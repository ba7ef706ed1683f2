"""Health and metrics over HTTP (aiohttp)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiohttp import web

from service.metrics import Metrics


def make_http_app(
    ready: asyncio.Event, metrics: Metrics, sync_within: timedelta = timedelta(minutes=5)
) -> web.Application:
    async def health(request: web.Request) -> web.Response:
        if not ready.is_set():
            return web.json_response({"status": "starting"}, status=503)
        since = metrics.since_sync()
        if since is not None and since > sync_within.total_seconds():
            # Up, but no sync completed for too long: the homeserver or the loop is stuck.
            body = {"status": "stalled", "seconds_since_sync": round(since)}
            return web.json_response(body, status=503)
        return web.json_response({"status": "ok"})

    async def prometheus(request: web.Request) -> web.Response:
        body, content_type = await metrics.render()
        return web.Response(body=body, headers={"Content-Type": content_type})

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", prometheus)
    return app


async def start_http(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
