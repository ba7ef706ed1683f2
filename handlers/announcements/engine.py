"""`!announce <text>`: a host posts in the congregation's Announcements room, through
cohost (members there cannot post)."""

from __future__ import annotations

from typing import Any

import structlog

from handlers.community.directory import Directory
from handlers.community.facts import NetworkFacts
from handlers.community.state import NETWORK_ANNOUNCEMENTS
from handlers.framework.errors import UserError
from handlers.framework.matrix_names import MENTIONS, EventType, MsgType
from handlers.framework.registry import Args, CommandContext, CommandRegistry, Kind, Param
from handlers.framework.replies import Reply, to_html
from handlers.framework.types import IncomingMessage, RoomId
from handlers.network.membership import NetworkMembership

MAX_ANNOUNCEMENT = 4000
# Marks a network announcement with where it came from; relays are made from it.
ORIGIN = "cc.microsolidarity.announcement"

log = structlog.get_logger(__name__)


class Announcements:
    def __init__(self, directory: Directory, network: NetworkMembership) -> None:
        self.directory = directory
        self.gateway = directory.gateway
        self.network = network

    def register(self, registry: CommandRegistry) -> None:
        registry.command(
            "announce",
            Param("text", Kind.TEXT),
            summary="Post in the congregation's Announcements room (a host, in the Hosts room).",
        )(self.announce)
        registry.command(
            "announce network",
            Param("text", Kind.TEXT),
            summary="Post to every congregation of the network (a host, in the Hosts room).",
        )(self.announce_network)

    async def announce(self, ctx: CommandContext, args: Args) -> Reply:
        congregation = self.directory.require_hosts_room(
            await self.directory.place(ctx.message.room_id), "!announce"
        )
        await self.directory.require_host(congregation, ctx.sender)
        body = f"{self._text(args)}\n— {ctx.sender}, host of {congregation.name}"
        content = message(body)
        await self.gateway.send_event(
            RoomId(congregation.announcements_id),
            EventType.MESSAGE,
            content,
            f"cohost-announce-{ctx.message.event_id}",
        )
        return Reply(f"Posted in the Announcements room of **{congregation.name}**.")

    async def announce_network(self, ctx: CommandContext, args: Args) -> Reply:
        congregation = self.directory.require_hosts_room(
            await self.directory.place(ctx.message.room_id), "!announce network"
        )
        network = (await self.directory.require_host(congregation, ctx.sender)).network
        if not network:
            raise UserError(f"**{congregation.name}** is not part of a network yet.")
        facts = await self.directory.shared.get(RoomId(network), NetworkFacts)
        room = facts.rooms.get("announcements") if facts else None
        if facts is None or not room:
            raise UserError("I cannot find the network's Announcements room.")
        text = self._text(args)
        body = f"{text}\n— {ctx.sender}, host of {congregation.name}"
        content = message(body)
        content[ORIGIN] = {
            "congregation": congregation.space_id,
            "name": congregation.name,
            "author": ctx.sender,
            "text": text,
        }
        event_id = await self.gateway.send_event(
            RoomId(room), EventType.MESSAGE, content, f"cohost-announce-{ctx.message.event_id}"
        )
        await self._relay(RoomId(congregation.announcements_id), event_id, content[ORIGIN])
        return Reply(
            f"Posted to the network **{facts.name}**; every member congregation's "
            "cohost relays it into its Announcements room."
        )

    async def relay(self, incoming: IncomingMessage) -> None:
        """Another member cohost posted in the network's Announcements: relay it once."""
        origin = incoming.content.get(ORIGIN)
        if (
            not isinstance(origin, dict)
            or incoming.notice
            or incoming.sender == self.gateway.user_id
        ):
            return
        place = await self.directory.place(incoming.room_id)
        if place.room is None or place.room.kind != NETWORK_ANNOUNCEMENTS or place.room.released:
            return
        network = RoomId(place.room.network_id or "")
        members = await self.network.members(network)
        entry = next((m for m in members.values() if m.bot == incoming.sender), None)
        if entry is None:
            log.warning("announcement_from_non_member_ignored", sender=incoming.sender)
            return
        # The congregation is the one the register names for this cohost, whatever the
        # announcement claims; an author counts only as one of its hosts.
        author = origin.get("author")
        origin = {
            "name": entry.name,
            "text": str(origin.get("text", ""))[:MAX_ANNOUNCEMENT],
            "author": author if author in entry.hosts else f"a host of {entry.name}",
        }
        for congregation in await self.directory.index.congregations_in(network):
            await self._relay(RoomId(congregation.announcements_id), incoming.event_id, origin)

    async def _relay(self, room: RoomId, source: str, origin: dict[str, Any]) -> None:
        body = f"From {origin.get('name')}: {origin.get('text')}\n— {origin.get('author')}"
        await self.gateway.send_event(
            room, EventType.MESSAGE, message(body), f"cohost-relay-{source}"
        )

    def _text(self, args: Args) -> str:
        text = str(args["text"]).strip()
        if len(text) > MAX_ANNOUNCEMENT:
            raise UserError(f"Keep an announcement to {MAX_ANNOUNCEMENT} characters.")
        return text


def message(body: str) -> dict[str, Any]:
    return {
        "msgtype": MsgType.TEXT,
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": to_html(body),
        MENTIONS: {},
    }
