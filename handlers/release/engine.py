"""Releasing cohost: it gives up what power it can, records the release, leaves, and
never acts in those rooms again. The founders already hold every power it held."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from pydantic import BaseModel

from handlers.community.directory import Directory
from handlers.community.facts import CongregationFacts, CrewFacts, ReleaseRecord
from handlers.framework.clock import Clock
from handlers.framework.errors import MatrixError
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.power import CREATOR_ROOM_VERSIONS, change_users, room_version
from handlers.framework.types import RoomId, UserId
from storage.models import Congregation, Crew

RELEASE_OP = "release"


class Releasing(BaseModel):
    """Giving up a crew's room, or every room of a congregation."""

    scope: str  # crew | congregation
    congregation: RoomId
    rooms: list[RoomId]
    requester: UserId
    at: datetime


class Release:
    def __init__(self, directory: Directory, runner: OperationRunner, clock: Clock) -> None:
        self.directory = directory
        self.gateway = directory.gateway
        self.runner = runner
        self.clock = clock

    async def rooms_to_release(self, congregation: Congregation, crew: Crew | None) -> list[str]:
        """A crew's room; or every room of the congregation still held, its space last
        (the release is recorded there after the rooms)."""
        if crew is not None:
            return [crew.room_id]
        space = congregation.space_id
        indexed = await self.directory.index.rooms_of(space)
        rooms = sorted(r.room_id for r in indexed if not r.released and r.room_id != space)
        return [*rooms, space]

    async def release(
        self, op_id: str, congregation: Congregation, crew: Crew | None, requester: UserId
    ) -> None:
        params = Releasing(
            scope="crew" if crew is not None else "congregation",
            congregation=RoomId(congregation.space_id),
            rooms=[RoomId(r) for r in await self.rooms_to_release(congregation, crew)],
            requester=requester,
            at=self.clock.now(),
        )
        await self.runner.start(op_id, RELEASE_OP, params)

    async def perform(self, run: Run[Releasing]) -> None:
        p = run.params
        record = ReleaseRecord(released_by=p.requester, at=p.at, scope=p.scope)
        shared = self.directory.shared
        space, rooms = p.congregation, p.rooms
        for room in rooms:
            await run.step(
                f"record:{room}",
                partial(shared.write, room, record, self.gateway.user_id),
            )
        await run.step("facts", partial(self.record_in_space, space, rooms, p.scope))
        await run.step("index", partial(self.index, space, rooms, p.scope))
        for room in rooms:
            await run.step(f"power:{room}", partial(self.give_up_power, room))
            await run.step(f"leave:{room}", partial(self.gateway.leave_room, room))

    async def record_in_space(self, space: RoomId, rooms: list[RoomId], scope: str) -> None:
        shared = self.directory.shared
        for key, crew in (await shared.own_all(space, CrewFacts)).items():
            if key and (scope == "congregation" or key in rooms):
                crew.released = True
                await shared.write(space, crew, key)
        facts = await shared.own(space, CongregationFacts)
        if scope == "congregation" and facts is not None:
            facts.released = True
            await shared.write(space, facts)

    async def index(self, space: RoomId, rooms: list[RoomId], scope: str) -> None:
        await self.directory.index.mark_released(space, rooms, scope == "congregation")

    async def give_up_power(self, room: RoomId) -> None:
        """Creators' power cannot be given up (room version 12); elsewhere cohost
        removes its own entry from the power levels."""
        if await room_version(self.gateway, room) in CREATOR_ROOM_VERSIONS:
            return
        bot = self.gateway.user_id
        try:
            await change_users(self.gateway, room, lambda users: users.pop(bot, None))
        except MatrixError:
            pass  # leaving is what matters

    async def report_failure(self, run: Run[Releasing], reason: str) -> None:
        # Nothing to post: cohost may already have left the room that asked.
        return None
