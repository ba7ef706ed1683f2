"""`!announce <text>` and `!announce network <text>` (a host, in the Hosts room)."""

from __future__ import annotations

from handlers.announcements.engine import Announcements
from handlers.community.places import Context, Where, Who
from handlers.framework.language import N_, _
from handlers.framework.registry import Kind, Param, command
from handlers.framework.replies import Reply


class AnnouncementCommands:
    def __init__(self, announcements: Announcements) -> None:
        self.announcements = announcements

    @command(
        "announce",
        Param("text", Kind.TEXT),
        summary=N_("Post in the congregation's Announcements room (a host, in the Hosts room)."),
        where=Where.HOSTS_ROOM,
        who=Who.HOST,
    )
    async def announce(self, ctx: Context, text: str) -> Reply:
        await self.announcements.post(ctx.congregation, ctx.sender, text, ctx.message.event_id)
        return Reply(
            _("Posted in the Announcements room of **{name}**.", name=ctx.congregation.name)
        )

    @command(
        "announce network",
        Param("text", Kind.TEXT),
        summary=N_("Post to every congregation of the network (a host, in the Hosts room)."),
        where=Where.HOSTS_ROOM,
        who=Who.HOST,
    )
    async def announce_network(self, ctx: Context, text: str) -> Reply:
        name = await self.announcements.post_to_network(
            ctx.congregation, ctx.sender, text, ctx.message.event_id
        )
        return Reply(
            _(
                "Posted to the network **{name}**; every member congregation's cohost "
                "relays it into its Announcements room.",
                name=name,
            )
        )
