"""Health and metrics over HTTP (aiohttp)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web

from service.metrics import Metrics

# A crew's calendar at its address (`<id>-<secret>`), or None; set once cohost is built.
FeedSource = Callable[[str], Awaitable[bytes | None]]


class Feeds:
    source: FeedSource | None = None


def make_http_app(
    ready: asyncio.Event,
    metrics: Metrics,
    sync_within: timedelta = timedelta(minutes=5),
    feeds: Feeds | None = None,
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

    async def calendar(request: web.Request) -> web.Response:
        source = feeds.source if feeds is not None else None
        body = await source(request.match_info["address"]) if source is not None else None
        if body is None:  # unknown or wrong: the same answer, revealing nothing
            return web.Response(status=404, text="Not found")
        headers = {"Cache-Control": "private, max-age=300"}
        return web.Response(
            body=body, content_type="text/calendar", charset="utf-8", headers=headers
        )

    app = web.Application()
    app.router.add_get("/calendar/{address}.ics", calendar)
    app.router.add_get("/health", health)
    app.router.add_get("/metrics", prometheus)
    return app


async def start_http(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner
