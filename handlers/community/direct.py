"""The room cohost keeps with one person, for what is theirs alone (their pathway
aside, which they ask for in their own DM: the feedback crewmates give them). Opened
once, within a persisted operation so that a resumed one finds it by its marker, and
remembered."""

from __future__ import annotations

from typing import Any

from handlers.community.rooms import room_maker
from handlers.community.shape import direct_room
from handlers.community.state import DIRECT
from handlers.framework.gateway import MatrixGateway
from handlers.framework.operations import Run
from handlers.framework.patterns import server_of
from handlers.framework.types import RoomId, UserId
from storage.pathway import DirectStore


class DirectRooms:
    def __init__(self, gateway: MatrixGateway, store: DirectStore) -> None:
        self.gateway = gateway
        self.store = store

    async def known(self, person: UserId) -> RoomId | None:
        room = await self.store.room(person)
        return RoomId(room) if room else None

    async def with_person(self, run: Run[Any], person: UserId) -> RoomId:
        """The person's room with cohost, opened now within `run` if there is none."""
        known = await self.known(person)
        if known is not None:
            return known
        make = await room_maker(run, self.gateway, [person], server_of(self.gateway.user_id))
        step = f"dm:{person}"
        room = await make.create(step, direct_room(person, make.marker(DIRECT, step)))
        await self.store.remember(person, room)
        return room
