"""Joining a network of congregations hosted on different homeservers.

The applicant's cohost knocks on the network space (`!network join`); a member cohost
opens a proposal in the network Commons, decided by the member congregations with one
voice each (given by any of its hosts). When it passes, member cohosts carry it out:
power and invitations for the applicant's cohost and the link to its space. The
applicant's cohost then joins, writes its congregation into the network's register,
and brings in its own hosts.

The register lives in the network space: one `cc.microsolidarity.member` state event
per congregation (state key: its space id), written by that congregation's cohost.

In the network's rooms several cohosts read every command; each command is answered by
the cohost of the sender's own congregation (or, for a sender who hosts none, by the
member cohost whose user id sorts first), while all of them record votes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import structlog
from pydantic import BaseModel, Field

from handlers.community.directory import Directory
from handlers.community.facts import ApplicationRecord, CongregationFacts, MemberEntry, NetworkFacts
from handlers.community.rooms import Asked, invite_once, report
from handlers.community.shape import HOST_LEVEL, space_child, space_parent
from handlers.community.state import CONGREGATION, NETWORK_CREW, NETWORK_ROOMS, NETWORK_SPACE
from handlers.decisions.engine import Decisions, KindSpec
from handlers.decisions.schema import Decided
from handlers.framework.clock import Clock
from handlers.framework.errors import MatrixError, NotYet
from handlers.framework.language import N_, _
from handlers.framework.matrix_names import EventType, Membership
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.patterns import server_of
from handlers.framework.power import raise_to
from handlers.framework.stand_in import AT_ONCE, Turn
from handlers.framework.turns import turn_of
from handlers.framework.types import IncomingInvite, IncomingMember, RoomId, UserId
from handlers.network.engine import network_entries
from handlers.network.schema import (
    NETWORK_JOIN,
    Knock,
    invitation_reason,
    invited_to,
)
from storage.models import Congregation, Proposal

log = structlog.get_logger(__name__)

JOINED = "joined_network"
OPEN_JOIN = "open_network_join"
LEAVE = "leave_network"
OPENING_TURN = timedelta(seconds=20)


# What a knock's proposal says it checked about the applicant's space.
VOUCHED: dict[object, str] = {
    True: N_("that space's own facts name this cohost"),
    False: N_("that space's facts do not name this cohost"),
    None: N_("that space cannot be read from here"),
}


def admission(p: Proposal) -> dict[str, Any]:
    """An admission's details (read from the knock by an earlier version: its reason)."""
    return p.details or Knock.read(p.reason).details()


class Leaving(Asked):
    """Leaving a network: the register entry, the links, then its rooms."""

    network: RoomId
    congregation: RoomId


class Joined(Asked):
    """Becoming a member once let into the network space: its rooms, the register
    entry, the links, the hosts' invitations."""

    network: RoomId
    congregation: RoomId
    via: list[str] = Field(default_factory=list)


class Opening(BaseModel):
    """Opening the network's decision on a knock, in this cohost's turn."""

    network: RoomId
    knock: str  # the knock's event id: the proposal's opening key
    applicant: UserId
    reason: str | None = None
    not_before: datetime


class NetworkMembership:
    def __init__(
        self,
        directory: Directory,
        decisions: Decisions,
        runner: OperationRunner,
        clock: Clock,
        window: timedelta,
        keeper: Callable[[RoomId], Awaitable[UserId | None]],
    ) -> None:
        self.keeper = keeper
        self.directory = directory
        self.gateway = directory.gateway
        self.applications = directory.stores.applications
        self.decisions = decisions
        self.runner = runner
        self.clock = clock
        self.window = window

    def kind(self) -> KindSpec:
        """The network's decision: admitting a congregation, one voice per member."""
        return KindSpec(self._describe, self._carry_out)

    # -- the register ------------------------------------------------------------
    async def members(self, network: RoomId) -> dict[str, MemberEntry]:
        return await self.directory.shared.members(network)

    # -- applying ----------------------------------------------------------------
    async def apply(
        self,
        congregation: Congregation,
        network: RoomId,
        via: list[str],
        requester: UserId,
        reply_room: RoomId,
    ) -> Callable[[], Awaitable[None]]:
        """Record the application (in Matrix too, so that resync knows it); the knock
        to send once the command is answered."""
        record = ApplicationRecord(
            network=network,
            via=via,
            requester=requester,
            reply_room=reply_room,
            created_at=self.clock.now(),
        )

        def applying(facts: CongregationFacts) -> None:
            facts.application = record

        await self.directory.update_facts(congregation, applying)
        await self.applications.put(record.row(congregation.space_id))
        knock = Knock(congregation.name, congregation.space_id)
        return partial(self.gateway.knock, network, knock.reason(), via)

    async def leave(
        self,
        op_id: str,
        network: RoomId,
        congregation: Congregation,
        requester: UserId,
        reply_room: RoomId,
    ) -> None:
        await self.runner.start(
            f"leave-{op_id}",
            LEAVE,
            Leaving(
                network=network,
                congregation=RoomId(congregation.space_id),
                requester=requester,
                reply_room=reply_room,
            ),
        )

    async def _network_rooms(self, network: RoomId, listed: list[RoomId]) -> list[RoomId]:
        """Of the rooms the network's facts list (a peer may have written them), those
        this cohost's own index knows as that network's: never a congregation's room."""
        kept = []
        for room in listed:
            place = await self.directory.place(room)
            indexed = place.room
            if (
                indexed is not None
                and indexed.kind in NETWORK_ROOMS
                and (indexed.network_id in (None, network))
            ):
                kept.append(room)
            else:
                log.warning("network_room_not_ours_to_leave", room_id=room)
        return kept

    async def perform_leave(self, run: Run[Leaving]) -> None:
        network, space = RoomId(run.params.network), RoomId(run.params.congregation)
        congregation = await self.directory.index.congregation(space)
        assert congregation is not None
        facts = await self.directory.shared.get(network, NetworkFacts)
        rooms = await self._network_rooms(network, list(facts.rooms.values()) if facts else [])
        # Empty content removes a state event: the register entry and both links.
        await run.step(
            "register", partial(self.directory.shared.remove, network, MemberEntry, space)
        )
        await run.step("child", partial(self._unlink_child, network, space))
        await run.step(
            "parent", partial(self.gateway.put_state, space, EventType.SPACE_PARENT, network, {})
        )

        def no_network(f: CongregationFacts) -> None:
            f.network = None

        await run.step("facts", partial(self.directory.update_facts, congregation, no_network))
        for room in [*rooms, network]:
            await run.step(f"leave:{room}", partial(self.gateway.leave_room, room))
        await run.step(
            "done",
            partial(
                report,
                self.gateway,
                RoomId(run.params.reply_room),
                _(
                    "**{name}** has left the network. I have left its rooms; a host can "
                    "apply again with `!network join`.",
                    name=congregation.name,
                ),
                UserId(run.params.requester),
                f"cohost-op-{run.id}-done",
            ),
        )

    async def _unlink_child(self, network: RoomId, space: RoomId) -> None:
        try:
            await self.gateway.put_state(network, EventType.SPACE_CHILD, space, {})
        except MatrixError as err:
            if err.errcode != "M_FORBIDDEN":
                raise
            log.info("network_link_left_for_members", network=network)

    async def leave_failed(self, run: Run[Leaving], reason: str) -> None:
        log.warning("network_leave_unfinished", network=run.params.network, reason=reason)

    async def expects(self, invite: IncomingInvite) -> bool:
        """The invitation into the network space that a network decision asked for is
        accepted: a network this congregation applied to, naming itself."""
        network = invited_to(invite.reason)
        return network == invite.room_id and await self._applied(network)

    async def awaits(self, invite: IncomingInvite) -> bool:
        """Invitations into the other rooms of a network applied to are left pending:
        joined once the network's trusted facts name the room (see perform_joined)."""
        network = invited_to(invite.reason)
        return network is not None and network != invite.room_id and await self._applied(network)

    async def _applied(self, network: str) -> bool:
        return await self.applications.get(network) is not None

    async def accepted(self, invite: IncomingInvite) -> None:
        """Joined a room of the network we applied to: finish becoming a member."""
        network = invited_to(invite.reason)
        if network is None or invite.room_id != network:
            return
        application = await self.applications.get(network)
        if application is None:
            return
        await self.runner.start(
            f"joined-{network}",
            JOINED,
            Joined(
                network=RoomId(network),
                congregation=RoomId(application.congregation_id),
                via=[server_of(invite.inviter), *application.via],
                requester=UserId(application.requester),
                reply_room=RoomId(application.reply_room),
            ),
        )

    async def perform_joined(self, run: Run[Joined]) -> None:
        p = run.params
        network, space = RoomId(p.network), RoomId(p.congregation)
        congregation = await self.directory.index.congregation(space)
        assert congregation is not None
        facts = await self.directory.shared.get(network, NetworkFacts)
        if facts is None:
            raise NotYet(_("the network's facts are not readable yet"))
        rooms = facts.rooms
        await run.step(
            "join:announcements", partial(self.gateway.join_room, rooms["announcements"], p.via)
        )
        await run.step("join:commons", partial(self._join_invited, rooms["commons"], p.via))
        if self.gateway.user_id not in await self.directory.shared.network_cohosts(network):
            # Let in, but by nobody the network trusts to admit (its Commons records no
            # admission): the register entry would count for nothing, so wait for one.
            raise NotYet(_("no admission of this cohost is recorded in the network yet"))
        hosts = [UserId(h) for h in congregation.hosts]
        entry = MemberEntry(name=congregation.name, bot=self.gateway.user_id, hosts=hosts)
        await run.step("register", partial(self.directory.shared.write, network, entry, space))
        await run.step(
            "parent",
            partial(
                self.gateway.put_state,
                space,
                EventType.SPACE_PARENT,
                network,
                space_parent(p.via[0]),
            ),
        )

        def set_network(f: CongregationFacts) -> None:
            f.network = network
            f.application = None

        await run.step("facts", partial(self.directory.update_facts, congregation, set_network))
        await run.step("index", partial(self._index, network, facts))
        for room in (network, rooms["commons"], rooms["announcements"]):
            await run.step(f"power:{room}", partial(self._raise, room, hosts))
        for host in hosts:
            await run.step(
                f"invite:space:{host}", partial(invite_once, self.gateway, network, host)
            )
            await run.step(
                f"invite:commons:{host}", partial(invite_once, self.gateway, rooms["commons"], host)
            )
        await self.applications.drop(network)
        await run.step(
            "report",
            partial(
                report,
                self.gateway,
                RoomId(p.reply_room),
                _(
                    "**{congregation}** is now a member of the network **{network}**. I have "
                    "invited its hosts to the network space and Commons.",
                    congregation=congregation.name,
                    network=facts.name,
                ),
                UserId(p.requester),
                f"cohost-op-{run.id}-ready",
            ),
        )

    async def _join_invited(self, room: RoomId, via: list[str]) -> None:
        try:
            await self.gateway.join_room(room, via)
        except MatrixError as err:
            if err.errcode == "M_FORBIDDEN":
                raise NotYet(_("no invitation to the Commons yet")) from err
            raise

    async def _index(self, network: RoomId, facts: NetworkFacts) -> None:
        await self.directory.index.index(network_entries(network, facts))

    async def _link(self, network: RoomId, space: RoomId, via: str) -> None:
        if await self.gateway.get_state(network, EventType.SPACE_CHILD, space) is None:
            await self.gateway.put_state(
                network, EventType.SPACE_CHILD, space, space_child(via, "50")
            )

    async def _raise(self, room: RoomId, users: list[UserId]) -> None:
        await raise_to(self.gateway, room, users, HOST_LEVEL)

    async def opening_failed(self, run: Run[Opening], reason: str) -> None:
        log.warning("network_proposal_not_opened", knock=run.params.knock, reason=reason)

    async def report_join_failed(self, run: Run[Joined], reason: str) -> None:
        await report(
            self.gateway,
            RoomId(run.params.reply_room),
            _(
                "I was let into the network but could not finish joining it ({reason}).",
                reason=reason,
            ),
            UserId(run.params.requester),
            f"cohost-op-{run.id}-failed",
        )

    # -- deciding ------------------------------------------------------------------
    async def on_member(self, event: IncomingMember) -> None:
        """A knock on the network space: a member cohost opens the proposal. They take
        turns in an order drawn from the knock, each waiting for those before it, so a
        cohost that is gone for good does not stop the network from deciding."""
        if event.membership != Membership.KNOCK or event.state_key == self.gateway.user_id:
            return
        place = await self.directory.place(event.room_id)
        if place.room is None or place.room.kind != NETWORK_SPACE or place.room.released:
            return
        space = Knock.read(event.reason).space
        members = await self.members(event.room_id)
        if space is None or space in members:
            log.info("network_knock_ignored", room_id=event.room_id)
            return
        rank = turn_of(event.event_id, (m.bot for m in members.values()), self.gateway.user_id)
        if rank is None:
            return
        await self.runner.start(
            f"open-{event.event_id}",
            OPEN_JOIN,
            Opening(
                network=event.room_id,
                knock=event.event_id,
                applicant=UserId(event.state_key),
                reason=event.reason,
                not_before=self.clock.now() + rank * OPENING_TURN,
            ),
        )

    async def perform_open(self, run: Run[Opening]) -> None:
        p = run.params
        if self.clock.now() < p.not_before:
            raise NotYet(_("another member cohost has the first turn to open this proposal"))
        if await self.decisions.store.by_opening(p.knock) is not None:
            return  # opened by another cohost, and adopted here
        network = RoomId(p.network)
        knock, applicant = Knock.read(p.reason), p.applicant
        congregations, voices = await self.directory.shared.voices(network)
        facts = await self.directory.shared.get(network, NetworkFacts)
        commons = RoomId(facts.rooms.get("commons", "") if facts else "")
        await self.decisions.open(
            kind=NETWORK_JOIN,
            room_id=commons,
            scope=network,
            subject=p.applicant,
            proposer=None,
            deciders=congregations,
            window=self.window,
            opening_key=p.knock,
            reason=p.reason,
            voices=voices,
            details={**knock.details(), "vouched": await self._vouched(knock.space, applicant)},
        )

    async def member_bots(self, room: RoomId) -> set[UserId]:
        """The cohosts of the network a room belongs to, by its register."""
        place = await self.directory.place(room)
        if place.room is None or place.room.kind not in NETWORK_ROOMS:
            return set()
        members = await self.members(RoomId(place.room.network_id or room))
        return {m.bot for m in members.values()}

    def _describe(self, p: Proposal) -> str:
        """What can be checked stated as fact (the knocking cohost, the space it knocks
        for, whether that space's own facts name it); the congregation's name quoted as
        the applicant's words."""
        details = admission(p)
        name, space = details.get("name"), details.get("space")
        called = _(", which it calls “{name}”", name=name) if name else ""
        check = _(VOUCHED.get(details.get("vouched"), VOUCHED[None]))
        return _(
            "the cohost {subject} joins the network for the space {space}{called} ({check})",
            subject=p.subject,
            space=space or "?",
            called=called,
            check=check,
        )

    async def _vouched(self, space: str | None, applicant: str) -> bool | None:
        """Whether the space's congregation facts were written by the applicant: True,
        False, or None where this cohost cannot read the space."""
        if not space:
            return False
        try:
            event = await self.gateway.state_event(RoomId(space), CONGREGATION)
        except MatrixError:
            return None
        return event is not None and event.get("sender") == applicant

    async def _carry_out(self, run: Run[Decided]) -> None:
        decided = run.params
        network, bot = RoomId(decided.scope), UserId(decided.subject)
        proposal = await self.decisions.store.proposal(decided.proposal)
        assert proposal is not None
        space = admission(proposal).get("space")
        facts = await self.directory.shared.get(network, NetworkFacts)
        if facts is None:
            raise NotYet(_("the network's facts are not readable yet"))
        rooms = facts.rooms
        for room in (network, rooms["commons"], rooms["announcements"]):
            await run.step(f"power:{room}", partial(self._raise, room, [bot]))
        mark = invitation_reason(network)
        await run.step("invite:space", partial(invite_once, self.gateway, network, bot, mark))
        await run.step(
            "invite:commons", partial(invite_once, self.gateway, rooms["commons"], bot, mark)
        )
        if space:
            await run.step("link", partial(self._link, network, RoomId(space), server_of(bot)))

    # -- who answers in the network's rooms ----------------------------------------
    async def is_peer(self, room: RoomId, user: UserId) -> bool:
        """Another cohost sharing this room (its answers count as answers)."""
        return user != self.gateway.user_id and user in await self.directory.cohosts_in(room)

    async def answers(self, room: RoomId, sender: UserId) -> Turn:
        """Who answers a command here: in the network's rooms one cohost (a crew's
        keeper; in the Commons the sender's own cohost, the first by id for someone
        who hosts several, or, for someone of no member congregation, the first of all),
        the others standing in by turns."""
        place = await self.directory.place(room)
        if place.room is None or place.room.kind not in NETWORK_ROOMS:
            return AT_ONCE
        if place.room.kind == NETWORK_CREW:  # the cohost that keeps the crew's rhythm
            keeper = await self.keeper(room)
            answering = {keeper} if keeper is not None else set()
        else:
            members = await self.members(RoomId(place.room.network_id or room))
            # One answer per command: for someone who hosts several member
            # congregations, the first of their cohosts by id.
            own = {m.bot for m in members.values() if sender in m.hosts}
            bots = {m.bot for m in members.values()}
            answering = {min(own or bots, default=self.gateway.user_id)}
        me = self.gateway.user_id
        if me in answering:
            return Turn(now=True, shared=True)
        others = await self.directory.cohosts_in(room) - answering
        return Turn(now=False, shared=True, place=turn_of(room, others, me))
