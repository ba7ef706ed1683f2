"""What `cohost resync` hands each feature that keeps shared state: Matrix read to its
end, the joined rooms with their markers, the index being rebuilt, and the counts it
reports. A feature says how its state is rebuilt by `house.on_resync(step)`; the
resync itself (handlers.resync) knows no feature."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from handlers.community.facts import ReleaseRecord, RoomMarker, SharedFacts
from handlers.framework.gateway import MatrixGateway
from handlers.framework.types import RoomId
from storage.community import IndexEntries
from storage.stores import Stores


@dataclass
class Rebuild:
    gateway: MatrixGateway
    stores: Stores
    facts: SharedFacts  # reads a fact's history to its end
    rooms: list[RoomId]  # every room cohost has joined
    markers: dict[RoomId, RoomMarker]  # every joined room cohost marked as one of its
    entries: IndexEntries = field(default_factory=IndexEntries)
    counts: Counter[str] = field(default_factory=Counter)

    def rooms_of(self, kind: str) -> list[RoomId]:
        return [room for room, marker in self.markers.items() if marker.kind == kind]

    async def released(self, room: RoomId) -> bool:
        """Whether cohost gave this room up (its own record says so)."""
        me = self.gateway.user_id
        return await self.facts.own(room, ReleaseRecord, me) is not None


RebuildStep = Callable[[Rebuild], Awaitable[None]]
