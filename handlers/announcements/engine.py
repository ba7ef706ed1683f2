"""Announcements: a host posts in the congregation's Announcements room through cohost
(members there cannot post), or to the whole network; every member cohost relays a
network announcement once into its own congregations' Announcements rooms."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from pydantic import ValidationError

from handlers.announcements.schema import MAX_ANNOUNCEMENT, ORIGIN, Origin
from handlers.community.directory import Directory
from handlers.community.facts import NetworkFacts
from handlers.community.state import NETWORK_ANNOUNCEMENTS
from handlers.framework.errors import UserError
from handlers.framework.language import _
from handlers.framework.markdown import to_html
from handlers.framework.matrix_names import MENTIONS, EventType, MsgType
from handlers.framework.memo import remembering
from handlers.framework.types import IncomingMessage, RoomId, UserId
from handlers.network.membership import NetworkMembership
from storage.models import Congregation

log = structlog.get_logger(__name__)


class Announcements:
    def __init__(self, directory: Directory, network: NetworkMembership) -> None:
        self.directory = directory
        self.gateway = directory.gateway
        self.network = network

    async def post(self, congregation: Congregation, author: UserId, text: str, key: str) -> None:
        body = _(
            "{text}\n— {author}, host of **{name}**",
            text=checked(text),
            author=author,
            name=congregation.name,
        )
        await self.gateway.send_event(
            RoomId(congregation.announcements_id),
            EventType.MESSAGE,
            message(body),
            f"cohost-announce-{key}",
        )

    async def post_to_network(
        self, congregation: Congregation, author: UserId, text: str, key: str
    ) -> str:
        """Post in the network's Announcements and relay it here; the network's name."""
        network = (await self.directory.facts(congregation)).network
        if not network:
            raise UserError(_("**{name}** is not part of a network yet.", name=congregation.name))
        facts = await self.directory.shared.get(RoomId(network), NetworkFacts)
        room = facts.rooms.get("announcements") if facts else None
        if facts is None or not room:
            raise UserError(_("I cannot find the network's Announcements room."))
        said = checked(text)
        origin = Origin(
            congregation=congregation.space_id, name=congregation.name, author=author, text=said
        )
        content = message(
            _(
                "{said}\n— {author}, host of **{name}**",
                said=said,
                author=author,
                name=congregation.name,
            )
        )
        content[ORIGIN] = origin.model_dump()
        event_id = await self.gateway.send_event(
            RoomId(room), EventType.MESSAGE, content, f"cohost-announce-{key}"
        )
        await self._relay(RoomId(congregation.announcements_id), event_id, origin)
        return facts.name

    async def relay(self, incoming: IncomingMessage) -> None:
        """Another member cohost posted in the network's Announcements: relay it once."""
        raw = incoming.content.get(ORIGIN)
        if not isinstance(raw, dict) or incoming.notice or incoming.sender == self.gateway.user_id:
            return
        # The checks read where the room belongs once (the language's choice read it).
        with remembering():
            relayed = await self._checked(incoming, raw)
        if relayed is None:
            return
        origin, congregations = relayed
        for congregation in congregations:
            await self._relay(RoomId(congregation.announcements_id), incoming.event_id, origin)

    async def _checked(
        self, incoming: IncomingMessage, raw: dict[str, Any]
    ) -> tuple[Origin, list[Congregation]] | None:
        """What to relay and where, when the announcement comes from a member cohost."""
        place = await self.directory.place(incoming.room_id)
        if place.room is None or place.room.kind != NETWORK_ANNOUNCEMENTS or place.room.released:
            return None
        try:
            claimed = Origin.model_validate(raw)
        except ValidationError:
            log.info("announcement_origin_unreadable", room_id=incoming.room_id)
            return None
        network = RoomId(place.room.network_id or "")
        # Two reads of their own: the register, and this cohost's congregations there.
        members, congregations = await asyncio.gather(
            self.network.members(network), self.directory.index.congregations_in(network)
        )
        entry = next((m for m in members.values() if m.bot == incoming.sender), None)
        if entry is None:
            log.warning("announcement_from_non_member_ignored", sender=incoming.sender)
            return None
        # The congregation is the one the register names for this cohost, whatever the
        # announcement claims; an author counts only as one of its hosts.
        origin = Origin(
            name=entry.name,
            text=claimed.text[:MAX_ANNOUNCEMENT],
            author=claimed.author
            if claimed.author in entry.hosts
            else _("a host of {name}", name=entry.name),
        )
        return origin, congregations

    async def _relay(self, room: RoomId, source: str, origin: Origin) -> None:
        await self.gateway.send_event(
            room, EventType.MESSAGE, message(origin.body()), f"cohost-relay-{source}"
        )


def checked(text: str) -> str:
    said = text.strip()
    if len(said) > MAX_ANNOUNCEMENT:
        raise UserError(_("Keep an announcement to {limit} characters.", limit=MAX_ANNOUNCEMENT))
    return said


def message(body: str) -> dict[str, Any]:
    return {
        "msgtype": MsgType.TEXT,
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": to_html(body),
        MENTIONS: {},
    }
