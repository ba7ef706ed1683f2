"""Metrics for Prometheus, with prometheus-client (the format, content type and
histograms as Prometheus expects them), served on /metrics.

Each cohost process has its own registry (tests run several in one process). The
gauges of cohost's own state are read from its database at each scrape."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from service.version import version
from storage.stats import Stats

# A command is answered in tens of milliseconds to seconds (a room made over federation).
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
# A request takes milliseconds on a near homeserver; a sync's long poll, up to 30 s.
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
# A unit of work takes a millisecond or two on SQLite, more on a loaded PostgreSQL.
DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1)


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=r)
        self.syncs = Counter("cohost_syncs", "Sync responses handled", registry=r)
        self.sync_failures = Counter(
            "cohost_sync_failures", "Syncs that failed and were retried", registry=r
        )
        self.sync_seconds = Histogram(
            "cohost_sync_duration_seconds",
            "Handling one sync response, its events included (not the long poll)",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.events_handled = Counter("cohost_events_handled", "Events handled", registry=r)
        self.handler_errors = Counter(
            "cohost_handler_errors", "Events whose handling failed (logged)", registry=r
        )
        self.command_seconds = Histogram(
            "cohost_command_duration_seconds",
            "From a command's arrival to its answer being sent",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.rate_limit_waits = Counter(
            "cohost_rate_limit_waits", "Requests the homeserver rate-limited", registry=r
        )
        self.rate_limit_seconds = Counter(
            "cohost_rate_limit_wait_seconds", "Time spent waiting out rate limits", registry=r
        )
        self.request_seconds = Histogram(
            "cohost_homeserver_request_duration_seconds",
            "One homeserver request as cohost waits for it, by request (a message's "
            "encryption included; `sync` includes its long poll)",
            ["request"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self.rooms = Gauge(
            "cohost_rooms_hosted", "Rooms cohost keeps, by kind", ["kind"], registry=r
        )
        self.open_proposals = Gauge("cohost_open_proposals", "Proposals open", registry=r)
        self.operations = Gauge(
            "cohost_operations_in_flight", "Persisted operations not yet done", registry=r
        )
        self.db_unit_seconds = Histogram(
            "cohost_db_unit_seconds",
            "One unit of work in the database, by its name",
            ["unit"],
            buckets=DB_BUCKETS,
            registry=r,
        )
        self.command_errors = Counter(
            "cohost_command_errors",
            "Commands whose handling failed (answered with an apology; the log has why)",
            ["command"],
            registry=r,
        )
        self.build_info = Gauge(
            "cohost_build_info", "The cohost that runs (always 1)", ["version"], registry=r
        )
        self.build_info.labels(version()).set(1)
        self._read: Callable[[], Awaitable[Stats]] | None = None
        # When the last sync completed (monotonic seconds): /health fails when it is old.
        self.last_sync: float | None = None

    def synced(self) -> None:
        self.syncs.inc()
        self.last_sync = time.monotonic()

    def since_sync(self) -> float | None:
        return None if self.last_sync is None else time.monotonic() - self.last_sync

    def command_failed(self, name: str) -> None:
        self.command_errors.labels(name).inc()

    def reads_state_from(self, read: Callable[[], Awaitable[Stats]]) -> None:
        self._read = read

    def command(self, name: str, seconds: float) -> None:
        self.command_seconds.labels(name).observe(seconds)

    def db_unit(self, name: str, seconds: float) -> None:
        self.db_unit_seconds.labels(name).observe(seconds)

    def homeserver_request(self, what: str, seconds: float) -> None:
        self.request_seconds.labels(what).observe(seconds)

    def rate_limited(self, seconds: float) -> None:
        self.rate_limit_waits.inc()
        self.rate_limit_seconds.inc(seconds)

    async def render(self) -> tuple[bytes, str]:
        if self._read is not None:
            stats = await self._read()
            self.rooms.clear()
            for kind, count in stats.rooms_by_kind.items():
                self.rooms.labels(kind).set(count)
            self.open_proposals.set(stats.open_proposals)
            self.operations.set(stats.operations_pending)
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def value(self, name: str, **labels: str) -> float:
        """One sample's value (0 when absent), as a scrape would read it."""
        return self.registry.get_sample_value(name, labels) or 0.0
