"""The whole suite: tests marked `long` run first, longest first, so that on two
workers the minutes-long ones overlap with everything else instead of ending the run."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def weight(item: pytest.Item) -> float:
        mark = item.get_closest_marker("long")
        return -float(mark.args[0]) if mark and mark.args else 0.0

    items.sort(key=weight)  # stable: everything else keeps its order
