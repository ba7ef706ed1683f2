"""Room state as last read from the homeserver, kept until the sync shows that the
room's state changed or cohost changes it itself.

Rights are checked from room state on every command and every relayed announcement;
reading it over HTTP each time put several requests on every hot path. Only rooms the
sync reports as joined are kept: for those, every state change arrives by sync, and
the sync loop forgets a room's entries before it hands the batch's events to the
handlers, so a handler never sees state older than the events it handles."""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import TypeVar

T = TypeVar("T")


class StateCache:
    def __init__(self) -> None:
        self._joined: set[str] = set()
        self._rooms: dict[str, dict[Hashable, object]] = {}
        # Bumped on every change, so that a read begun before a change is not kept.
        self._generation: defaultdict[str, int] = defaultdict(int)

    def synced(self, joined: Iterable[str], changed: Iterable[str], left: Iterable[str]) -> None:
        """One sync batch: rooms joined, rooms whose state changed, rooms left."""
        self._joined.update(joined)
        for room_id in changed:
            self.forget(room_id)
        for room_id in left:
            self._joined.discard(room_id)
            self.forget(room_id)

    def forget(self, room_id: str) -> None:
        self._rooms.pop(room_id, None)
        self._generation[room_id] += 1

    async def read(self, room_id: str, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        entries = self._rooms.get(room_id)
        if entries is not None and key in entries:
            return copy.deepcopy(entries[key])  # type: ignore[return-value]
        generation = self._generation[room_id]
        value = await fetch()
        if room_id in self._joined and self._generation[room_id] == generation:
            self._rooms.setdefault(room_id, {})[key] = copy.deepcopy(value)
        return value
