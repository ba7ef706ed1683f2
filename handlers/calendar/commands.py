"""`!crew calendar` and `!crew calendar reset`: a crew's calendar feed, its address
sent to the asker alone."""

from __future__ import annotations

from handlers.calendar.engine import CrewCalendars
from handlers.community.places import Context, Where, Who
from handlers.framework.language import N_, _
from handlers.framework.registry import command
from handlers.framework.replies import Reply


class CalendarCommands:
    def __init__(self, calendars: CrewCalendars) -> None:
        self.calendars = calendars

    @command(
        "crew calendar",
        summary=N_("The crew's meetings in your calendar: its address, sent to you alone."),
        where=Where.CREW_ROOM,
        who=Who.CREW_MEMBER,
    )
    async def calendar(self, ctx: Context) -> Reply:
        key = f"calendar-{ctx.message.event_id}"
        await self.calendars.send_address(ctx.crew, ctx.sender, key, reset=False)
        return Reply(
            _(
                "I sent you the address of **{crew}**'s calendar in our direct room (never "
                "here: anyone who has it sees the crew's meetings).",
                crew=ctx.crew.name,
            )
        )

    @command(
        "crew calendar reset",
        summary=N_("A new address for the crew's calendar; the old one leads nowhere."),
        where=Where.CREW_ROOM,
        who=Who.CREW_MEMBER,
    )
    async def reset(self, ctx: Context) -> Reply:
        key = f"calendar-{ctx.message.event_id}"
        await self.calendars.send_address(ctx.crew, ctx.sender, key, reset=True)
        return Reply(
            _(
                "**{crew}**'s calendar has a new address, which I sent you in our direct "
                "room; the old one leads nowhere now. Crewmates who subscribed ask again "
                "with `!crew calendar`.",
                crew=ctx.crew.name,
            )
        )
