"""Counters served on /metrics in the Prometheus text format."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Metrics:
    syncs: int = 0
    sync_failures: int = 0
    events_handled: int = 0
    handler_errors: int = 0

    def render(self) -> str:
        lines = []
        for f in fields(self):
            name = f"cohost_{f.name}_total"
            lines += [f"# TYPE {name} counter", f"{name} {getattr(self, f.name)}"]
        return "\n".join(lines) + "\n"
