"""`!announce <text>`: a host posts in the congregation's Announcements room, through
cohost (members there cannot post)."""

from __future__ import annotations

from handlers.directory import Directory
from handlers.errors import UserError
from handlers.registry import Args, CommandContext, CommandRegistry, Kind, Param
from handlers.replies import Reply, to_html
from handlers.types import RoomId

MAX_ANNOUNCEMENT = 4000


class Announcements:
    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self.gateway = directory.gateway

    def register(self, registry: CommandRegistry) -> None:
        registry.command(
            "announce",
            Param("text", Kind.TEXT),
            summary="Post in the congregation's Announcements room (a host, in the Hosts room).",
        )(self.announce)
        registry.command(
            "announce network",
            Param("text", Kind.TEXT),
            summary="Post to every congregation of the network (not available yet).",
        )(self.announce_network)

    async def announce(self, ctx: CommandContext, args: Args) -> Reply:
        congregation = self.directory.require_hosts_room(
            await self.directory.place(ctx.message.room_id), "!announce"
        )
        await self.directory.require_host(congregation, ctx.sender)
        text = args["text"].strip()
        if len(text) > MAX_ANNOUNCEMENT:
            raise UserError(f"Keep an announcement to {MAX_ANNOUNCEMENT} characters.")
        body = f"{text}\n— {ctx.sender}, host of {congregation.name}"
        content = {
            "msgtype": "m.text",
            "body": body,
            "format": "org.matrix.custom.html",
            "formatted_body": to_html(body),
            "m.mentions": {},
        }
        await self.gateway.send_event(
            RoomId(congregation.announcements_id),
            "m.room.message",
            content,
            f"cohost-announce-{ctx.message.event_id}",
        )
        return Reply(f"Posted in the Announcements room of **{congregation.name}**.")

    async def announce_network(self, ctx: CommandContext, args: Args) -> Reply:
        raise UserError(
            "Network announcements are not available yet: this cohost cannot relay between "
            "congregations on other homeservers so far. `!announce <text>` posts in your own "
            "congregation."
        )
