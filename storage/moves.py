"""A room replaced by its successor (an upgrade): every row that names the old room
names the new one, in one unit of work, so that the index, open proposals, cycles and
feedback requests go on there as they were."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from storage.models import Congregation, Crew, CrewCycle, FeedbackRequest, IndexedRoom, Proposal
from storage.unit import Store

# Every column that holds the id of a room cohost can follow (not spaces: a space's id
# is every crew's congregation).
ROOM_COLUMNS: list[Any] = [
    IndexedRoom.room_id,
    Crew.room_id,
    Congregation.lobby_id,
    Congregation.announcements_id,
    Congregation.hosts_room_id,
    Proposal.room_id,
    CrewCycle.room_id,
    FeedbackRequest.crew_room,
]


class RoomMoves(Store):
    async def move(self, old: str, new: str) -> None:
        async with self._unit("move") as s:
            for column in ROOM_COLUMNS:
                await s.execute(
                    update(column.class_).where(column == old).values({column.key: new})
                )
