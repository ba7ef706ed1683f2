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
from handlers.framework.arguments import ArgKind
from handlers.framework.errors import UserError
from handlers.framework.language import N_, _, _n
from handlers.framework.limits import MAX_INTENTION
from handlers.framework.registry import Kind, Param, command
from handlers.framework.replies import Reply
from handlers.framework.text import one_line, quoted
from handlers.framework.times import weekday as weekday_name
from handlers.framework.types import RoomId, UserId
from handlers.membership.engine import Membership
from handlers.network.crews import NetworkCrews
from handlers.rhythm.arithmetic import CHOICES, MAX_MEETINGS, WEEKLY, pattern_of
from handlers.rhythm.engine import Rhythm
from storage.models import Crew


def _choice(word: str) -> str:
    if word.lower() not in CHOICES:
        raise UserError(_("Answer with continue, adjust, split or pause."))
    return word.lower()


RETRO_CHOICE = ArgKind("choice", _choice)
CYCLE_EXAMPLE = "!crew cycle 6 meetings every Tuesday 19:00 Europe/Berlin"


# How often a crew meets, as the reply to `!crew cycle` says it.
RHYTHMS = {
    "weekly": N_("every {weekday}"),
    "fortnightly": N_("every other {weekday}"),
    "first": N_("every first {weekday} of the month"),
    "second": N_("every second {weekday} of the month"),
    "third": N_("every third {weekday} of the month"),
    "fourth": N_("every fourth {weekday} of the month"),
    "last": N_("every last {weekday} of the month"),
}


def rhythm_said(pattern: str, weekday: str) -> str:
    return _(RHYTHMS.get(pattern, RHYTHMS["weekly"]), weekday=weekday)


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
        summary=N_("Call a new crew; the people you name get an invitation."),
        where=Where.CONGREGATION,
        who=Who.MEMBER,
    )
    async def new(
        self, ctx: Context, name: str, invitees: list[UserId], intention: str | None
    ) -> Reply:
        congregation = ctx.congregation
        invited = list(dict.fromkeys(u for u in invitees if u != ctx.sender))
        if self.gateway.user_id in invited:
            raise UserError(_("I join every crew anyway; name only the people you are inviting."))
        if len(invited) + 1 > MAX_CREW:
            raise UserError(
                _(
                    "Crews work best with 3–{most} people; you named {count}. Consider "
                    "calling two crews.",
                    most=MAX_CREW,
                    count=len(invited) + 1,
                )
            )
        if intention is not None and len(intention) > MAX_INTENTION:
            raise UserError(
                _(
                    "Keep the intention to {limit} characters; the crew can refine it later.",
                    limit=MAX_INTENTION,
                )
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
        if invited:
            text = _(
                "Crew **{name}** is on its way. I'll tell you here when its room is ready "
                "and I have invited {invited}.",
                name=name,
                invited=", ".join(invited),
            )
        else:
            text = _(
                "Crew **{name}** is on its way. I'll tell you here when its room is ready.",
                name=name,
            )
        return Reply(text, then=start)

    @command("crew list", summary=N_("The crews of this congregation."), where=Where.CONGREGATION)
    async def list(self, ctx: Context) -> Reply:
        congregation = ctx.congregation
        crews = await self.directory.index.crews(congregation.space_id)
        if not crews:
            return Reply(
                _(
                    "**{name}** has no crews yet. Call one with `!crew new <name>`.",
                    name=congregation.name,
                )
            )
        lines = [_("Crews of **{name}**:", name=congregation.name)]
        for crew in crews:
            note = _(" (released: cohost no longer takes part)") if crew.released else ""
            lines.append(
                _(
                    "**{room_id}** — called by {caller}{note}",
                    room_id=crew.room_id,
                    caller=crew.caller,
                    note=note,
                )
            )
        return Reply("\n".join(lines), rooms=self.directory.links_to(crews))

    @command(
        "crew info",
        Param("name", Kind.name("crew"), optional=True),
        summary=N_("About a crew (this one, or by name)."),
    )
    async def info(self, ctx: Context, name: str | None) -> Reply:
        crew = await self._crew_named(ctx, name)
        lines = [
            _(
                "**{name}** — called by {caller} on {created_at:%Y-%m-%d}",
                name=crew.name,
                caller=crew.caller,
                created_at=crew.created_at,
            ),
            _(
                "Intention: {intention}",
                intention=quoted(crew.intention, MAX_INTENTION) if crew.intention else _("not set"),
            ),
        ]
        if crew.released:
            lines.append(_("cohost has been released from this crew."))
        else:
            members = sorted(await self.rhythm.members(RoomId(crew.room_id)))
            lines.append(
                _(
                    "Members ({count}): {members}",
                    count=len(members),
                    members=", ".join(members) or _("none have joined yet"),
                )
            )
        lines.append(_("Room: {room_link}", room_link=room_link(crew.room_id, self.directory.via)))
        return Reply("\n".join(lines))

    async def _crew_named(self, ctx: Context, name: str | None) -> Crew:
        """The crew named, in the sender's congregation; unnamed, this room's crew."""
        if name is None:
            place = await self.directory.place(ctx.room_id)
            if place.crew is None:
                raise UserError(
                    _("Name the crew (`!crew info <name>`), or ask in the crew's room.")
                )
            return place.crew
        congregation = await self.directory.congregation_for(ctx.room_id, ctx.sender)
        found = await self.crews.find(congregation.space_id, name)
        if found is None:
            raise UserError(
                _(
                    "**{congregation}** has no crew called **{crew}**.",
                    congregation=congregation.name,
                    crew=name,
                )
            )
        return found

    # -- belonging -------------------------------------------------------------------
    @command(
        "crew join",
        Param("name", Kind.name("crew")),
        summary=N_("Ask a crew to let you join (in the Commons: a network's crew)."),
        where=Where.CONGREGATION_OR_COMMONS,
        who=Who.MEMBER,
    )
    async def join(self, ctx: Context, name: str) -> Reply:
        if ctx.found_network is not None:
            return await self._join_network_crew(ctx, name)
        congregation = ctx.congregation
        crew = await self.crews.find(congregation.space_id, name)
        if crew is None or crew.released:
            raise UserError(
                _(
                    "**{congregation}** has no crew called **{crew}** that I host.",
                    congregation=congregation.name,
                    crew=name,
                )
            )
        proposal = await self.membership.open_crew_join(
            crew, ctx.sender, None, ctx.message.event_id
        )
        return Reply(
            _(
                "I asked **{name}** (proposal #{number} in its room). You will get an "
                "invitation if the crew consents.",
                name=crew.name,
                number=proposal.number,
            )
        )

    async def _join_network_crew(self, ctx: Context, name: str) -> Reply:
        crew = await self.network_crews.crew_named(ctx.network, name)
        if crew is None or crew.released:
            raise UserError(_("The network has no crew called **{name}**.", name=name))
        # The asker gives their congregation's voice in the network: asking is consenting.
        proposal = await self.network_crews.propose_join(
            ctx.network, crew, ctx.sender, ctx.sender, ctx.message.event_id
        )
        return Reply(
            _(
                "Proposal #{number} is open: the network decides, then **{name}** "
                "itself; you will get an invitation if both consent.",
                number=proposal.number,
                name=crew.name,
            )
        )

    @command(
        "crew invite",
        Param("user", Kind.USER),
        summary=N_("Propose to your crew that someone joins it."),
        where=Where.CREW_ROOM,
        who=Who.CREW_MEMBER,
    )
    async def invite(self, ctx: Context, user: UserId) -> Reply:
        if ctx.found_network is not None:  # a network's crew: the network decides first
            proposal = await self.network_crews.propose_join(
                ctx.network, ctx.crew, user, ctx.sender, ctx.message.event_id
            )
            return Reply(
                _(
                    "Proposal #{number} is open in the network's Commons: {user} joins "
                    "**{name}**; then the crew decides.",
                    number=proposal.number,
                    user=user,
                    name=ctx.crew.name,
                )
            )
        proposal = await self.membership.open_crew_join(
            ctx.crew, user, ctx.sender, ctx.message.event_id
        )
        return Reply(
            _(
                "Proposal #{number} is open: {user} joins **{name}**.",
                number=proposal.number,
                user=user,
                name=ctx.crew.name,
            )
        )

    @command("crew leave", summary=N_("Leave this crew; no reason needed."), where=Where.CREW_ROOM)
    async def leave(self, ctx: Context) -> Reply:
        if ctx.sender in await creators(self.gateway, ctx.room_id):
            return Reply(
                _(
                    "As one of the crew's founders you share the top level with me, so I "
                    "cannot remove you: leave from Element's room menu. Nobody needs a "
                    "reason."
                )
            )
        return Reply(
            _(
                "Thank you for the time together in **{name}**. I am taking you out of "
                "the room now; nobody needs a reason.",
                name=ctx.crew.name,
            ),
            then=partial(kick_quietly, self.gateway, ctx.room_id, ctx.sender, _("Left the crew")),
        )

    # -- rhythm ------------------------------------------------------------------------
    @command(
        "crew cycle",
        Param("n", Kind.INT),
        Param("meetings", Kind.literal("meetings", "meeting")),
        Param("every", Kind.literal("every")),
        Param("often", Kind.OFTEN, optional=True, skippable=True),
        Param("weekday", Kind.WEEKDAY),
        Param("time", Kind.TIME),
        Param("timezone", Kind.ZONE),
        summary=N_(
            "Set the rhythm: `!crew cycle 6 meetings every Tuesday 19:00 Europe/Berlin` "
            "(or every other Tuesday, every first … fourth or last Tuesday of the month)."
        ),
        where=Where.CREW_ROOM,
        who=Who.CREW_MEMBER,
        example=CYCLE_EXAMPLE,
    )
    async def cycle(
        self, ctx: Context, n: int, often: str | None, weekday: int, time: time, timezone: ZoneInfo
    ) -> Reply:
        if not 1 <= n <= MAX_MEETINGS:
            raise UserError(
                _(
                    "A cycle has 1 to {most} meetings (six is the classic start).",
                    most=MAX_MEETINGS,
                )
            )
        members = await self.rhythm.members(ctx.room_id)
        pattern = pattern_of(often) if often else WEEKLY
        cycle, first = await self.rhythm.start_cycle(
            ctx.crew, members, n, weekday, time, timezone, pattern
        )
        return Reply(
            _n(
                "Cycle {number}: {count} meeting {rhythm} at {time:%H:%M} "
                "{zone}, from {when}. Hosting rotates so everyone practises; I remind "
                "you a day and an hour before each meeting, and the last one opens the "
                "retrospective.",
                "Cycle {number}: {count} meetings {rhythm} at {time:%H:%M} "
                "{zone}, from {when}. Hosting rotates so everyone practises; I remind "
                "you a day and an hour before each meeting, and the last one opens the "
                "retrospective.",
                n,
                number=cycle.number,
                rhythm=rhythm_said(pattern, weekday_name(weekday)),
                time=time,
                zone=timezone.key,
                when=self.rhythm.when(cycle, first),
            )
        )

    @command(
        "crew host",
        summary=N_("Who hosts the next meeting."),
        where=Where.CREW_ROOM,
        who=Who.CREW_MEMBER,
    )
    async def host(self, ctx: Context) -> Reply:
        cycle, meeting = await self.rhythm.next_meeting(ctx.room_id)
        host = await self.rhythm.host_of(cycle, meeting)
        return Reply(
            _(
                "Meeting {index} of {meetings}, {when}: hosted by {host}.",
                index=meeting.index,
                meetings=cycle.meetings,
                when=self.rhythm.when(cycle, meeting.at),
                host=host,
            )
        )

    @command(
        "crew rotate",
        summary=N_("Pass hosting the next meeting on to the next person."),
        where=Where.CREW_ROOM,
        who=Who.CREW_MEMBER,
    )
    async def rotate(self, ctx: Context) -> Reply:
        members = await self.rhythm.members(ctx.room_id)
        cycle, meeting = await self.rhythm.next_meeting(ctx.room_id)
        current, new_host = await self.rhythm.pass_hosting(cycle, meeting, members)
        return Reply(
            _(
                "{current} passed hosting on: {new_host} hosts meeting {index} ({when}).",
                current=current,
                new_host=new_host,
                index=meeting.index,
                when=self.rhythm.when(cycle, meeting.at),
            ),
            mentions=(UserId(str(new_host)),),
        )

    @command(
        "crew retro",
        Param("choice", RETRO_CHOICE),
        summary=N_("Answer the retrospective: continue, adjust, split or pause."),
        where=Where.CREW_ROOM,
        who=Who.CREW_MEMBER,
    )
    async def retro(self, ctx: Context, choice: str) -> Reply:
        await self.rhythm.answer_retro(
            ctx.room_id, ctx.message.event_id, ctx.sender, choice, ctx.message.origin_server_ts
        )
        return Reply(_("Noted: `{choice}`.", choice=choice))
