"""The whole suite: tests marked `long` run first, longest first, so that on two
workers the minutes-long ones overlap with everything else instead of ending the run."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def weight(item: pytest.Item) -> float:
        mark = item.get_closest_marker("long")
        return -float(mark.args[0]) if mark and mark.args else 0.0

    items.sort(key=weight)  # stable: everything else keeps its order


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """A half of the suite that could not run is said in one line, not only counted."""
    reasons = {
        str(report.longrepr[2])
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and "PostgreSQL" in str(report.longrepr[2])
    }
    for reason in sorted(reasons):
        terminalreporter.write_line(f"storage: {reason.removeprefix('Skipped: ')}")
