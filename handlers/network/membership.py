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

import re
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import parse_qs, unquote

import structlog

from handlers.community.directory import Directory
from handlers.community.facts import (
    MEMBER,
    ApplicationRecord,
    CongregationFacts,
    MemberEntry,
    NetworkFacts,
)
from handlers.community.rooms import invite_once, report
from handlers.community.shape import HOST_LEVEL, space_child, space_parent
from handlers.community.state import COMMONS, NETWORK_ANNOUNCEMENTS, NETWORK_SPACE
from handlers.decisions.engine import Decisions, KindSpec
from handlers.framework.clock import Clock
from handlers.framework.errors import MatrixError, NotYet, UserError
from handlers.framework.matrix_names import EventType, Membership
from handlers.framework.names import MAX_NAME_LENGTH
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.patterns import server_of
from handlers.framework.power import raise_to
from handlers.framework.registry import Args, CommandContext, CommandRegistry, Kind, Param
from handlers.framework.replies import Reply
from handlers.framework.text import one_line
from handlers.framework.turns import turn_of
from handlers.framework.types import IncomingInvite, IncomingMember, RoomId, UserId
from handlers.network.engine import network_entries
from storage.models import Application, Proposal

log = structlog.get_logger(__name__)

NETWORK_JOIN = "network_join"
JOINED = "joined_network"
OPEN_JOIN = "open_network_join"
LEAVE = "leave_network"
OPENING_TURN = timedelta(seconds=20)
INVITE_MARK = "cohost:network:"
NETWORK_ROOMS = (NETWORK_SPACE, NETWORK_ANNOUNCEMENTS, COMMONS)
_SPACE_IN_REASON = re.compile(r"· (![^\s]+)\s*$")


def parse_target(text: str) -> tuple[str, list[str]]:
    """`#alias:server`, a matrix.to link (with `via`), or a room id and server names."""
    words = text.split()
    if not words:
        raise UserError("Name the network: `#name:server`, a matrix.to link, or `!roomid server…`.")
    first = words[0]
    if first.startswith("https://matrix.to/#/"):
        fragment = unquote(first.split("#/", 1)[1])
        target, _, query = fragment.partition("?")
        return target, parse_qs(query).get("via", [])
    if first.startswith("#") and ":" in first:
        return first, []
    if first.startswith("!"):
        if len(words) == 1 and ":" not in first:
            raise UserError("A room id needs the names of servers in the room after it.")
        return first, words[1:] or [first.split(":", 1)[1]]
    raise UserError(f"`{first}` is not an alias, a matrix.to link or a room id.")


def marked_network(reason: str | None) -> str | None:
    """The network named in an invitation a network decision sent."""
    if not reason or INVITE_MARK not in reason:
        return None
    rest = reason.split(INVITE_MARK, 1)[1].split()
    return rest[0] if rest else None


def applicant_space(reason: str | None) -> str | None:
    found = _SPACE_IN_REASON.search(reason or "")
    return found.group(1) if found else None


def knock_details(reason: str | None) -> dict[str, Any]:
    """What an applicant's knock says, read once when its proposal opens: a knock
    carries nothing but its reason, which the applicant's cohost writes as
    "<name> asks to join this network · <space id>". From then on these travel
    structured, with the proposal."""
    text = reason or ""
    name = text.split(" asks to join", 1)[0] if " asks to join" in text else ""
    return {"space": applicant_space(reason), "name": one_line(name, MAX_NAME_LENGTH) or None}


def application_row(space: str, record: ApplicationRecord) -> Application:
    return Application(
        network_id=record.network,
        congregation_id=space,
        via=record.via,
        requester=record.requester,
        reply_room=record.reply_room,
        created_at=record.created_at,
    )


def admission(p: Proposal) -> dict[str, Any]:
    """An admission's details (read from the knock by an earlier version: its reason)."""
    return p.details or knock_details(p.reason)


class NetworkMembership:
    def __init__(
        self,
        directory: Directory,
        decisions: Decisions,
        runner: OperationRunner,
        clock: Clock,
        window: timedelta,
    ) -> None:
        self.directory = directory
        self.gateway = directory.gateway
        self.applications = directory.stores.applications
        self.decisions = decisions
        self.runner = runner
        self.clock = clock
        self.window = window
        decisions.register_kind(
            NETWORK_JOIN,
            KindSpec(self._describe, self._carry_out, self._name_deciders),
        )
        runner.register(JOINED, self._perform_joined, self._report_join_failed)
        runner.register(OPEN_JOIN, self._perform_open, self._opening_failed)
        runner.register(LEAVE, self._perform_leave, self._leave_failed)

    def register(self, registry: CommandRegistry) -> None:
        registry.command(
            "network join",
            Param("network", Kind.TEXT),
            summary="Ask to join a network (`#name:server`, a matrix.to link, or `!id server…`).",
        )(self.join)
        registry.command(
            "network leave", summary="Take this congregation out of its network (a host)."
        )(self.leave)

    # -- the register ------------------------------------------------------------
    async def members(self, network: RoomId) -> dict[str, MemberEntry]:
        return await self.directory.shared.members(network)

    # -- applying ----------------------------------------------------------------
    async def join(self, ctx: CommandContext, args: Args) -> Reply:
        congregation = self.directory.require_hosts_room(
            await self.directory.place(ctx.message.room_id), "!network join"
        )
        if (await self.directory.require_host(congregation, ctx.sender)).network:
            raise UserError(f"**{congregation.name}** already belongs to a network.")
        target, via = parse_target(args["network"])
        if target.startswith("#"):
            try:
                room, servers = await self.gateway.resolve_alias(target)
            except MatrixError:
                raise UserError(f"I could not find `{target}`.") from None
            via = via or servers
        else:
            room = RoomId(target)
        record = ApplicationRecord(
            network=room,
            via=via,
            requester=ctx.sender,
            reply_room=ctx.message.room_id,
            created_at=self.clock.now(),
        )

        def applying(facts: CongregationFacts) -> None:
            facts.application = record  # in Matrix too, so that resync knows it

        await self.directory.update_facts(congregation, applying)
        await self.applications.put(application_row(congregation.space_id, record))
        reason = f"{congregation.name} asks to join this network · {congregation.space_id}"

        async def knock() -> None:
            await self.gateway.knock(room, reason, via)

        return Reply(
            f"I knocked on the network for **{congregation.name}**. Its member congregations "
            "decide; I will tell you here when we are in.",
            then=knock,
        )

    async def leave(self, ctx: CommandContext, args: Args) -> Reply:
        congregation = self.directory.require_hosts_room(
            await self.directory.place(ctx.message.room_id), "!network leave"
        )
        network = (await self.directory.require_host(congregation, ctx.sender)).network
        if not network:
            raise UserError(f"**{congregation.name}** is not part of a network.")

        async def go() -> None:
            await self.runner.start(
                f"leave-{ctx.message.event_id}",
                LEAVE,
                {
                    "network": network,
                    "congregation": congregation.space_id,
                    "requester": ctx.sender,
                    "reply_room": ctx.message.room_id,
                },
            )

        return Reply(
            f"**{congregation.name}** is leaving the network. I am taking it out of the "
            "register and leaving the network's rooms; its hosts stay where they are "
            "until they leave themselves.",
            then=go,
        )

    async def _perform_leave(self, run: Run) -> None:
        network, space = RoomId(run.params["network"]), RoomId(run.params["congregation"])
        congregation = await self.directory.index.congregation(space)
        assert congregation is not None
        facts = await self.directory.shared.get(network, NetworkFacts)
        rooms = list(facts.rooms.values()) if facts else []
        # Empty content removes a state event: the register entry and both links.
        await run.step("register", partial(self.gateway.put_state, network, MEMBER, space, {}))
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
                RoomId(run.params["reply_room"]),
                f"**{congregation.name}** has left the network. I have left its rooms; "
                "a host can apply again with `!network join`.",
                UserId(run.params["requester"]),
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

    async def _leave_failed(self, run: Run, reason: str) -> None:
        log.warning("network_leave_unfinished", network=run.params["network"], reason=reason)

    async def expects(self, invite: IncomingInvite) -> bool:
        """The invitation into the network space that a network decision asked for is
        accepted: a network this congregation applied to, naming itself."""
        network = marked_network(invite.reason)
        return network == invite.room_id and await self._applied(network)

    async def awaits(self, invite: IncomingInvite) -> bool:
        """Invitations into the other rooms of a network applied to are left pending:
        joined once the network's trusted facts name the room (see _perform_joined)."""
        network = marked_network(invite.reason)
        return network is not None and network != invite.room_id and await self._applied(network)

    async def _applied(self, network: str) -> bool:
        return await self.applications.get(network) is not None

    async def accepted(self, invite: IncomingInvite) -> None:
        """Joined a room of the network we applied to: finish becoming a member."""
        network = marked_network(invite.reason)
        if network is None or invite.room_id != network:
            return
        application = await self.applications.get(network)
        if application is None:
            return
        await self.runner.start(
            f"joined-{network}",
            JOINED,
            {
                "network": network,
                "congregation": application.congregation_id,
                "via": [server_of(invite.inviter), *application.via],
                "requester": application.requester,
                "reply_room": application.reply_room,
            },
        )

    async def _perform_joined(self, run: Run) -> None:
        p = run.params
        network, space = RoomId(p["network"]), RoomId(p["congregation"])
        congregation = await self.directory.index.congregation(space)
        assert congregation is not None
        facts = await self.directory.shared.get(network, NetworkFacts)
        if facts is None:
            raise NotYet("the network's facts are not readable yet")
        rooms = facts.rooms
        await run.step(
            "join:announcements", partial(self.gateway.join_room, rooms["announcements"], p["via"])
        )
        await run.step("join:commons", partial(self._join_invited, rooms["commons"], p["via"]))
        if self.gateway.user_id not in await self.directory.shared.network_cohosts(network):
            # Let in, but by nobody the network trusts to admit (its Commons records no
            # admission): the register entry would count for nothing, so wait for one.
            raise NotYet("no admission of this cohost is recorded in the network yet")
        hosts = [UserId(h) for h in congregation.hosts]
        entry = {"name": congregation.name, "bot": self.gateway.user_id, "hosts": hosts}
        await run.step("register", partial(self.gateway.put_state, network, MEMBER, space, entry))
        await run.step(
            "parent",
            partial(
                self.gateway.put_state,
                space,
                EventType.SPACE_PARENT,
                network,
                space_parent(p["via"][0]),
            ),
        )

        def set_network(f: CongregationFacts) -> None:
            f.network = network
            f.application = None

        await run.step("facts", partial(self.directory.update_facts, congregation, set_network))
        await run.step("index", partial(self._index, network, facts.content()))
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
                RoomId(p["reply_room"]),
                f"**{congregation.name}** is now a member of the network **{facts.name}**. "
                "I have invited its hosts to the network space and Commons.",
                UserId(p["requester"]),
                f"cohost-op-{run.id}-ready",
            ),
        )

    async def _join_invited(self, room: RoomId, via: list[str]) -> None:
        try:
            await self.gateway.join_room(room, via)
        except MatrixError as err:
            if err.errcode == "M_FORBIDDEN":
                raise NotYet("no invitation to the Commons yet") from err
            raise

    async def _index(self, network: RoomId, facts: dict[str, Any]) -> None:
        await self.directory.index.index(network_entries(network, facts))

    async def _link(self, network: RoomId, space: RoomId, via: str) -> None:
        if await self.gateway.get_state(network, EventType.SPACE_CHILD, space) is None:
            await self.gateway.put_state(
                network, EventType.SPACE_CHILD, space, space_child(via, "50")
            )

    async def _raise(self, room: RoomId, users: list[UserId]) -> None:
        await raise_to(self.gateway, room, users, HOST_LEVEL)

    async def _opening_failed(self, run: Run, reason: str) -> None:
        log.warning("network_proposal_not_opened", knock=run.params["knock"], reason=reason)

    async def _report_join_failed(self, run: Run, reason: str) -> None:
        await report(
            self.gateway,
            RoomId(run.params["reply_room"]),
            f"I was let into the network but could not finish joining it ({reason}).",
            UserId(run.params["requester"]),
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
        space = applicant_space(event.reason)
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
            {
                "network": event.room_id,
                "knock": event.event_id,
                "applicant": event.state_key,
                "reason": event.reason,
                "not_before": (self.clock.now() + rank * OPENING_TURN).isoformat(),
            },
        )

    async def _perform_open(self, run: Run) -> None:
        p = run.params
        if self.clock.now() < datetime.fromisoformat(p["not_before"]):
            raise NotYet("another member cohost has the first turn to open this proposal")
        if await self.decisions.store.by_opening(p["knock"]) is not None:
            return  # opened by another cohost, and adopted here
        network = RoomId(p["network"])
        members = await self.members(network)
        facts = await self.directory.shared.get(network, NetworkFacts)
        commons = RoomId(facts.rooms.get("commons", "") if facts else "")
        voices: dict[str, str] = {h: c for c, m in members.items() for h in m.hosts}
        await self.decisions.open(
            kind=NETWORK_JOIN,
            room_id=commons,
            scope=network,
            subject=p["applicant"],
            proposer=None,
            deciders=sorted(members),
            window=self.window,
            opening_key=p["knock"],
            reason=p["reason"],
            voices=voices,
            details=knock_details(p["reason"]),
        )

    async def member_bots(self, room: RoomId) -> set[UserId]:
        """The cohosts of the network a room belongs to, by its register."""
        place = await self.directory.place(room)
        if place.room is None or place.room.kind not in NETWORK_ROOMS:
            return set()
        members = await self.members(RoomId(place.room.network_id or room))
        return {m.bot for m in members.values()}

    def _describe(self, p: Proposal) -> str:
        name = admission(p).get("name") or p.subject
        return f"the congregation **{name}** (cohost {p.subject}) joins the network"

    def _name_deciders(self, p: Proposal) -> str:
        count = len(p.deciders)
        return f"the {count} member congregation(s), one voice each, given by any of its hosts"

    async def _carry_out(self, run: Run) -> None:
        network, bot = RoomId(run.params["scope"]), UserId(run.params["subject"])
        proposal = await self.decisions.store.proposal(run.params["proposal"])
        assert proposal is not None
        space = admission(proposal).get("space")
        facts = await self.directory.shared.get(network, NetworkFacts)
        if facts is None:
            raise NotYet("the network's facts are not readable yet")
        rooms = facts.rooms
        for room in (network, rooms["commons"], rooms["announcements"]):
            await run.step(f"power:{room}", partial(self._raise, room, [bot]))
        mark = f"Welcome to the network. {INVITE_MARK}{network}"
        await run.step("invite:space", partial(invite_once, self.gateway, network, bot, mark))
        await run.step(
            "invite:commons", partial(invite_once, self.gateway, rooms["commons"], bot, mark)
        )
        if space:
            await run.step("link", partial(self._link, network, RoomId(space), server_of(bot)))

    # -- who answers in the network's rooms ----------------------------------------
    async def answers(self, room: RoomId, sender: UserId) -> bool:
        place = await self.directory.place(room)
        if place.room is None or place.room.kind not in NETWORK_ROOMS:
            return True
        network = RoomId(place.room.network_id or room)
        members = await self.members(network)
        mine = [m for m in members.values() if m.bot == self.gateway.user_id]
        if any(sender in m.hosts for m in mine):
            return True
        if any(sender in m.hosts for m in members.values()):
            return False
        return (
            min((m.bot for m in members.values()), default=self.gateway.user_id)
            == self.gateway.user_id
        )
