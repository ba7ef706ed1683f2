"""A newcomer hears once what the congregation is, who hosts it, its crews and where to
start: in the Lobby when they first come in there, or (setting `welcome_in = "dm"`) in
a direct message as soon as they join the congregation's space."""

from __future__ import annotations

import structlog
from pydantic import BaseModel

from handlers.community.direct import DirectRooms
from handlers.community.directory import Directory
from handlers.community.state import CONGREGATION_SPACE, LOBBY
from handlers.framework.language import _
from handlers.framework.matrix_names import Membership
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.speech import ask_to_act
from handlers.framework.types import IncomingMember, RoomId, UserId
from storage.decisions import NoticeStore
from storage.models import Congregation, Crew

log = structlog.get_logger(__name__)

WELCOME = "welcome"
MAX_CREWS_NAMED = 12


class Welcoming(BaseModel):
    """A newcomer's welcome in a direct room (setting `welcome_in = "dm"`)."""

    space: RoomId
    person: UserId


class Welcome:
    def __init__(
        self,
        directory: Directory,
        notices: NoticeStore,
        runner: OperationRunner,
        direct_rooms: DirectRooms,
        where: str,
    ) -> None:
        self.directory = directory
        self.gateway = directory.gateway
        self.notices = notices
        self.runner = runner
        self.direct_rooms = direct_rooms
        self.where = where

    async def on_member(self, event: IncomingMember) -> None:
        joined = event.membership == Membership.JOIN and event.prev_membership != Membership.JOIN
        person = UserId(event.state_key)
        if not joined or person != event.sender or person == self.gateway.user_id:
            return
        place = await self.directory.place(event.room_id)
        congregation, room = place.congregation, place.room
        if congregation is None or congregation.released or room is None:
            return
        if room.kind != (LOBBY if self.where == "lobby" else CONGREGATION_SPACE):
            return
        if person in await self.directory.hosts(congregation):
            return  # hosts need no welcome to their own congregation
        if not await self.notices.first_time(f"welcome:{congregation.space_id}:{person}", person):
            return
        log.info("newcomer_welcomed", room_id=event.room_id, where=self.where)
        if self.where == "lobby":
            await self._send(event.room_id, congregation, person)
            return
        # Off the sync path: the new room's first message waits for it to arrive by sync.
        await self.runner.start(
            f"welcome-{congregation.space_id}-{person}",
            WELCOME,
            Welcoming(space=RoomId(congregation.space_id), person=person),
        )

    async def perform(self, run: Run[Welcoming]) -> None:
        """The direct-message welcome: the room with the person, then the words."""
        person = UserId(run.params.person)
        congregation = await self.directory.index.congregation(run.params.space)
        if congregation is None:
            return
        room = await self.direct_rooms.with_person(run, person)
        await run.step("welcome", lambda: self._send(room, congregation, person))

    async def _send(self, room: RoomId, congregation: Congregation, person: UserId) -> None:
        crews = await self.directory.index.crews(congregation.space_id)
        crews = [c for c in crews if not c.released]
        await ask_to_act(
            self.gateway,
            room,
            await self.text(congregation, person, crews),
            f"cohost-welcome-{congregation.space_id}-{person}",
            (person,),
            rooms=self.directory.links_to(crews[:MAX_CREWS_NAMED]),
        )

    async def text(self, congregation: Congregation, person: UserId, crews: list[Crew]) -> str:
        hosts = await self.directory.hosts(congregation)
        named = ", ".join(f"**{c.room_id}**" for c in crews[:MAX_CREWS_NAMED])
        more = (
            _(" and {count} more", count=len(crews) - MAX_CREWS_NAMED)
            if len(crews) > MAX_CREWS_NAMED
            else ""
        )
        crews_line = (
            _(
                "Its crews: {named}{more}. Ask to join one with `!crew join <name>`.",
                named=named,
                more=more,
            )
            if crews
            else _("It has no crews yet: you could call the first.")
        )
        return "\n".join(
            [
                _("Welcome to **{name}**, {person}!", name=congregation.name, person=person),
                _(
                    "A congregation is here to help crews form: small groups of 3–8 people "
                    "who meet in a rhythm and support each other."
                ),
                _("Its hosts: {hosts}.", hosts=", ".join(hosts)),
                crews_line,
                _(
                    "To start: `!crew list` shows the crews, `!crew new <name> @…` calls a "
                    "new one with the people you pick, and `!help` says what else you can "
                    "do."
                ),
            ]
        )

    async def report_failure(self, run: Run[Welcoming], reason: str) -> None:
        log.warning("welcome_failed", reason=reason)
