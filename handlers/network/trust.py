"""Which cohosts a network trusts to write its facts (SPEC §3.7, §3.10), given to the
one reader of shared facts (handlers.community.facts) as its policy.

Trust starts from the founding cohost (the creator of the network space, which Matrix
itself vouches for) and grows only by admissions: passed `network_join` decisions of
the Commons. A record saying a decision passed is a claim, not a fact. An admission
counts when this cohost reaches the same outcome itself:
- it counted the decision itself (adopted or opened it, and its own tally of the acts
  it saw, each checked, passed): kept in its database, whatever records say later, and
  recorded by itself in the Commons (what `cohost resync` finds); or
- it recomputes it from a record by a cohost trusted already: every act in it is the
  person's own event in the Commons (handlers.decisions.proof), every voice is a host
  of the congregation it speaks for (as that congregation's own cohost registered
  them), the deciding group leaves out no congregation admitted before it opened,
  and the consent rule (handlers.decisions.tally) passes it.
A rogue member cohost can therefore neither admit (a record with no such acts) nor
expel (a passed decision once counted stays counted; a later record changes nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import structlog
from pydantic import ValidationError

from handlers.community.facts import MEMBER, CrewFacts, MemberEntry, NetworkFacts, SharedFacts
from handlers.community.state import CREW, NETWORK_ROOMS, NETWORK_SPACE, ROOM
from handlers.decisions.proof import Proof, proof_of
from handlers.decisions.schema import PROPOSAL, ProposalRecord
from handlers.decisions.tally import Act, Outcome, tally
from handlers.decisions.voices import Voices, groups_of, voice_in, voices_from
from handlers.framework.clock import Clock
from handlers.framework.errors import MatrixError
from handlers.framework.fact import number_key
from handlers.framework.language import _
from handlers.framework.matrix_names import EventType
from handlers.framework.memo import remembered
from handlers.framework.types import RoomId, UserId
from handlers.network.schema import NETWORK_JOIN
from storage.decisions import DecisionStore, Status

log = structlog.get_logger(__name__)

PASSED = Status.PASSED
ANY = "*"  # an admission recorded before admissions named their congregation
MAX_NOT_SHOWN = 10_000
# A congregation registered this long before a proposal opened is among its deciders
# (a newer one may not be: its entry may not have reached the opener yet).
REGISTER_SETTLES = timedelta(minutes=5)


@dataclass(frozen=True)
class Admission:
    number: int
    admitted: UserId
    space: str  # or ANY
    opened_at: datetime | None
    closed_at: datetime | None
    # None: this cohost counted it itself; otherwise the record to recompute, by whom.
    record: ProposalRecord | None = None
    recorder: UserId | None = None
    event_id: str = ""


class NetworkTrust:
    def __init__(self, reader: SharedFacts, decided: DecisionStore | None, clock: Clock) -> None:
        self.reader = reader
        self.gateway = reader.gateway
        self.decided = decided
        self.clock = clock
        # Records recomputed as passed (events never change: once shown, always shown).
        self._shown: set[str] = set()
        self._not_shown: set[tuple[str, frozenset[tuple[str, str]], bool]] = set()

    async def writers(self, room: RoomId) -> set[UserId]:
        """In a network's rooms, the network's cohosts (read once): the network whose
        room it is, by the room's latest marker from a cohost that network trusts (and,
        for the network's own rooms, the network's facts listing it). A marker this
        cohost wrote for a congregation's room settles it: no network's."""
        current = await self.gateway.state_event(room, ROOM, "")
        candidates = [current] if current is not None else []
        for index, event in enumerate(candidates):  # grows once, if the current is no fact
            raw = event.get("content")
            content: dict[str, Any] = raw if isinstance(raw, dict) else {}
            kind = content.get("kind")
            if kind in NETWORK_ROOMS:
                network = RoomId(room if kind == NETWORK_SPACE else str(content.get("network")))
                spaces = await self.admitted_spaces(network) if network.startswith("!") else {}
                cohosts = set(spaces)
                if event.get("sender") in cohosts:
                    return cohosts if await self._lists(network, room, cohosts) else set()
            elif event.get("sender") == self.gateway.user_id:
                return set()
            self.reader.report_once("untrusted_fact_ignored", room, event)
            if index == 0:
                candidates += await self.reader.earlier(room, event)
        return set()

    async def _lists(self, network: RoomId, room: RoomId, cohosts: set[UserId]) -> bool:
        """Whether the network's own facts name the room: one of its rooms, or one of
        its crews (the Meta Crew)."""
        if network == room:
            return True
        facts = await self.facts(network)
        if facts is not None and room in facts.rooms.values():
            return True
        event = await self.gateway.state_event(network, CREW, room)
        return (
            event is not None
            and await self.reader.accept(network, event, CrewFacts, cohosts) is not None
        )

    async def voices(self, network: RoomId) -> tuple[list[str], Voices]:
        """How the network decides: its member congregations, one voice each, and which
        congregation each of their hosts speaks for (several, for a host of several)."""
        members = await self.members(network)
        return sorted(members), voices_from((space, m.hosts) for space, m in members.items())

    async def founder(self, network: RoomId) -> UserId | None:
        create = await self.gateway.state_event(network, EventType.CREATE, "")
        return None if create is None else UserId(str(create["sender"]))

    async def facts(self, network: RoomId) -> NetworkFacts | None:
        """The network's own facts (its name and rooms): the founding cohost's alone;
        no member cohost is believed about which rooms are the network's."""
        founder = await self.founder(network)
        event = await self.gateway.state_event(network, NetworkFacts.TYPE, "")
        if founder is None or event is None:
            return None
        return await self.reader.accept(network, event, NetworkFacts, {founder})

    async def admitted_spaces(self, network: RoomId) -> dict[UserId, set[str]]:
        """The network's cohosts, each with the congregations it was admitted for (one
        reading serves the checks before a command)."""
        return await remembered(("admitted", network), partial(self._admitted, network))

    async def _admitted(self, network: RoomId) -> dict[UserId, set[str]]:
        founder = await self.founder(network)
        if founder is None:
            return {}
        spaces: dict[UserId, set[str]] = {founder: set()}
        facts = await self.facts(network)
        if facts is not None and facts.founded_by:
            spaces[founder].add(facts.founded_by)
        commons = RoomId(facts.rooms.get("commons", "")) if facts else None
        if not commons:
            return spaces
        candidates = await self._own(commons, network)
        counted = {a.number for a in candidates}
        try:
            candidates += [
                a for a in await self._recorded(commons, network) if a.number not in counted
            ]
        except MatrixError:  # not (yet) readable from here
            log.info("commons_not_readable", network=network)
        founding = set(spaces[founder])
        await self._grow(commons, spaces, founding, sorted(candidates, key=lambda a: a.number))
        return spaces

    async def _own(self, commons: RoomId, network: RoomId) -> list[Admission]:
        """The admissions this cohost counted itself."""
        if self.decided is None:
            return []
        found = []
        for p in await self.decided.decided(commons, NETWORK_JOIN, PASSED):
            if p.scope != network:
                continue
            space = (p.details or {}).get("space")
            found.append(
                Admission(
                    p.number,
                    UserId(p.subject),
                    str(space) if space else ANY,
                    p.opened_at,
                    p.closed_at,
                )
            )
        return found

    async def _recorded(self, commons: RoomId, network: RoomId) -> list[Admission]:
        """Passed admissions as the Commons' records state them, with the earlier
        versions of records someone overwrote (their writer's may be among them)."""
        found = []
        for event in await self.gateway.room_state(commons):
            if event.get("type") != PROPOSAL:
                continue
            claimed = _claimed(event)
            # A record that no longer says "passed" may hide a version that did.
            versions = [event] if claimed else [event, *await self.reader.earlier(commons, event)]
            for admission in filter(None, map(_claimed, versions)):
                if admission.record is not None and admission.record.scope == network:
                    found.append(admission)
        return found

    async def _grow(
        self,
        commons: RoomId,
        spaces: dict[UserId, set[str]],
        founding: set[str],
        candidates: list[Admission],
    ) -> None:
        """Extend the trusted cohosts along admissions that hold, until none is added."""
        held: list[Admission] = []
        grew = True
        while grew:
            grew = False
            for admission in candidates:
                if admission in held or not await self._counts(
                    commons, admission, spaces, founding, held
                ):
                    continue
                held.append(admission)
                if admission.space not in spaces.setdefault(admission.admitted, set()):
                    spaces[admission.admitted].add(admission.space)
                    grew = True

    async def _counts(
        self,
        commons: RoomId,
        admission: Admission,
        spaces: dict[UserId, set[str]],
        founding: set[str],
        held: list[Admission],
    ) -> bool:
        if admission.record is None or admission.recorder == self.gateway.user_id:
            return True  # counted by this cohost itself (its database, or its own record)
        return admission.recorder in spaces and await self._holds(
            commons, admission, spaces, founding, held
        )

    async def _holds(
        self,
        commons: RoomId,
        admission: Admission,
        spaces: dict[UserId, set[str]],
        founding: set[str],
        held: list[Admission],
    ) -> bool:
        """A peer's record of a passed admission, recomputed here (the answer kept for
        what it was computed from: the record and the cohosts trusted then)."""
        if admission.event_id in self._shown:
            return True
        seen = (admission.event_id, _frozen(spaces), self.clock.now() >= _closes(admission))
        if seen in self._not_shown:
            return False
        if len(self._not_shown) >= MAX_NOT_SHOWN:
            self._not_shown.clear()
        self._not_shown.add(seen)
        record = admission.record
        assert record is not None
        before = {
            a.space
            for a in held
            if a.closed_at and record.opened_at and a.closed_at < record.opened_at
        }
        if not (before | founding) - {ANY} <= set(record.deciders):
            return self._refused(admission, _("a member congregation left out of the deciders"))
        hosts = await self._registered_hosts(RoomId(record.scope), spaces)
        voices = record.voices or {}
        if not _registered(voices, hosts, lambda space: True):
            return self._refused(admission, _("a voice for a congregation it is not a host of"))
        try:
            proposal = record.proposal(commons, admission.number, str(admission.recorder))
        except ValueError:
            return self._refused(admission, _("no window"))
        proposal.message_event_id = record.message
        ballots = record.ballots()
        for ballot in ballots:
            if await proof_of(self.gateway, proposal, ballot) is not Proof.SHOWN:
                return self._refused(admission, _("an act the Commons does not show"))
        acts = [
            Act(
                b.event_id,
                voice_in(record.deciders, voices, b.voter, b.voice) or b.voter,
                b.act,
                b.ts,
                b.reason,
            )
            for b in ballots
            if record.closes_at is None or b.ts <= int(record.closes_at.timestamp() * 1000)
        ]
        closed = record.closes_at is not None and self.clock.now() >= record.closes_at
        if tally(record.deciders, acts, closed).outcome is not Outcome.PASSED:
            return self._refused(admission, _("its acts do not pass it"))
        self._shown.add(admission.event_id)
        self._not_shown.discard(seen)
        return True

    async def members(self, network: RoomId) -> dict[str, MemberEntry]:
        """The network's register: member congregations by space id. An entry counts when
        a trusted cohost wrote it naming itself, for a congregation it was admitted for."""
        register = await self._register(network, await self.admitted_spaces(network))
        return {space: entry for space, (entry, _) in register.items()}

    async def group_holds(
        self, network: RoomId, deciders: list[str], voices: Voices, opened_at: datetime
    ) -> str | None:
        """Why the deciding group a peer announced for a network decision is not the
        network's (None when it is): a voice given to someone who is no registered host
        of that congregation, or a member congregation registered well before the
        proposal opened left out."""
        register = await self._register(network, await self.admitted_spaces(network))
        hosts = {space: entry.hosts for space, (entry, _) in register.items()}
        if not _registered(voices, hosts, lambda space: space in register):
            return _("a voice for a congregation its speaker is not a host of")
        settled = int((opened_at - REGISTER_SETTLES).timestamp() * 1000)
        if any(0 < ts < settled and space not in deciders for space, (_e, ts) in register.items()):
            return _("a member congregation left out of the deciders")
        return None

    async def _registered_hosts(
        self, network: RoomId, spaces: dict[UserId, set[str]]
    ) -> dict[str, set[str]]:
        """Each congregation's hosts, as its own cohost registered them."""
        register = await self._register(network, spaces)
        return {space: set(entry.hosts) for space, (entry, _) in register.items()}

    async def _register(
        self, network: RoomId, admitted: dict[UserId, set[str]]
    ) -> dict[str, tuple[MemberEntry, int]]:
        """Entries by space, each with when it was written (its server's time)."""
        named = {space for claimed in admitted.values() for space in claimed}
        found: dict[str, tuple[MemberEntry, int]] = {}
        for event in await self.gateway.room_state(network):
            if event.get("type") != MEMBER:
                continue
            space = str(event.get("state_key"))
            # Only the cohost admitted for a congregation writes its entry: another
            # member cohost's version of it is no fact, however often it is written.
            writers = {
                bot
                for bot, claimed in admitted.items()
                if space in claimed or (ANY in claimed and space not in named)
            }
            trusted = await self.reader.trusted_version(network, event, writers)
            entry = self.reader.parse(network, trusted, MemberEntry) if trusted else None
            if trusted is None or entry is None:
                continue
            if entry.bot != trusted.get("sender"):
                self.reader.report_once("register_entry_ignored", network, event)
                continue
            found[space] = (entry, int(trusted.get("origin_server_ts") or 0))
        return found

    def _refused(self, admission: Admission, why: str) -> bool:
        log.warning(
            "admission_record_not_recomputed",
            number=admission.number,
            recorder=admission.recorder,
            why=why,
        )
        return False


def _registered(
    voices: Voices, hosts: Mapping[str, Collection[str]], checked: Callable[[str], bool]
) -> bool:
    """Whether each voice is given by a registered host of its congregation (of those
    `checked`)."""
    return all(
        person in hosts.get(space, set())
        for person in voices
        for space in groups_of(voices, person)
        if checked(space)
    )


def _frozen(spaces: dict[UserId, set[str]]) -> frozenset[tuple[str, str]]:
    return frozenset((bot, space) for bot, claimed in spaces.items() for space in claimed)


def _closes(admission: Admission) -> datetime:
    record = admission.record
    return record.closes_at if record and record.closes_at else datetime.max.replace(tzinfo=UTC)


def _claimed(event: dict[str, Any]) -> Admission | None:
    """A passed network admission as a proposal record claims it."""
    content = event.get("content")
    if not isinstance(content, dict):
        return None
    if content.get("kind") != NETWORK_JOIN or content.get("status") != PASSED:
        return None
    number = number_key(event.get("state_key"))
    try:
        record = ProposalRecord.model_validate(content)
    except ValidationError:
        return None
    if number is None:
        return None
    return Admission(
        number,
        UserId(record.subject),
        record.admits or ANY,
        record.opened_at,
        record.closed_at,
        record,
        UserId(str(event.get("sender"))),
        str(event.get("event_id")),
    )
