"""Every `!crew …` command: calling a crew and finding it (`new`, `list`, `info`),
belonging to it (`join`, `invite`, `leave`), and its rhythm (`cycle`, `host`,
`rotate`, `retro`)."""

from __future__ import annotations

from datetime import time
from functools import partial
from zoneinfo import ZoneInfo

from handlers.community.directory import Directory, room_link
from handlers.community.places import Context, Where, Who
from handlers.community.rooms import creators, kick_quietly
from handlers.crews.engine import MAX_CREW, Crews
from handlers.framework.arguments import WEEKDAYS, ArgKind
from handlers.framework.errors import UserError
from handlers.framework.limits import MAX_INTENTION
from handlers.framework.registry import Kind, Param, command
from handlers.framework.replies import Reply
from handlers.framework.text import one_line
from handlers.framework.types import RoomId, UserId
from handlers.membership.engine import Membership
from handlers.network.crews import NetworkCrews
from handlers.rhythm.arithmetic import CHOICES, MAX_MEETINGS
from handlers.rhythm.engine import Rhythm
from storage.models import Crew


def _choice(word: str) -> str:
    if word.lower() not in CHOICES:
        raise UserError("Answer with continue, adjust, split or pause.")
    return word.lower()


RETRO_CHOICE = ArgKind("choice", _choice)
CYCLE_EXAMPLE = "!crew cycle 6 meetings every Tuesday 19:00 Europe/Berlin"


class CrewCommands:
    def __init__(
        self, crews: Crews, membership: Membership, rhythm: Rhythm, network_crews: NetworkCrews
    ) -> None:
        self.crews = crews
        self.membership = membership
        self.rhythm = rhythm
        self.network_crews = network_crews
        self.directory: Directory = crews.directory
        self.gateway = crews.gateway

    # -- calling and finding crews -------------------------------------------------
    @command(
        "crew new",
        Param("name", Kind.name("crew")),
        Param("invitees", Kind.USER, optional=True, repeated=True),
        Param("intention", Kind.TEXT, optional=True, keyword="intention:"),
        summary="Call a new crew; the people you name get an invitation.",
        where=Where.CONGREGATION,
        who=Who.MEMBER,
    )
    async def new(
        self, ctx: Context, name: str, invitees: list[UserId], intention: str | None
    ) -> Reply:
        congregation = ctx.congregation
        invited = list(dict.fromkeys(u for u in invitees if u != ctx.sender))
        if self.gateway.user_id in invited:
            raise UserError("I join every crew anyway; name only the people you are inviting.")
        if len(invited) + 1 > MAX_CREW:
            raise UserError(
                f"Crews work best with 3–{MAX_CREW} people; you named {len(invited) + 1}. "
                "Consider calling two crews."
            )
        if intention is not None and len(intention) > MAX_INTENTION:
            raise UserError(
                f"Keep the intention to {MAX_INTENTION} characters; the crew can refine it later."
            )
        intention = one_line(intention, MAX_INTENTION) if intention else None
        await self.crews.require_members(congregation, invited)
        await self.crews.within_daily_limit(ctx.sender)
        await self.crews.require_unused(congregation, name)
        start = partial(
            self.crews.create,
            ctx.message.event_id,
            congregation,
            name,
            ctx.sender,
            invited,
            intention,
            ctx.room_id,
        )
        return Reply(
            f"Crew **{name}** is on its way. I'll tell you here when its room is ready"
            + (f" and I have invited {', '.join(invited)}." if invited else "."),
            then=start,
        )

    @command("crew list", summary="The crews of this congregation.", where=Where.CONGREGATION)
    async def list(self, ctx: Context) -> Reply:
        congregation = ctx.congregation
        crews = await self.directory.index.crews(congregation.space_id)
        if not crews:
            return Reply(
                f"**{congregation.name}** has no crews yet. Call one with `!crew new <name>`."
            )
        lines = [f"Crews of **{congregation.name}**:"]
        for crew in crews:
            note = " (released: cohost no longer takes part)" if crew.released else ""
            lines.append(f"**{crew.room_id}** — called by {crew.caller}{note}")
        return Reply("\n".join(lines), rooms=self.directory.links_to(crews))

    @command(
        "crew info",
        Param("name", Kind.name("crew"), optional=True),
        summary="About a crew (this one, or by name).",
    )
    async def info(self, ctx: Context, name: str | None) -> Reply:
        crew = await self._crew_named(ctx, name)
        lines = [
            f"**{crew.name}** — called by {crew.caller} on {crew.created_at:%Y-%m-%d}",
            f"Intention: {crew.intention or 'not set'}",
        ]
        if crew.released:
            lines.append("cohost has been released from this crew.")
        else:
            members = sorted(await self.rhythm.members(RoomId(crew.room_id)))
            lines.append(
                f"Members ({len(members)}): {', '.join(members) or 'none have joined yet'}"
            )
        lines.append(f"Room: {room_link(crew.room_id, self.directory.via)}")
        return Reply("\n".join(lines))

    async def _crew_named(self, ctx: Context, name: str | None) -> Crew:
        """The crew named, in the sender's congregation; unnamed, this room's crew."""
        if name is None:
            place = await self.directory.place(ctx.room_id)
            if place.crew is None:
                raise UserError("Name the crew (`!crew info <name>`), or ask in the crew's room.")
            return place.crew
        congregation = await self.directory.congregation_for(ctx.room_id, ctx.sender)
        found = await self.crews.find(congregation.space_id, name)
        if found is None:
            raise UserError(f"**{congregation.name}** has no crew called **{name}**.")
        return found

    # -- belonging -------------------------------------------------------------------
    @command(
        "crew join",
        Param("name", Kind.name("crew")),
        summary="Ask a crew to let you join (in the Commons: a network's crew).",
        where=Where.CONGREGATION_OR_COMMONS,
        who=Who.MEMBER,
    )
    async def join(self, ctx: Context, name: str) -> Reply:
        if ctx.found_network is not None:
            return await self._join_network_crew(ctx, name)
        congregation = ctx.congregation
        crew = await self.crews.find(congregation.space_id, name)
        if crew is None or crew.released:
            raise UserError(f"**{congregation.name}** has no crew called **{name}** that I host.")
        proposal = await self.membership.open_crew_join(
            crew, ctx.sender, None, ctx.message.event_id
        )
        return Reply(
            f"I asked **{crew.name}** (proposal #{proposal.number} in its room). You will get an "
            "invitation if the crew consents."
        )

    async def _join_network_crew(self, ctx: Context, name: str) -> Reply:
        crew = await self.network_crews.crew_named(ctx.network, name)
        if crew is None or crew.released:
            raise UserError(f"The network has no crew called **{name}**.")
        # The asker gives their congregation's voice in the network: asking is consenting.
        proposal = await self.network_crews.propose_join(
            ctx.network, crew, ctx.sender, ctx.sender, ctx.message.event_id
        )
        return Reply(
            f"Proposal #{proposal.number} is open: the network decides, then **{crew.name}** "
            "itself; you will get an invitation if both consent."
        )

    @command(
        "crew invite",
        Param("user", Kind.USER),
        summary="Propose to your crew that someone joins it.",
        where=Where.CREW_ROOM,
        who=Who.CREW_MEMBER,
    )
    async def invite(self, ctx: Context, user: UserId) -> Reply:
        if ctx.found_network is not None:  # a network's crew: the network decides first
            proposal = await self.network_crews.propose_join(
                ctx.network, ctx.crew, user, ctx.sender, ctx.message.event_id
            )
            return Reply(
                f"Proposal #{proposal.number} is open in the network's Commons: {user} joins "
                f"**{ctx.crew.name}**; then the crew decides."
            )
        proposal = await self.membership.open_crew_join(
            ctx.crew, user, ctx.sender, ctx.message.event_id
        )
        return Reply(f"Proposal #{proposal.number} is open: {user} joins **{ctx.crew.name}**.")

    @command("crew leave", summary="Leave this crew; no reason needed.", where=Where.CREW_ROOM)
    async def leave(self, ctx: Context) -> Reply:
        if ctx.sender in await creators(self.gateway, ctx.room_id):
            return Reply(
                "As one of the crew's founders you share the top level with me, so I cannot "
                "remove you: leave from Element's room menu. Nobody needs a reason."
            )
        return Reply(
            f"Thank you for the time together in **{ctx.crew.name}**. I am taking you out "
            "of the room now; nobody needs a reason.",
            then=partial(kick_quietly, self.gateway, ctx.room_id, ctx.sender, "Left the crew"),
        )

    # -- rhythm ------------------------------------------------------------------------
    @command(
        "crew cycle",
        Param("n", Kind.INT),
        Param("meetings", Kind.literal("meetings", "meeting")),
        Param("every", Kind.literal("every")),
        Param("weekday", Kind.WEEKDAY),
        Param("time", Kind.TIME),
        Param("timezone", Kind.ZONE),
        summary=f"Set the rhythm: `{CYCLE_EXAMPLE}`.",
        where=Where.CREW_ROOM,
        who=Who.CREW_MEMBER,
        example=CYCLE_EXAMPLE,
    )
    async def cycle(
        self, ctx: Context, n: int, weekday: int, time: time, timezone: ZoneInfo
    ) -> Reply:
        if not 1 <= n <= MAX_MEETINGS:
            raise UserError(f"A cycle has 1 to {MAX_MEETINGS} meetings (six is the classic start).")
        members = await self.rhythm.members(ctx.room_id)
        cycle, first = await self.rhythm.start_cycle(ctx.crew, members, n, weekday, time, timezone)
        return Reply(
            f"Cycle {cycle.number}: {n} meeting{'s' if n > 1 else ''} every "
            f"{WEEKDAYS[weekday].title()} at {time:%H:%M} {timezone.key}, "
            f"from {self.rhythm.when(cycle, first)}. Hosting rotates so "
            "everyone practises; I remind you a day and an hour before each meeting, and the last "
            "one opens the retrospective."
        )

    @command(
        "crew host",
        summary="Who hosts the next meeting.",
        where=Where.CREW_ROOM,
        who=Who.CREW_MEMBER,
    )
    async def host(self, ctx: Context) -> Reply:
        cycle, meeting = await self.rhythm.next_meeting(ctx.room_id)
        host = await self.rhythm.host_of(cycle, meeting)
        return Reply(
            f"Meeting {meeting.index} of {cycle.meetings}, {self.rhythm.when(cycle, meeting.at)}: "
            f"hosted by {host}."
        )

    @command(
        "crew rotate",
        summary="Pass hosting the next meeting on to the next person.",
        where=Where.CREW_ROOM,
        who=Who.CREW_MEMBER,
    )
    async def rotate(self, ctx: Context) -> Reply:
        members = await self.rhythm.members(ctx.room_id)
        cycle, meeting = await self.rhythm.next_meeting(ctx.room_id)
        current, new_host = await self.rhythm.pass_hosting(cycle, meeting, members)
        return Reply(
            f"{current} passed hosting on: {new_host} hosts meeting {meeting.index} "
            f"({self.rhythm.when(cycle, meeting.at)}).",
            mentions=(UserId(str(new_host)),),
        )

    @command(
        "crew retro",
        Param("choice", RETRO_CHOICE),
        summary="Answer the retrospective: continue, adjust, split or pause.",
        where=Where.CREW_ROOM,
        who=Who.CREW_MEMBER,
    )
    async def retro(self, ctx: Context, choice: str) -> Reply:
        await self.rhythm.answer_retro(
            ctx.room_id, ctx.message.event_id, ctx.sender, choice, ctx.message.origin_server_ts
        )
        return Reply(f"Noted: {choice}.")
