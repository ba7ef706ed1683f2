"""Whose turn it is, among the cohosts that share a room: one order for each occasion
(a knock, a proposal), drawn from it so that every cohost computes the same order and
no one cohost always goes first."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def turn_order(occasion: str, cohosts: Iterable[str]) -> list[str]:
    return sorted(
        set(cohosts), key=lambda bot: hashlib.sha256(f"{occasion}{bot}".encode()).hexdigest()
    )


def turn_of(occasion: str, cohosts: Iterable[str], me: str) -> int | None:
    """My place in the order (0 goes first), None when I am not among them."""
    order = turn_order(occasion, cohosts)
    return order.index(me) if me in order else None
