"""The network's crews, such as its Meta Crew: hosts of member congregations who host
the network together.

`!network crew create <name>` (in the Commons) proposes one; the member congregations
decide, one voice each. When it passes, one of the network's cohosts makes the crew's
room in the network space, with the proposer and every member cohost as its creators,
and invites them. A host of any member congregation asks to join with `!crew join
<name>` in the Commons (or is proposed with `!crew invite` in the crew's room): the
network decides first, then the crew itself consents as for any crew, and the newcomer
is invited. Every step is carried out by the cohost that opened the decision, and by
the others only after it (see handlers.decisions.engine), each step idempotent."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from functools import partial

import structlog

from handlers.community.directory import Directory, room_link
from handlers.community.facts import CrewFacts, NetworkFacts
from handlers.community.rebuild import Rebuild
from handlers.community.rooms import crew_order, invite_once, link, report, room_maker
from handlers.community.shape import crew_room
from handlers.community.state import CREW, NETWORK_CREW, NETWORK_SPACE
from handlers.decisions.engine import Decisions, KindSpec
from handlers.decisions.schema import Decided
from handlers.framework.clock import Clock
from handlers.framework.errors import MatrixError, NotYet, UserError
from handlers.framework.language import _
from handlers.framework.names import name_key
from handlers.framework.operations import Run
from handlers.framework.patterns import server_of
from handlers.framework.types import IncomingInvite, RoomId, UserId
from handlers.membership.engine import Membership
from storage.community import IndexEntries
from storage.models import Crew, IndexedRoom, Proposal

log = structlog.get_logger(__name__)


class NetworkCrewKind(StrEnum):
    """The network's decisions about its crews (stored as their value)."""

    CALL_CREW = "network_crew"
    JOIN_CREW = "network_crew_join"


CALL_CREW = NetworkCrewKind.CALL_CREW
JOIN_CREW = NetworkCrewKind.JOIN_CREW


class NetworkCrews:
    def __init__(
        self,
        directory: Directory,
        decisions: Decisions,
        membership: Membership,
        clock: Clock,
        window: timedelta,
    ) -> None:
        self.directory = directory
        self.gateway = directory.gateway
        self.shared = directory.shared
        self.decisions = decisions
        self.membership = membership
        self.clock = clock
        self.window = window
        # Invitations from a network's cohosts waiting for its facts (room: inviter).
        self._awaiting: dict[RoomId, UserId] = {}

    def kinds(self) -> dict[NetworkCrewKind, KindSpec]:
        return {
            CALL_CREW: KindSpec(self._describe_call, self._make_room),
            JOIN_CREW: KindSpec(self._describe_join, self._ask_the_crew),
        }

    # -- proposing -----------------------------------------------------------------
    async def propose_crew(
        self, network: RoomId, name: str, proposer: UserId, key: str
    ) -> Proposal:
        if await self.crew_named(network, name) is not None:
            raise UserError(_("The network already has a crew called **{name}**.", name=name))
        return await self._open(CALL_CREW, network, name, proposer, key, {"name": name})

    async def crew_named(self, network: RoomId, name: str) -> Crew | None:
        """A crew of the network, as the network's own facts name it (every cohost of
        the network reads the same, whether or not it has joined the room yet)."""
        for room, facts in (await self.shared.all(network, CrewFacts)).items():
            if room and name_key(facts.name) == name_key(name):
                return facts.row(room, network)
        return None

    async def propose_join(
        self, network: RoomId, crew: Crew, subject: UserId, proposer: UserId | None, key: str
    ) -> Proposal:
        _deciders, voices = await self.shared.voices(network)
        if subject not in voices:
            raise UserError(
                _(
                    "{subject} is not a host of a member congregation; the network's crews "
                    "are for them.",
                    subject=subject,
                )
            )
        try:
            members = await self.directory.people_in(RoomId(crew.room_id))
        except MatrixError:  # not in the room yet here: the crew's own decision checks
            members = set()
        if subject in members:
            raise UserError(
                _("{subject} is already a member of **{name}**.", subject=subject, name=crew.name)
            )
        details = {"crew": crew.room_id, "name": crew.name}
        return await self._open(JOIN_CREW, network, subject, proposer, key, details)

    async def _open(
        self,
        kind: str,
        network: RoomId,
        subject: str,
        proposer: UserId | None,
        key: str,
        details: dict[str, str],
    ) -> Proposal:
        congregations, voices = await self.shared.voices(network)
        facts = await self.shared.get(network, NetworkFacts)
        commons = facts.rooms.get("commons") if facts else None
        if not commons:
            raise UserError(_("I cannot find the network's Commons."))
        return await self.decisions.open(
            kind=kind,
            room_id=RoomId(commons),
            scope=network,
            subject=subject,
            proposer=proposer,
            deciders=congregations,
            window=self.window,
            opening_key=key,
            voices=voices,
            details=details,
        )

    def _describe_call(self, p: Proposal) -> str:
        return _(
            "the network calls a crew of its hosts, **{name}**", name=(p.details or {}).get("name")
        )

    def _describe_join(self, p: Proposal) -> str:
        return _(
            "{subject} joins the network's crew **{name}**",
            subject=p.subject,
            name=(p.details or {}).get("name"),
        )

    # -- carrying out ----------------------------------------------------------------
    async def _make_room(self, run: Run[Decided]) -> None:
        proposal = await self.decisions.store.proposal(run.params.proposal)
        assert proposal is not None and proposal.proposer is not None
        network = RoomId(proposal.scope)
        if await self._made_for(network, proposal.opening_key) is not None:
            return  # another of the network's cohosts made it
        name = str((proposal.details or {}).get("name"))
        proposer = UserId(proposal.proposer)
        cohosts = await self.directory.cohosts_in(RoomId(proposal.room_id))
        founders = [proposer, *sorted(cohosts - {self.gateway.user_id})]
        via = self.directory.via
        facts = CrewFacts(
            name=name,
            caller=proposer,
            congregation=network,
            created_at=proposal.closed_at or self.clock.now(),
            proposal=proposal.opening_key,
        )
        make = await room_maker(run, self.gateway, founders, via)
        marker = make.marker(NETWORK_CREW, "room", network=network)
        room = await make.create(
            "room", crew_room(name, None, network, [*marker, (CREW, "", facts.content())])
        )
        order = crew_order(facts.created_at.isoformat())
        await run.step("link", partial(link, self.gateway, network, room, order, via))
        await run.step("facts", partial(self.shared.write, network, facts, room))
        for person in founders:
            await run.step(f"invite:{person}", partial(invite_once, self.gateway, room, person))
        await run.step("index", partial(self.directory.index.index, crew_entries(room, facts)))
        await run.step(
            "ready",
            partial(
                report,
                self.gateway,
                RoomId(proposal.room_id),
                _(
                    "The network's crew **{name}** is ready: {room_link}\nHosts of member "
                    "congregations ask to join with `!crew join {name}` here.",
                    name=name,
                    room_link=room_link(room, via),
                ),
                proposer,
                f"cohost-op-{run.id}-ready",
            ),
        )

    async def _made_for(self, network: RoomId, opening_key: str) -> RoomId | None:
        for room, facts in (await self.shared.all(network, CrewFacts)).items():
            if room and facts.proposal == opening_key:
                return RoomId(room)
        return None

    async def _ask_the_crew(self, run: Run[Decided]) -> None:
        """The network consented: now the crew decides, in its room."""
        proposal = await self.decisions.store.proposal(run.params.proposal)
        assert proposal is not None
        room = RoomId(str((proposal.details or {}).get("crew")))
        crew = (await self.directory.place(room)).crew
        if crew is None:
            raise NotYet(_("the network's crew is not known here yet"))
        key = f"{proposal.opening_key}#crew"
        if await self.decisions.store.by_opening(key) is not None:
            return
        recorded = await self.decisions.records.all(room)
        if any(record.opening_key == key for _event, record in recorded.values()):
            return  # opened by another of the network's cohosts
        proposer = UserId(proposal.proposer) if proposal.proposer else None
        try:
            await self.membership.open_crew_join(crew, UserId(proposal.subject), proposer, key)
        except UserError as refusal:
            log.info("network_crew_join_not_opened", kind=refusal.kind)

    # -- the other cohosts ---------------------------------------------------------------
    async def invited(self, invite: IncomingInvite) -> bool:
        """An invitation into a crew room its network's trusted facts name."""
        return await self._vouched(invite.room_id) is not None

    async def awaited(self, invite: IncomingInvite) -> bool:
        """An invitation from one of a network's cohosts into a room its facts do not
        name yet (they may still be on their way): joined once they do (see tick)."""
        for network in await self._networks():
            if invite.inviter in await self.shared.network_cohosts(network):
                self._awaiting[invite.room_id] = invite.inviter
                return True
        return False

    async def joined(self, invite: IncomingInvite) -> None:
        """Index the crew: its network's facts vouch for it."""
        self._awaiting.pop(invite.room_id, None)
        facts = await self._vouched(invite.room_id)
        if facts is not None:
            await self.directory.index.index(crew_entries(invite.room_id, facts))

    async def tick(self) -> None:
        """Join the crew rooms invited to before their network named them."""
        for room, inviter in list(self._awaiting.items()):
            facts = await self._vouched(room)
            if facts is None:
                continue
            await self.gateway.join_room(room, [server_of(inviter)])
            await self.joined(IncomingInvite(room, inviter))

    async def _networks(self) -> list[RoomId]:
        congregations = await self.directory.index.congregations()
        return sorted({RoomId(c.network_space_id) for c in congregations if c.network_space_id})

    async def _vouched(self, room: RoomId) -> CrewFacts | None:
        for network in await self._networks():
            facts = await self.shared.get(network, CrewFacts, room)
            if facts is not None:
                return facts
        return None


def crew_entries(room: str, facts: CrewFacts) -> IndexEntries:
    """The index rows of a network's crew (its network stands where a congregation
    would)."""
    network = facts.congregation
    entries = IndexEntries(crews=[facts.row(room, network)])
    entries.rooms.append(IndexedRoom(room_id=room, kind=NETWORK_CREW, network_id=network))
    return entries


async def rebuild_network_crews(rebuild: Rebuild) -> None:
    """`cohost resync`: the crews each network's space records (the Meta Crew)."""
    for space in rebuild.rooms_of(NETWORK_SPACE):
        if await rebuild.facts.get(space, NetworkFacts) is None:
            continue
        for room, facts in (await rebuild.facts.all(space, CrewFacts)).items():
            if room:
                rebuild.entries.extend(crew_entries(room, facts))
                rebuild.counts["crews"] += 1
