"""`!rounds join|leave|now|again`: get-to-know-you rounds."""

from __future__ import annotations

from handlers.community.places import Context, Where, Who
from handlers.framework.arguments import Kind
from handlers.framework.errors import UserError
from handlers.framework.language import N_, _, _n
from handlers.framework.registry import Param, command
from handlers.framework.replies import Reply
from handlers.framework.times import at
from handlers.framework.types import RoomId
from handlers.rhythm.arithmetic import FORTNIGHTLY, WEEKLY
from handlers.rounds.engine import Rounds


class RoundCommands:
    def __init__(self, rounds: Rounds) -> None:
        self.rounds = rounds

    @command(
        "rounds join",
        summary=N_("Take part in get-to-know-you rounds: small meetings before a crew."),
        where=Where.CONGREGATION,
        who=Who.MEMBER,
    )
    async def join(self, ctx: Context) -> Reply:
        await self.rounds.join(RoomId(ctx.congregation.space_id), ctx.sender)
        return Reply(
            _(
                "You take part in **{name}**'s get-to-know-you rounds: each round you meet "
                "one or two members in a small room. `!rounds leave` stops it.",
                name=ctx.congregation.name,
            )
        )

    @command(
        "rounds leave",
        summary=N_("Stop taking part in get-to-know-you rounds."),
        where=Where.CONGREGATION,
        who=Who.MEMBER,
    )
    async def leave(self, ctx: Context) -> Reply:
        await self.rounds.leave(RoomId(ctx.congregation.space_id), ctx.sender)
        return Reply(_("You take no part in the next rounds."))

    @command(
        "rounds now",
        summary=N_("Hold a get-to-know-you round now (hosts, in the Hosts room)."),
        where=Where.HOSTS_ROOM,
        who=Who.HOST,
    )
    async def now(self, ctx: Context) -> Reply:
        number, count = await self.rounds.hold(ctx.congregation, ctx.message.event_id)
        return Reply(
            _n(
                "Round {number}: {count} group, each in a room of its own.",
                "Round {number}: {count} groups, each in a room of its own.",
                count,
                number=number,
            )
        )

    @command(
        "rounds every",
        Param("often", Kind.OFTEN, optional=True, skippable=True),
        Param("weekday", Kind.WEEKDAY),
        summary=N_(
            "Hold rounds by themselves: `!rounds every Tuesday` (or every other Tuesday), "
            "at ten in the congregation's zone."
        ),
        where=Where.HOSTS_ROOM,
        who=Who.HOST,
    )
    async def every(self, ctx: Context, often: str | None, weekday: int) -> Reply:
        if often not in (None, "other"):
            raise UserError(_("Rounds come every week or every other week."))
        pattern = FORTNIGHTLY if often == "other" else WEEKLY
        first = await self.rounds.every(ctx.congregation, weekday, pattern)
        assert first is not None
        zone = await self.rounds.directory.zone_of(RoomId(ctx.congregation.space_id))
        return Reply(
            _(
                "Rounds come by themselves from now on; the next on {when}. `!rounds stop` "
                "stops them.",
                when=at(first, zone),
            )
        )

    @command(
        "rounds stop",
        summary=N_("No more rounds by themselves (`!rounds now` still holds one)."),
        where=Where.HOSTS_ROOM,
        who=Who.HOST,
    )
    async def stop(self, ctx: Context) -> Reply:
        await self.rounds.every(ctx.congregation, 0, None)
        return Reply(_("No more rounds by themselves; `!rounds now` still holds one."))

    @command("rounds again", summary=N_("In a round's room: you would meet again."))
    async def again(self, ctx: Context) -> Reply:
        return Reply(await self.rounds.again(ctx.room_id, ctx.sender))
