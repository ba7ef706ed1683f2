"""The one place where a command's declared preconditions are checked: where it was
sent (a DM, a congregation's room, the Hosts room, a crew's room) and who sent it (a
member, a host, a crew member), from the index and Matrix state. The handler then
receives the congregation and crew it acts for."""

from __future__ import annotations

from handlers.community.directory import Directory, Place
from handlers.community.places import Context, Where, Who
from handlers.community.state import COMMONS, HOSTS
from handlers.framework.dispatch import shared_with_people
from handlers.framework.errors import UserError
from handlers.framework.language import _
from handlers.framework.registry import Command
from handlers.framework.types import IncomingMessage, RoomId
from storage.models import Congregation, Crew


class Preconditions:
    def __init__(self, directory: Directory) -> None:
        self.directory = directory

    async def __call__(self, command: Command, message: IncomingMessage) -> Context:
        if command.where is None and command.who is None:
            return Context(message)
        place = await self.directory.place(message.room_id)
        in_commons = place.room is not None and place.room.kind == COMMONS
        if command.where is Where.COMMONS or (
            command.where is Where.CONGREGATION_OR_COMMONS and in_commons
        ):
            return await self._in_commons(command, place, message)
        congregation, crew = await self._where(command, place, message)
        await self._who(command.who, congregation, crew, message)
        # A crew of a network (the Meta Crew) acts for its network.
        network = place.room.network_id if crew is not None and place.room else None
        return Context(message, congregation, crew, RoomId(network) if network else None)

    async def _in_commons(
        self, command: Command, place: Place, message: IncomingMessage
    ) -> Context:
        room = place.room
        if room is None or room.kind != COMMONS or room.released or not room.network_id:
            raise UserError(
                _("Send `!{name}` in the network's Commons.", name=command.name), "wrong_room"
            )
        network = RoomId(room.network_id)
        if command.who in (Who.NETWORK_HOST, Who.MEMBER):
            members = await self.directory.shared.members(network)
            if not any(message.sender in m.hosts for m in members.values()):
                raise UserError(
                    _("Only the hosts of the network's congregations can do that."), "not_a_host"
                )
        return Context(message, found_network=network)

    async def _where(
        self, command: Command, place: Place, message: IncomingMessage
    ) -> tuple[Congregation | None, Crew | None]:
        name = f"!{command.name}"
        crew = place.crew if place.crew is not None and not place.crew.released else None
        match command.where:
            case None | Where.COMMONS:
                return None, None
            case Where.DM:
                shared = await shared_with_people(self.directory.gateway, message.room_id)
                if place.room is not None or shared:
                    raise UserError(
                        _("Send `{name}` to me in a direct message.", name=name), "wrong_room"
                    )
                return None, None
            case Where.CONGREGATION | Where.CONGREGATION_OR_COMMONS:
                return await self.directory.congregation_at(place, message.sender), None
            case Where.HOSTS_ROOM:
                return self.directory.require_hosts_room(place, name), None
            case Where.CREW_ROOM:
                if crew is None:
                    raise UserError(
                        _("Send `{name}` in your crew's room.", name=name), "wrong_room"
                    )
                return place.congregation, crew
            case Where.CREW_OR_HOSTS_ROOM:
                if crew is not None:
                    return place.congregation, crew
                if place.room is not None and place.room.kind == HOSTS and place.congregation:
                    return place.congregation, None
                raise UserError(
                    _(
                        "Send `{name}` in a crew's room (as its member) or in the Hosts room "
                        "(as a host).",
                        name=name,
                    ),
                    "wrong_room",
                )
            case _:
                raise AssertionError(f"{name} declares a place this module does not know")

    async def _who(
        self,
        who: object,
        congregation: Congregation | None,
        crew: Crew | None,
        message: IncomingMessage,
    ) -> None:
        if who is None:
            return
        if who is Who.CREW_MEMBER or (who is Who.RESPONSIBLE and crew is not None):
            if crew is None or message.sender not in await self.directory.gateway.joined_members(
                message.room_id
            ):
                raise UserError(_("Only members of this crew can do that."), "not_a_crew_member")
            return
        if congregation is None:
            raise UserError(_("Send this in a room of your congregation."), "wrong_room")
        if who is Who.MEMBER:
            await self.directory.require_member(congregation, message.sender)
        else:  # HOST, and RESPONSIBLE in the Hosts room
            await self.directory.require_host(congregation, message.sender)
