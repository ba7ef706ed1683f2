"""Who joins a crew or a congregation, and who hosts: the kinds of decision behind
`!crew join`, `!crew invite`, `!congregation invite`, `!host add`, `!host remove` and
knocks, decided by consent and carried out idempotently when they pass. Invitations
sent around a proposal are noted; a declined one is recorded with its proposal."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from functools import partial
from typing import Any, Literal

import structlog

from handlers.community.directory import Directory
from handlers.community.facts import CongregationFacts
from handlers.community.rooms import creators, invite_once, kick_quietly
from handlers.community.shape import HOST_LEVEL
from handlers.community.state import CONGREGATION_SPACE, CREW_ROOM
from handlers.decisions.engine import Decisions, KindSpec
from handlers.decisions.schema import Decided
from handlers.framework import matrix_names as mx
from handlers.framework.errors import UserError
from handlers.framework.language import _
from handlers.framework.operations import Run
from handlers.framework.power import change_users
from handlers.framework.speech import tell
from handlers.framework.types import IncomingMember, RoomId, UserId
from storage.models import Congregation, Crew, Proposal

log = structlog.get_logger(__name__)


class MembershipKind(StrEnum):
    """The decisions about who belongs (stored as their value)."""

    CREW_JOIN = "crew_join"
    CONGREGATION_JOIN = "congregation_join"
    HOST_ADD = "host_add"
    HOST_REMOVE = "host_remove"


CREW_JOIN = MembershipKind.CREW_JOIN
CONGREGATION_JOIN = MembershipKind.CONGREGATION_JOIN
HOST_ADD = MembershipKind.HOST_ADD
HOST_REMOVE = MembershipKind.HOST_REMOVE


class Membership:
    def __init__(
        self,
        directory: Directory,
        decisions: Decisions,
        crew_window: timedelta,
        congregation_window: timedelta,
        decided_by: Literal["hosts", "members"],
    ) -> None:
        self.directory = directory
        self.gateway = directory.gateway
        self.decisions = decisions
        self.crew_window = crew_window
        self.congregation_window = congregation_window
        self.decided_by = decided_by

    def kinds(self) -> dict[MembershipKind, KindSpec]:
        """The kinds of decision about who belongs and who hosts."""
        return {
            CREW_JOIN: KindSpec(self._describe_crew_join, self._invite_subject),
            CONGREGATION_JOIN: KindSpec(self._describe_congregation_join, self._invite_subject),
            HOST_ADD: KindSpec(self._describe_host_add, self._carry_out_host_add),
            HOST_REMOVE: KindSpec(self._describe_host_remove, self._carry_out_host_remove),
        }

    # -- descriptions ----------------------------------------------------------
    def _describe_crew_join(self, p: Proposal) -> str:
        return _("{subject} joins this crew", subject=p.subject)

    def _describe_congregation_join(self, p: Proposal) -> str:
        return _("{subject} joins the congregation", subject=p.subject)

    def _describe_host_add(self, p: Proposal) -> str:
        return _("{subject} becomes a host", subject=p.subject)

    def _describe_host_remove(self, p: Proposal) -> str:
        return _("{subject} is no longer a host", subject=p.subject)

    # -- crews -------------------------------------------------------------------
    async def open_crew_join(
        self, crew: Crew, subject: UserId, proposer: UserId | None, key: str
    ) -> Proposal:
        room = RoomId(crew.room_id)
        members = await self.gateway.joined_members(room)
        if subject in members:
            raise UserError(
                _("{subject} is already a member of **{name}**.", subject=subject, name=crew.name)
            )
        await self._no_open_duplicate(CREW_JOIN, crew.room_id, subject)
        deciders = sorted(await self.directory.people_in(room))
        if not deciders:
            raise UserError(
                _(
                    "Nobody has joined **{name}** yet to decide; ask its caller, {caller}.",
                    name=crew.name,
                    caller=crew.caller,
                )
            )
        return await self.decisions.open(
            kind=CREW_JOIN,
            room_id=room,
            scope=crew.room_id,
            subject=subject,
            proposer=proposer,
            deciders=deciders,
            window=self.crew_window,
            opening_key=key,
        )

    async def _no_open_duplicate(self, kind: str, scope: str, subject: str) -> None:
        existing = await self.decisions.store.open_about(kind, scope, subject)
        if existing is not None:
            raise UserError(
                _(
                    "Proposal #{number} about {subject} is already open.",
                    number=existing.number,
                    subject=subject,
                )
            )

    async def _invite_subject(self, run: Run[Decided]) -> None:
        """Carrying out a membership decision: the newcomer gets an invitation (once)."""
        decided = run.params
        invite = partial(invite_once, self.gateway, RoomId(decided.scope), UserId(decided.subject))
        await run.step("invite", invite)

    # -- congregations -----------------------------------------------------------
    async def deciding_room(self, congregation: Congregation) -> tuple[RoomId, list[UserId]]:
        if self.decided_by == "members":
            members = await self.gateway.joined_members(RoomId(congregation.space_id))
            return RoomId(congregation.lobby_id), sorted(
                m for m in members if m != self.gateway.user_id
            )
        return RoomId(congregation.hosts_room_id), await self.directory.hosts(congregation)

    async def open_congregation_join(
        self,
        congregation: Congregation,
        subject: UserId,
        proposer: UserId | None,
        key: str,
        why: str | None,
    ) -> Proposal:
        await self._no_open_duplicate(CONGREGATION_JOIN, congregation.space_id, subject)
        room, deciders = await self.deciding_room(congregation)
        return await self.decisions.open(
            kind=CONGREGATION_JOIN,
            room_id=room,
            scope=congregation.space_id,
            subject=subject,
            proposer=proposer,
            deciders=deciders,
            window=self.congregation_window,
            opening_key=key,
            reason=why,
        )

    # -- hosts -------------------------------------------------------------------
    async def open_host_change(
        self,
        kind: str,
        congregation: Congregation,
        proposer: UserId,
        key: str,
        subject: UserId,
        deciders: list[UserId],
    ) -> Proposal:
        await self._no_open_duplicate(kind, congregation.space_id, subject)
        return await self.decisions.open(
            kind=kind,
            room_id=RoomId(congregation.hosts_room_id),
            scope=congregation.space_id,
            subject=subject,
            proposer=proposer,
            deciders=deciders,
            window=self.congregation_window,
            opening_key=key,
        )

    async def _congregation(self, space: str) -> Congregation:
        congregation = await self.directory.index.congregation(space)
        assert congregation is not None
        return congregation

    async def _carry_out_host_add(self, run: Run[Decided]) -> None:
        decided = run.params
        congregation = await self._congregation(decided.scope)
        subject = UserId(decided.subject)

        def add(facts: CongregationFacts) -> None:
            facts.hosts = sorted({*facts.hosts, subject})

        await run.step("facts", partial(self.directory.update_facts, congregation, add))
        for room in self._host_rooms(congregation):
            await run.step(f"power:{room}", partial(self._set_power, room, subject, HOST_LEVEL))
        await run.step(
            "invite:hosts",
            partial(invite_once, self.gateway, RoomId(congregation.hosts_room_id), subject),
        )

    async def _carry_out_host_remove(self, run: Run[Decided]) -> None:
        decided = run.params
        congregation = await self._congregation(decided.scope)
        subject = UserId(decided.subject)

        def drop(facts: CongregationFacts) -> None:
            facts.hosts = [h for h in facts.hosts if h != subject]

        await run.step("facts", partial(self.directory.update_facts, congregation, drop))
        for room in self._host_rooms(congregation):
            await run.step(f"power:{room}", partial(self._set_power, room, subject, None))
        await run.step("leave:hosts", partial(self._out_of_hosts_room, congregation, subject))

    async def _out_of_hosts_room(self, congregation: Congregation, subject: UserId) -> None:
        """Removal by consent removes: out of the (encrypted) Hosts room, or, for one of
        its founders, whom Matrix lets nobody remove, a note saying so."""
        room = RoomId(congregation.hosts_room_id)
        if subject in await creators(self.gateway, room):
            await tell(
                self.gateway,
                room,
                _(
                    "{subject} is no longer a host. As a founder of this room they keep "
                    "their place in it (Matrix lets nobody remove a room's creator); they "
                    "may leave it themselves.",
                    subject=subject,
                ),
                f"cohost-host-removed-{room}-{subject}",
            )
            return
        await kick_quietly(
            self.gateway, room, subject, _("no longer a host, by the hosts' consent")
        )

    def _host_rooms(self, c: Congregation) -> list[RoomId]:
        return [
            RoomId(r) for r in (c.space_id, c.lobby_id, c.announcements_id, c.hosts_room_id) if r
        ]

    async def _set_power(self, room: RoomId, user: UserId, level: int | None) -> None:
        """A host's level in a room; creators already hold more than any level."""
        if user in await creators(self.gateway, room):
            return

        def set_level(users: dict[str, Any]) -> None:
            if level is None:
                users.pop(user, None)
            else:
                users[user] = level

        await change_users(self.gateway, room, set_level)

    # -- membership events -------------------------------------------------------
    async def on_member(self, event: IncomingMember) -> None:
        place = await self.directory.place(event.room_id)
        if place.room is None or place.room.released or event.state_key == self.gateway.user_id:
            return
        subject = UserId(event.state_key)
        if event.membership == mx.Membership.KNOCK:
            await self._knocked(place.room.kind, place.crew, place.congregation, subject, event)
        elif event.membership == mx.Membership.INVITE and event.sender not in (
            await self.directory.cohosts_in(event.room_id)
        ):  # a cohost that shares the room invites as a decision asked
            await self._bypassed(event, subject)
        elif (
            event.membership == mx.Membership.LEAVE
            and event.prev_membership == mx.Membership.INVITE
            and event.sender == subject
        ):
            await self.decisions.note_declined(event.room_id, subject)

    async def _knocked(
        self,
        kind: str,
        crew: Crew | None,
        congregation: Congregation | None,
        subject: UserId,
        event: IncomingMember,
    ) -> None:
        try:
            if kind == CREW_ROOM and crew is not None and congregation is not None:
                # As for `!crew join`: crews form among the congregation's members.
                await self.directory.require_member(congregation, subject)
                await self.open_crew_join(crew, subject, None, event.event_id)
            elif kind == CONGREGATION_SPACE and congregation is not None:
                await self.open_congregation_join(
                    congregation, subject, None, event.event_id, event.reason
                )
        except UserError as refusal:
            log.info("knock_not_proposed", kind=refusal.kind)

    async def _bypassed(self, event: IncomingMember, subject: UserId) -> None:
        """Reported once, never undone: the room's people may invite directly."""
        text = _(
            "{sender} invited {subject} directly, without a proposal. That is "
            "within their rights here; I note it so that everyone knows.",
            sender=event.sender,
            subject=subject,
        )
        await tell(self.gateway, event.room_id, text, f"cohost-bypass-{event.event_id}")
