"""`!release`: cohost gives up what power it can, records the release, leaves, and
never acts in those rooms again. The founders already hold every power it held."""

from __future__ import annotations

from functools import partial
from typing import Any

from handlers.community.directory import Directory
from handlers.community.facts import CongregationFacts, CrewFacts
from handlers.community.state import CONGREGATION, CREW, CREW_ROOM, HOSTS, RELEASE
from handlers.framework.clock import Clock
from handlers.framework.errors import MatrixError, UserError
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.power import CREATOR_ROOM_VERSIONS, change_users, room_version
from handlers.framework.registry import Args, CommandContext, CommandRegistry
from handlers.framework.replies import Reply
from handlers.framework.types import RoomId

RELEASE_OP = "release"


class Release:
    def __init__(self, directory: Directory, runner: OperationRunner, clock: Clock) -> None:
        self.directory = directory
        self.gateway = directory.gateway
        self.runner = runner
        self.clock = clock
        runner.register(RELEASE_OP, self.perform, self.report_failure)

    def register(self, registry: CommandRegistry) -> None:
        registry.command(
            "release",
            summary="Ask cohost to leave this crew (in its room) "
            "or the whole congregation (in the Hosts room).",
        )(self.release)

    async def release(self, ctx: CommandContext, args: Args) -> Reply:
        place = await self.directory.place(ctx.message.room_id)
        if (
            place.room is None
            or place.congregation is None
            or place.room.kind not in (CREW_ROOM, HOSTS)
        ):
            raise UserError(
                "Send `!release` in a crew's room (as its member) or in the Hosts room (as a host)."
            )
        space = place.congregation.space_id
        if place.room.kind == CREW_ROOM:
            if ctx.sender not in await self.gateway.joined_members(ctx.message.room_id):
                raise UserError("Only members of this crew can release me from it.")
            rooms: list[str] = [ctx.message.room_id]
            scope, what = "crew", f"the crew **{place.crew.name if place.crew else ''}**"
        else:
            await self.directory.require_host(place.congregation, ctx.sender)
            indexed = await self.directory.index.rooms_of(space)
            # The space last: the release is recorded there after the rooms.
            rooms = sorted(r.room_id for r in indexed if not r.released and r.room_id != space)
            rooms.append(space)
            scope, what = "congregation", f"every room of **{place.congregation.name}**"
        params = {
            "scope": scope,
            "congregation": space,
            "rooms": rooms,
            "requester": ctx.sender,
            "at": self.clock.now().isoformat(),
        }

        async def start() -> None:
            await self.runner.start(ctx.message.event_id, RELEASE_OP, params)

        return Reply(
            f"Releasing {what}. I am recording the release and leaving; I will not act there "
            "again. The founders hold every power I held: you can change the rooms' settings, "
            "invite, and upgrade a room to one I am not in.",
            then=start,
        )

    async def perform(self, run: Run) -> None:
        p: dict[str, Any] = run.params
        record = {"released_by": p["requester"], "at": p["at"], "scope": p["scope"]}
        space = RoomId(p["congregation"])
        rooms = [RoomId(r) for r in p["rooms"]]
        for room in rooms:
            await run.step(
                f"record:{room}",
                partial(self.gateway.put_state, room, RELEASE, self.gateway.user_id, record),
            )
        await run.step("facts", partial(self.record_in_space, space, rooms, p["scope"]))
        await run.step("index", partial(self.index, space, rooms, p["scope"]))
        for room in rooms:
            await run.step(f"power:{room}", partial(self.give_up_power, room))
            await run.step(f"leave:{room}", partial(self.gateway.leave_room, room))

    async def record_in_space(self, space: RoomId, rooms: list[RoomId], scope: str) -> None:
        shared = self.directory.shared
        for key, crew in (await shared.own_all(space, CrewFacts)).items():
            if key and (scope == "congregation" or key in rooms):
                crew.released = True
                await self.gateway.put_state(space, CREW, key, crew.content())
        facts = await shared.own(space, CongregationFacts)
        if scope == "congregation" and facts is not None:
            facts.released = True
            await self.gateway.put_state(space, CONGREGATION, "", facts.content())

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

    async def report_failure(self, run: Run, reason: str) -> None:
        # Nothing to post: cohost may already have left the room that asked.
        return None
