"""Where a command was sent, which congregation or crew it refers to, and who may do
what there. Rights come from Matrix state (membership, the hosts recorded in the
congregation's state), never from display names."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from zoneinfo import ZoneInfo

from handlers.community.facts import CongregationFacts, SharedFacts
from handlers.community.state import HOSTS, NETWORK_ROOMS
from handlers.framework.clock import Clock
from handlers.framework.errors import MatrixError, UserError
from handlers.framework.gateway import MatrixGateway
from handlers.framework.language import SOURCE, _, known
from handlers.framework.markdown import RoomLink
from handlers.framework.memo import remembered
from handlers.framework.patterns import server_of
from handlers.framework.types import RoomId, UserId
from storage.community import Place
from storage.models import Congregation, Crew
from storage.people import Own
from storage.stores import Stores

__all__ = ["Directory", "Place", "room_link"]


def room_link(room_id: str, via: str) -> str:
    return f"https://matrix.to/#/{room_id}?via={via}"


class Directory:
    def __init__(
        self,
        gateway: MatrixGateway,
        stores: Stores,
        clock: Clock,
        zone: str = "UTC",
        language: str = SOURCE,
    ) -> None:
        self.gateway = gateway
        self.default_zone = ZoneInfo(zone)
        self.default_language = language
        self.stores = stores
        self.index = stores.community
        self.shared = SharedFacts(gateway, stores.trusted, clock)

    @property
    def via(self) -> str:
        return server_of(self.gateway.user_id)

    async def place(self, room_id: RoomId) -> Place:
        return await remembered(("place", room_id), partial(self.index.place, room_id))

    async def cohosts_in(self, room_id: RoomId) -> set[UserId]:
        """The cohosts that share a room: in a network's rooms every member
        congregation's cohost (by the register), elsewhere none but this one."""
        place = await self.place(room_id)
        if place.room is None or place.room.kind not in NETWORK_ROOMS:
            return {self.gateway.user_id}
        members = await self.shared.members(RoomId(place.room.network_id or room_id))
        return {self.gateway.user_id, *(m.bot for m in members.values())}

    async def people_in(self, room_id: RoomId) -> set[UserId]:
        """Who has joined a room, cohosts aside."""
        return await self.gateway.joined_members(room_id) - await self.cohosts_in(room_id)

    async def zone_of(self, room_id: RoomId, person: UserId | None = None) -> ZoneInfo:
        """The zone times are shown in here: the zone of the congregation the room
        belongs to; in a direct message the person's own (`!zone`), else their
        congregation's; else the setting `zone`."""
        own, facts = await self._chosen(room_id, person)
        chosen = own.zone or (facts.zone if facts else None)
        return ZoneInfo(chosen) if chosen else self.default_zone

    async def quorum_of(self, room_id: RoomId) -> int:
        """The quorum of the congregation the room belongs to (0: none)."""
        congregation = (await self.place(room_id)).congregation
        if congregation is None:
            return 0
        facts = await self.shared.get(RoomId(congregation.space_id), CongregationFacts)
        return facts.quorum or 0 if facts is not None else 0

    async def language_of(self, room_id: RoomId, person: UserId | None = None) -> str:
        """The language cohost speaks here, chosen as the zone is (`!language`,
        `!congregation language`, the setting `language`)."""
        own, facts = await self._chosen(room_id, person)
        chosen = own.language or (facts.language if facts else None)
        return chosen if chosen and known(chosen) else self.default_language

    async def _chosen(
        self, room_id: RoomId, person: UserId | None
    ) -> tuple[Own, CongregationFacts | None]:
        return await remembered(
            ("chosen", room_id, person), partial(self._read_chosen, room_id, person)
        )

    async def _read_chosen(
        self, room_id: RoomId, person: UserId | None
    ) -> tuple[Own, CongregationFacts | None]:
        place = await self.place(room_id)
        congregation, own = place.congregation, Own()
        if place.room is None and person is not None:  # a direct message
            own = await self.stores.people.own(person)
            if own.zone is None or own.language is None:
                try:
                    congregation = await self.congregation_at(place, person)
                except UserError:
                    congregation = None  # none, or several: the settings speak
        if congregation is None:
            return own, None
        return own, await self.shared.get(RoomId(congregation.space_id), CongregationFacts)

    async def is_released(self, room_id: RoomId) -> bool:
        place = await self.place(room_id)
        return bool(place.room and place.room.released)

    async def congregation_for(self, room_id: RoomId, sender: UserId) -> Congregation:
        """The congregation a command refers to: the one whose room it was sent in, or
        in a DM the one congregation the sender belongs to."""
        return await self.congregation_at(await self.place(room_id), sender)

    async def congregation_at(self, place: Place, sender: UserId) -> Congregation:
        if place.congregation is not None:
            if place.congregation.released:
                raise UserError(
                    _("I have been released from this congregation and no longer act here.")
                )
            return place.congregation
        candidates = [c for c in await self.index.congregations() if not c.released]
        mine = [
            c for c in candidates if sender in await self.gateway.joined_members(RoomId(c.space_id))
        ]
        if len(mine) == 1:
            return mine[0]
        if not mine:
            raise UserError(
                _(
                    "You are not a member of any congregation I host. Ask a member to "
                    "invite you, or knock on the congregation's space."
                )
            )
        names = ", ".join(f"**{c.name}**" for c in mine)
        raise UserError(
            _(
                "You belong to several congregations ({names}); send this in that "
                "congregation's Lobby.",
                names=names,
            )
        )

    def links_to(self, crews: Iterable[Crew]) -> dict[str, RoomLink]:
        """Crews' rooms as a message links them: by name, to their room."""
        return {c.room_id: (c.name, room_link(c.room_id, self.via)) for c in crews}

    async def member_anywhere(self, user: UserId) -> bool:
        """Whether the person has joined the space of a congregation cohost hosts."""
        for congregation in await self.index.congregations():
            if not congregation.released and user in await self.gateway.joined_members(
                RoomId(congregation.space_id)
            ):
                return True
        return False

    async def require_member(self, congregation: Congregation, user: UserId) -> None:
        if user not in await self.gateway.joined_members(RoomId(congregation.space_id)):
            raise UserError(
                _(
                    "Only members of **{name}** can do that; you have not joined its space.",
                    name=congregation.name,
                ),
                kind="not_a_member",
            )

    async def facts(self, congregation: Congregation) -> CongregationFacts:
        facts = await self.shared.get(RoomId(congregation.space_id), CongregationFacts)
        if facts is None:
            raise MatrixError(None, "M_NOT_FOUND", "congregation facts missing from its space")
        return facts

    async def hosts(self, congregation: Congregation) -> list[UserId]:
        return list((await self.facts(congregation)).hosts)

    async def require_host(self, congregation: Congregation, user: UserId) -> CongregationFacts:
        """Refuse anyone but a host; return the facts read to decide, for reuse."""
        facts = await self.facts(congregation)
        if user not in facts.hosts:
            raise UserError(
                _("Only the hosts of **{name}** can do that.", name=congregation.name), "not_a_host"
            )
        return facts

    def require_hosts_room(self, place: Place, command: str) -> Congregation:
        if place.room is None or place.room.kind != HOSTS or place.congregation is None:
            raise UserError(
                _("Send `{command}` in your congregation's Hosts room.", command=command)
            )
        return place.congregation

    async def update_facts(
        self, congregation: Congregation, change: Callable[[CongregationFacts], None]
    ) -> None:
        """Read-modify-write of the congregation's facts in its space, then the index."""
        facts = await self.facts(congregation)
        change(facts)
        await self.shared.write(RoomId(congregation.space_id), facts)
        await self.index.record_hosts(congregation.space_id, facts.hosts, facts.network)
