"""Crews: making a crew's room in its congregation's space, and finding crews by name."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from pydantic import BaseModel, Field

from handlers.community.directory import Directory, room_link
from handlers.community.facts import CongregationFacts, CrewFacts
from handlers.community.rebuild import Rebuild
from handlers.community.rooms import (
    Asked,
    crew_order,
    invite_once,
    link,
    report,
    report_unfinished,
    room_maker,
)
from handlers.community.shape import crew_room
from handlers.community.state import CONGREGATION_SPACE, CREW, CREW_ROOM
from handlers.framework.clock import Clock
from handlers.framework.errors import UserError
from handlers.framework.language import _, _n
from handlers.framework.limits import DAY, Limits
from handlers.framework.names import name_key
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.types import RoomId, UserId
from storage.community import IndexEntries
from storage.models import Congregation, Crew, IndexedRoom

CREATE = "create_crew"
MAX_CREW = 8  # above eight a crew should split


class Creating(BaseModel):
    """Making a crew's room, called by its caller, with the members invited."""

    congregation: RoomId
    name: str
    caller: UserId
    invitees: list[UserId] = Field(default_factory=list)
    intention: str | None = None
    reply_room: RoomId
    created_at: datetime


class Crews:
    def __init__(
        self,
        directory: Directory,
        runner: OperationRunner,
        clock: Clock,
        limits: Limits | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.directory = directory
        self.gateway = directory.gateway
        self.runner = runner
        self.clock = clock

    # -- new -------------------------------------------------------------------
    async def create(
        self,
        op_id: str,
        congregation: Congregation,
        name: str,
        caller: UserId,
        invitees: list[UserId],
        intention: str | None,
        reply_room: RoomId,
    ) -> None:
        """Start making the crew's room (a resumable operation)."""
        params = Creating(
            congregation=RoomId(congregation.space_id),
            name=name,
            caller=caller,
            invitees=invitees,
            intention=intention,
            reply_room=reply_room,
            created_at=self.clock.now(),
        )
        await self.runner.start(op_id, CREATE, params)

    async def require_members(self, congregation: Congregation, invitees: list[UserId]) -> None:
        """A crew forms among the congregation's members (those who joined its space):
        nobody else is invited, nor made one of the room's creators."""
        joined = await self.gateway.joined_members(RoomId(congregation.space_id))
        outside = [u for u in invitees if u not in joined]
        if outside:
            raise UserError(
                _n(
                    "{outside} has not joined **{name}**; a crew forms among its members. "
                    "Anyone can sponsor them first: `!congregation invite {first}`.",
                    "{outside} have not joined **{name}**; a crew forms among its members. "
                    "Anyone can sponsor them first: `!congregation invite {first}`.",
                    len(outside),
                    outside=", ".join(outside),
                    name=congregation.name,
                    first=outside[0],
                )
            )

    async def require_unused(self, congregation: Congregation, name: str) -> None:
        existing = await self.find(congregation.space_id, name)
        pending = [
            p
            for p in await self.runner.pending(CREATE, Creating)
            if p.congregation == congregation.space_id and name_key(p.name) == name_key(name)
        ]
        if existing is not None or pending:
            raise UserError(
                _(
                    "**{congregation}** already has a crew called **{crew}**; pick another name.",
                    congregation=congregation.name,
                    crew=name,
                )
            )

    async def within_daily_limit(self, caller: UserId) -> None:
        since = self.clock.now() - DAY
        called = len(await self.directory.index.crews_called_since(caller, since))
        called += len(
            [p for p in await self.runner.pending(CREATE, Creating) if p.caller == caller]
        )
        if called >= self.limits.crews_per_person_per_day:
            raise UserError(
                _(
                    "You have called {called} crews in the last day (at most "
                    "{limit}); call the next one tomorrow.",
                    called=called,
                    limit=self.limits.crews_per_person_per_day,
                )
            )

    async def perform_create(self, run: Run[Creating]) -> None:
        p = run.params
        via = self.directory.via
        space = RoomId(p.congregation)
        caller = UserId(p.caller)
        people = [caller, *(UserId(u) for u in p.invitees)]
        facts = CrewFacts(
            name=p.name,
            caller=caller,
            congregation=space,
            intention=p.intention,
            created_at=p.created_at,
        )
        make = await room_maker(run, self.gateway, people, via)
        marker = make.marker(CREW_ROOM, "room", congregation=space)
        room = await make.create(
            "room",
            crew_room(p.name, p.intention, space, [*marker, (CREW, "", facts.content())]),
        )
        order = crew_order(p.created_at.isoformat())
        await run.step("link", partial(link, self.gateway, space, room, order, via))
        await run.step("facts", partial(self.directory.shared.write, space, facts, room))
        for person in people:
            await run.step(f"invite:{person}", partial(invite_once, self.gateway, room, person))
        await run.step("index", partial(self.index, room, space, facts))
        await run.step(
            "ready",
            partial(
                report,
                self.gateway,
                RoomId(p.reply_room),
                _(
                    "Crew **{name}** is ready: {room_link}\nInvited: {people}. Everyone "
                    "joins by accepting the invitation.",
                    name=p.name,
                    room_link=room_link(room, via),
                    people=", ".join(people),
                ),
                caller,
                f"cohost-op-{run.id}-ready",
            ),
        )

    async def index(self, room: str, space: str, facts: CrewFacts) -> None:
        await self.directory.index.index(crew_entries(room, space, facts))

    async def report_failure(self, run: Run[Creating], reason: str) -> None:
        what = _("crew **{name}**", name=run.params.name)
        asked = Asked(requester=run.params.caller, reply_room=run.params.reply_room)
        await report_unfinished(self.gateway, run, what, asked, reason)

    # -- list and info ---------------------------------------------------------
    async def find(self, space: str, name: str) -> Crew | None:
        return await self.directory.index.crew_by_name(space, name_key(name))


def crew_entries(room: str, space: str, facts: CrewFacts) -> IndexEntries:
    """The index rows of a crew, from its facts."""
    entries = IndexEntries(crews=[facts.row(room, space)])
    entries.rooms.append(
        IndexedRoom(room_id=room, kind=CREW_ROOM, congregation_id=space, released=facts.released)
    )
    return entries


async def rebuild_crews(rebuild: Rebuild) -> None:
    """`cohost resync`: the crews each congregation's space records."""
    for space in rebuild.rooms_of(CONGREGATION_SPACE):
        if await rebuild.facts.get(space, CongregationFacts) is None:
            continue
        for room, facts in (await rebuild.facts.all(space, CrewFacts)).items():
            if room:
                rebuild.entries.extend(crew_entries(room, space, facts))
                rebuild.counts["crews"] += 1
