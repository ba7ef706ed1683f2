"""Reads remembered for the checks before a command runs (is the room released, who
answers, where and by whom): each asks where the room belongs, and one read serves
them all. Nothing is remembered once the command itself runs, since it may change
what was read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

_remembered: ContextVar[dict[Hashable, Any] | None] = ContextVar("remembered", default=None)
# What was read just before the checks, and serves them too (see `carrying`).
_carried: ContextVar[dict[Hashable, Any] | None] = ContextVar("carried", default=None)


@contextmanager
def remembering() -> Iterator[dict[Hashable, Any]]:
    memo = dict(_carried.get() or {})
    token = _remembered.set(memo)
    try:
        yield memo
    finally:
        _remembered.reset(token)


@contextmanager
def carrying(memo: dict[Hashable, Any]) -> Iterator[None]:
    """Reads made just before (where the room belongs, to choose the language spoken)
    start the memo of the checks that follow, instead of being read again."""
    token = _carried.set(memo)
    try:
        yield
    finally:
        _carried.reset(token)


@contextmanager
def forgetting() -> Iterator[None]:
    """What runs inside reads afresh (a command that may change what was read)."""
    token = _remembered.set(None)
    try:
        yield
    finally:
        _remembered.reset(token)


async def remembered(key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
    """`read()`, once per key while remembering; at once otherwise."""
    memo = _remembered.get()
    if memo is None:
        return await read()
    if key not in memo:
        memo[key] = await read()
    value: T = memo[key]
    return value
