"""Crews: `!crew new|list|info|leave`."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from handlers.community.directory import Directory, room_link
from handlers.community.rooms import (
    creators,
    crew_order,
    invite_once,
    kick_quietly,
    link,
    report,
    report_unfinished,
    room_maker,
)
from handlers.community.shape import crew_room
from handlers.community.state import CREW, CREW_ROOM
from handlers.framework.clock import Clock
from handlers.framework.errors import UserError
from handlers.framework.limits import DAY, MAX_INTENTION, Limits
from handlers.framework.names import clean_name, name_key
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.registry import Args, CommandContext, CommandRegistry, Kind, Param
from handlers.framework.replies import Reply
from handlers.framework.text import one_line
from handlers.framework.types import RoomId, UserId
from storage.community import IndexEntries
from storage.models import Crew, IndexedRoom

CREATE = "create_crew"
MAX_CREW = 8  # above eight a crew should split


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
        runner.register(CREATE, self.perform_create, self.report_failure)

    def register(self, registry: CommandRegistry) -> None:
        registry.command(
            "crew new",
            Param("name"),
            Param("invitees", Kind.USER, optional=True, repeated=True),
            Param("intention", Kind.TEXT, optional=True, keyword="intention:"),
            summary="Call a new crew; the people you name get an invitation.",
        )(self.new)
        registry.command("crew list", summary="The crews of this congregation.")(self.list)
        registry.command(
            "crew info",
            Param("name", optional=True),
            summary="About a crew (this one, or by name).",
        )(self.info)
        registry.command("crew leave", summary="Leave this crew; no reason needed.")(self.leave)

    # -- new -------------------------------------------------------------------
    async def new(self, ctx: CommandContext, args: Args) -> Reply:
        name = clean_name(args["name"], "crew")
        congregation = await self.directory.congregation_for(ctx.message.room_id, ctx.sender)
        await self.directory.require_member(congregation, ctx.sender)
        invitees = list(dict.fromkeys(u for u in args["invitees"] if u != ctx.sender))
        if self.gateway.user_id in invitees:
            raise UserError("I join every crew anyway; name only the people you are inviting.")
        if len(invitees) + 1 > MAX_CREW:
            raise UserError(
                f"Crews work best with 3–{MAX_CREW} people; you named {len(invitees) + 1}. "
                "Consider calling two crews."
            )
        intention = args["intention"]
        if intention is not None and len(intention) > MAX_INTENTION:
            raise UserError(
                f"Keep the intention to {MAX_INTENTION} characters; the crew can refine it later."
            )
        intention = one_line(intention, MAX_INTENTION) if intention else None
        await self._within_daily_limit(ctx.sender)
        existing = await self.find(congregation.space_id, name)
        pending = [
            p
            for p in await self.runner.pending_params(CREATE)
            if p["congregation"] == congregation.space_id and name_key(p["name"]) == name_key(name)
        ]
        if existing is not None or pending:
            raise UserError(
                f"**{congregation.name}** already has a crew called **{name}**; pick another name."
            )
        params = {
            "congregation": congregation.space_id,
            "name": name,
            "caller": ctx.sender,
            "invitees": invitees,
            "intention": intention,
            "reply_room": ctx.message.room_id,
            "created_at": self.clock.now().isoformat(),
        }

        async def start() -> None:
            await self.runner.start(ctx.message.event_id, CREATE, params)

        return Reply(
            f"Crew **{name}** is on its way. I'll tell you here when its room is ready"
            + (f" and I have invited {', '.join(invitees)}." if invitees else "."),
            then=start,
        )

    async def _within_daily_limit(self, caller: UserId) -> None:
        since = self.clock.now() - DAY
        called = len(await self.directory.index.crews_called_since(caller, since))
        called += len(
            [p for p in await self.runner.pending_params(CREATE) if p["caller"] == caller]
        )
        if called >= self.limits.crews_per_person_per_day:
            raise UserError(
                f"You have called {called} crews in the last day "
                f"(at most {self.limits.crews_per_person_per_day}); call the next one tomorrow."
            )

    async def perform_create(self, run: Run) -> None:
        p: dict[str, Any] = run.params
        via = self.directory.via
        space = RoomId(p["congregation"])
        caller = UserId(p["caller"])
        people = [caller, *(UserId(u) for u in p["invitees"])]
        facts = crew_facts(p)
        make = await room_maker(run, self.gateway, people, via)
        marker = make.marker(CREW_ROOM, "room", congregation=space)
        room = await make.create(
            "room", crew_room(p["name"], p["intention"], space, [*marker, (CREW, "", facts)])
        )
        await run.step(
            "link", partial(link, self.gateway, space, room, crew_order(p["created_at"]), via)
        )
        await run.step("facts", partial(self.gateway.put_state, space, CREW, room, facts))
        for person in people:
            await run.step(f"invite:{person}", partial(invite_once, self.gateway, room, person))
        await run.step("index", partial(self.index, room, space, facts))
        await run.step(
            "ready",
            partial(
                report,
                self.gateway,
                RoomId(p["reply_room"]),
                f"Crew **{p['name']}** is ready: {room_link(room, via)}\n"
                f"Invited: {', '.join(people)}. Everyone joins by accepting the invitation.",
                caller,
                f"cohost-op-{run.id}-ready",
            ),
        )

    async def index(self, room: str, space: str, facts: dict[str, Any]) -> None:
        await self.directory.index.index(crew_entries(room, space, facts))

    async def report_failure(self, run: Run, reason: str) -> None:
        what = f"crew **{run.params['name']}**"
        await report_unfinished(self.gateway, run, what, "caller", reason)

    # -- list and info ---------------------------------------------------------
    async def find(self, space: str, name: str) -> Crew | None:
        return await self.directory.index.crew_by_name(space, name_key(name))

    async def list(self, ctx: CommandContext, args: Args) -> Reply:
        congregation = await self.directory.congregation_for(ctx.message.room_id, ctx.sender)
        crews = await self.directory.index.crews(congregation.space_id)
        if not crews:
            return Reply(
                f"**{congregation.name}** has no crews yet. Call one with `!crew new <name>`."
            )
        lines = [f"Crews of **{congregation.name}**:"]
        for crew in crews:
            note = " (released: cohost no longer takes part)" if crew.released else ""
            lines.append(f"**{crew.name}** — called by {crew.caller}{note}")
        return Reply("\n".join(lines))

    async def info(self, ctx: CommandContext, args: Args) -> Reply:
        place = await self.directory.place(ctx.message.room_id)
        if args["name"] is None:
            if place.crew is None:
                raise UserError("Name the crew (`!crew info <name>`), or ask in the crew's room.")
            crew = place.crew
        else:
            congregation = await self.directory.congregation_for(ctx.message.room_id, ctx.sender)
            found = await self.find(congregation.space_id, clean_name(args["name"], "crew"))
            if found is None:
                raise UserError(f"**{congregation.name}** has no crew called **{args['name']}**.")
            crew = found
        lines = [
            f"**{crew.name}** — called by {crew.caller} on {crew.created_at:%Y-%m-%d}",
            f"Intention: {crew.intention or 'not set'}",
        ]
        if crew.released:
            lines.append("cohost has been released from this crew.")
        else:
            members = sorted(
                u
                for u in await self.gateway.joined_members(RoomId(crew.room_id))
                if u != self.gateway.user_id
            )
            lines.append(
                f"Members ({len(members)}): {', '.join(members) or 'none have joined yet'}"
            )
        lines.append(f"Room: {room_link(crew.room_id, self.directory.via)}")
        return Reply("\n".join(lines))

    # -- leave -----------------------------------------------------------------
    async def leave(self, ctx: CommandContext, args: Args) -> Reply:
        place = await self.directory.place(ctx.message.room_id)
        if place.crew is None:
            raise UserError("Send `!crew leave` in the room of the crew you are leaving.")
        if ctx.sender in await creators(self.gateway, ctx.message.room_id):
            return Reply(
                "As one of the crew's founders you share the top level with me, so I cannot "
                "remove you: leave from Element's room menu. Nobody needs a reason."
            )
        return Reply(
            f"Thank you for the time together in **{place.crew.name}**. I am taking you out "
            "of the room now; nobody needs a reason.",
            then=partial(
                kick_quietly, self.gateway, ctx.message.room_id, ctx.sender, "Left the crew"
            ),
        )


def crew_facts(params: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": params["name"],
        "caller": params["caller"],
        "congregation": params["congregation"],
        "intention": params["intention"],
        "created_at": params["created_at"],
        "released": False,
    }


def crew_entries(room: str, space: str, facts: dict[str, Any]) -> IndexEntries:
    """The index rows of a crew, from its facts."""
    released = bool(facts.get("released"))
    entries = IndexEntries()
    entries.crews.append(
        Crew(
            room_id=room,
            congregation_id=space,
            name=facts["name"],
            name_key=name_key(facts["name"]),
            caller=facts["caller"],
            intention=facts.get("intention"),
            released=released,
            created_at=datetime.fromisoformat(facts["created_at"]),
        )
    )
    entries.rooms.append(
        IndexedRoom(room_id=room, kind=CREW_ROOM, congregation_id=space, released=released)
    )
    return entries
