"""The consent engine: proposals posted in the room where they stand, votes by command
or reaction, closing at the window's end, the outcome posted and recorded in room
state, and carrying it out handed to a persisted operation.

It knows nothing of what is decided: kinds register how to describe and carry out a
proposal (crew membership, congregation membership, hosts, and later the network)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from handlers.community.facts import SharedFacts
from handlers.community.rebuild import Rebuild
from handlers.decisions.acts import RAISED_HAND, THUMBS_UP
from handlers.decisions.records import ProposalRecords
from handlers.decisions.schema import PROPOSAL, Decided, OutcomeNotice, ProposalRecord
from handlers.decisions.tally import CONSENT, Act, Outcome, Tally, answered, tally
from handlers.decisions.voices import Voices, speakers, spoken_for, voice_in
from handlers.framework.clock import Clock
from handlers.framework.errors import NotYet, UserError
from handlers.framework.gateway import MatrixGateway
from handlers.framework.language import N_, _, _n, speaking
from handlers.framework.limits import HOUR, MAX_REASON, Limits
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.power import may_mention_room
from handlers.framework.replies import MAX_MENTIONS
from handlers.framework.speech import ask_to_act, offer_reactions, tell
from handlers.framework.text import one_line, quoted
from handlers.framework.times import shown
from handlers.framework.turns import turn_of
from handlers.framework.types import (
    EventId,
    RoomId,
    UserId,
)
from storage.decisions import EXTENDED_BY, OPEN, DecisionStore, NoticeStore, Status
from storage.models import Ballot, Proposal
from storage.operations import NewOperation

log = structlog.get_logger(__name__)

# The record travels in the content of the proposal's message under the same name.
SPEC = PROPOSAL
# A cohost that did not open a proposal posts and carries out its outcome only after
# this, in case the one that opened it is gone; the others in turns this far apart
# (each step checks what an earlier turn did).
FALLBACK_DELAY = timedelta(seconds=30)
FALLBACK_TURN = timedelta(seconds=20)
OUTCOME_NOTICE = "outcome_notice"
REMINDER_BEFORE = timedelta(hours=24)
# Beyond this many, people are counted rather than named (messages stay well within
# Matrix's 64 KiB, however large the group).
NAMED_AT_MOST = 20


def listed(people: Sequence[str]) -> str:
    shown = ", ".join(people[:NAMED_AT_MOST])
    more = len(people) - NAMED_AT_MOST
    return shown + (_(" and {more} more", more=more) if more > 0 else "")


@dataclass(frozen=True)
class KindSpec:
    """What a kind of proposal says about itself and how it is carried out."""

    describe: Callable[[Proposal], str]
    # Steps through the run (resumable, idempotent); its parameters: what was decided.
    carry_out: Callable[[Run[Decided]], Awaitable[None]]


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


async def nobody(room_id: RoomId) -> set[UserId]:
    return set()


async def utc(room: RoomId) -> ZoneInfo:
    return ZoneInfo("UTC")


# Where a proposal stands, as people read it.
QUORUM = "quorum"  # in a proposal's details
STATUS_NAMES: dict[str, str] = {
    Status.OPEN: N_("open"),
    Status.PASSED: N_("passed"),
    Status.LAPSED: N_("lapsed"),
    Status.WITHDRAWN: N_("withdrawn"),
}
HALFWAY_REMINDER = N_(
    "Proposal #{number} is halfway through its time (it closes {closes}). "
    "Not yet answered: {listed}."
)
DAY_BEFORE_REMINDER = N_(
    "Proposal #{number} closes in 24 hours ({closes}). Not yet answered: {listed}."
)


def quorum_of(p: Proposal) -> int:
    """The quorum fixed when the proposal opened (its congregation's then), or none."""
    value = (p.details or {}).get(QUORUM)
    return value if isinstance(value, int) and value > 0 else 0


async def no_quorum(room: RoomId) -> int:
    return 0


async def unchosen(room: RoomId) -> str | None:
    return None  # the language spoken now


def voice_of(proposal: Proposal, user: str, chosen: str | None = None) -> str | None:
    """The decider a person's act speaks for: themselves, or the group whose voice they
    give (the one they named, where they give several)."""
    return voice_in(proposal.deciders, proposal.voices, user, chosen)


def people(proposal: Proposal, voices: list[str] | None = None) -> tuple[UserId, ...]:
    """The persons behind some deciders (all of them by default), e.g. to mention."""
    wanted = set(proposal.deciders if voices is None else voices)
    if proposal.voices is None:
        return tuple(UserId(d) for d in sorted(wanted))
    return tuple(UserId(u) for u in speakers(proposal.voices, wanted))


def proposing_is_consenting(p: Proposal) -> Ballot | None:
    """The proposer's consent, which their proposing is: the same act, with the same
    id and time, at every cohost that counts the proposal (the opener and those that
    adopt it), so that all reach the same tally."""
    if p.proposer is None or voice_of(p, p.proposer) is None:
        return None
    return Ballot(
        event_id=f"{p.opening_key}#proposer", voter=p.proposer, act=CONSENT, ts=ms(p.opened_at)
    )


class Decisions:
    def __init__(
        self,
        gateway: MatrixGateway,
        facts: SharedFacts,
        store: DecisionStore,
        notices: NoticeStore,
        runner: OperationRunner,
        clock: Clock,
        limits: Limits | None = None,
        zone_of: Callable[[RoomId], Awaitable[ZoneInfo]] | None = None,
        language_of: Callable[[RoomId], Awaitable[str | None]] | None = None,
        quorum_for: Callable[[RoomId], Awaitable[int]] | None = None,
    ) -> None:
        self.quorum_for = quorum_for or no_quorum
        self.gateway = gateway
        self.facts = facts
        self.zone_of = zone_of or utc
        self.language_of = language_of or unchosen
        self.records = ProposalRecords(facts)
        self.limits = limits or Limits()
        self.store = store
        self.notices = notices
        self.runner = runner
        self.clock = clock
        self.kinds: dict[str, KindSpec] = {}
        # The other cohosts that share a room, whose proposals are adopted there.
        self.peers: Callable[[RoomId], Awaitable[set[UserId]]] = nobody

    def share_rooms_with(self, peers: Callable[[RoomId], Awaitable[set[UserId]]]) -> None:
        """Where rooms are shared (a network's rooms), the other cohosts there: their
        proposals are adopted, and they post an outcome if the opener is gone."""
        self.peers = peers

    def register_kind(self, kind: StrEnum, spec: KindSpec) -> None:
        """A kind of decision, an enum member of the feature that owns it."""
        self.kinds[kind] = spec
        self.runner.register(
            f"outcome:{kind}",
            Decided,
            partial(self._carry_out, spec.carry_out),
            self.carry_out_failed,
        )

    async def _carry_out(
        self, perform: Callable[[Run[Decided]], Awaitable[None]], run: Run[Decided]
    ) -> None:
        not_before = run.params.not_before
        if not_before and self.clock.now() < not_before:
            raise NotYet(_("leaving the carrying out to the cohost that opened the proposal"))
        await perform(run)

    # -- proposals opened by other cohosts -----------------------------------------
    # -- opening ---------------------------------------------------------------
    async def open(
        self,
        *,
        kind: str,
        room_id: RoomId,
        scope: str,
        subject: str,
        proposer: UserId | None,
        deciders: Sequence[str],
        window: timedelta,
        opening_key: str,
        reason: str | None = None,
        voices: Voices | None = None,
        details: dict[str, Any] | None = None,
    ) -> Proposal:
        """Open a proposal once per opening event; the deciding group is fixed now."""
        now = self.clock.now()
        reason = one_line(reason, MAX_REASON) if reason else None
        await self._within_limits(room_id, proposer, opening_key, now)
        # Numbers are the room's, not this cohost's: other cohosts may share the room.
        taken = list(await self.records.all(room_id))
        proposal = Proposal(
            room_id=room_id,
            kind=kind,
            subject=subject,
            scope=scope,
            proposer=proposer,
            reason=reason,
            deciders=sorted(set(deciders)),
            opened_at=now,
            closes_at=now + window,
            status=OPEN,
            opening_key=opening_key,
            voices=voices,
            opened_by=self.gateway.user_id,
            details=details,
        )
        # The quorum of the room's congregation now: fixed in the proposal's record, so
        # that a later change, another cohost and `cohost resync` count it alike.
        quorum = await self.quorum_for(room_id)
        if quorum:
            proposal.details = {**(proposal.details or {}), QUORUM: quorum}
        first = proposing_is_consenting(proposal)
        proposal = await self.store.open(proposal, max(taken, default=0), first)
        if proposal.message_event_id is None:
            event_id = await self._post(proposal, f"cohost-proposal-{opening_key}")
            proposal = await self.store.set_message(proposal.id, event_id)
            await self._record_state(proposal, None)
            log.info("proposal_opened", proposal=proposal.number, kind=kind, room_id=room_id)
        await self._offer_reactions(proposal)
        await self.evaluate(proposal.id)
        return proposal

    async def _asked(self, p: Proposal) -> tuple[tuple[UserId, ...], bool]:
        """Whom a new proposal asks: the deciders but the proposer (whose proposing is
        consenting). A group too large to name that is the whole room is asked by a
        room mention."""
        proposer_voice = voice_of(p, p.proposer) if p.proposer else None
        asked = people(p, [d for d in p.deciders if d != proposer_voice])
        if len(asked) <= MAX_MENTIONS:
            return asked, False
        room = RoomId(p.room_id)
        present = await self.gateway.joined_members(room)
        others = present - {self.gateway.user_id, *(await self.peers(room))}
        whole = others <= set(asked) | {p.proposer}
        return asked, whole and await may_mention_room(self.gateway, room)

    async def carry_over(self, old: RoomId, new: RoomId) -> None:
        """Open proposals of a room its founders upgraded (already moved to the new
        room): posted again there, with their one-click votes."""
        for p in await self.store.all_open():
            if p.room_id != new or not self.opened_here(p):
                continue
            carried = _("Carried over from before the upgrade. ")
            event_id = await self._post(p, f"cohost-proposal-moved-{p.id}-{new}", carried)
            await self._offer_reactions(await self.store.set_message(p.id, event_id))

    async def _post(self, p: Proposal, txn_id: str, preface: str = "") -> EventId:
        """The message announcing a proposal in its room: it asks the deciders, and
        carries the record other cohosts adopt it from."""
        asked, whole_room = await self._asked(p)
        # A large group is not in the message: its deciders are read from the record's parts.
        announced, _parts = ProposalRecord.announcing(p).split()
        return await ask_to_act(
            self.gateway,
            RoomId(p.room_id),
            preface + await self._announcement(p),
            txn_id,
            asked,
            {SPEC: announced.content()},
            whole_room=whole_room,
        )

    async def _offer_reactions(self, p: Proposal) -> None:
        """👍 and ✋ under the proposal, so that a vote is one click (cohost's own
        reactions never count: handlers.decisions.reactions)."""
        if p.message_event_id is None or not self.opened_here(p):
            return
        choices = {"consent": THUMBS_UP, "object": RAISED_HAND}
        await offer_reactions(self.gateway, RoomId(p.room_id), EventId(p.message_event_id), choices)

    async def _within_limits(
        self, room_id: RoomId, proposer: UserId | None, opening_key: str, now: datetime
    ) -> None:
        known, in_room, recent = await self.store.opening_view(room_id, opening_key, now - HOUR)
        if known:
            return  # opened already: this is the same opening again
        if proposer is not None:
            mine = [p for p in in_room if p.proposer == proposer]
            if len(mine) >= self.limits.open_proposals_per_person:
                raise UserError(
                    _(
                        "You have {count} proposals open in this room already (at most "
                        "{limit}); let one close first.",
                        count=len(mine),
                        limit=self.limits.open_proposals_per_person,
                    )
                )
        elif len([p for p in recent if p.proposer is None]) >= (
            self.limits.knock_proposals_per_room_per_hour
        ):
            raise UserError(_("Too many knocks on this room in the last hour; try again later."))

    async def extend(self, proposal: Proposal, by: UserId, more: timedelta) -> Proposal:
        """A decider gives the group more time, once per proposal, within the longest
        window a proposal may have; recorded in room state by the cohost that opened
        it (every cohost of a shared room applies the same command)."""
        if (proposal.details or {}).get(EXTENDED_BY):
            raise UserError(
                _(
                    "Proposal #{number} was extended once already (by {by}); a proposal "
                    "is extended once.",
                    number=proposal.number,
                    by=(proposal.details or {})[EXTENDED_BY],
                )
            )
        if more <= timedelta(0):
            raise UserError(_("Extend by a positive duration, such as P2D (two days)."))
        closes_at = proposal.closes_at + more
        if closes_at - proposal.opened_at > self.limits.longest_window:
            days = self.limits.longest_window.days
            raise UserError(
                _n(
                    "A proposal stays open {count} day at most; #{number} would stay open longer.",
                    "A proposal stays open {count} days at most; #{number} would stay open longer.",
                    days,
                    number=proposal.number,
                )
            )
        extended = await self.store.extend(proposal.id, by, closes_at)
        if extended is None:
            raise UserError(
                _("Proposal #{number} was extended once already.", number=proposal.number)
            )
        if self.opened_here(extended):
            await self._record_state(extended, None)
        log.info("proposal_extended", proposal=extended.number, room_id=extended.room_id)
        return extended

    def describe(self, p: Proposal) -> str:
        return self.kinds[p.kind].describe(p)

    async def closing(self, p: Proposal) -> str:
        """When it closes, as the room reads times."""
        return shown(p.closes_at, await self.zone_of(RoomId(p.room_id)), self.clock.now())

    async def _announcement(self, p: Proposal) -> str:
        what = self.kinds[p.kind].describe(p)
        asked = (
            _("proposed by {proposer}", proposer=p.proposer)
            if p.proposer
            else _("asked by knocking")
        )
        lines = [
            _("Proposal #{number}: {what} ({asked}).", number=p.number, what=what, asked=asked),
            *(
                [_("Why, in their words: {quoted}", quoted=quoted(p.reason, MAX_REASON))]
                if p.reason
                else []
            ),
            _("Decided by consent of: {deciders_named}.", deciders_named=self.deciders_named(p)),
            _(
                "It passes as soon as all of you consent; at its close, {closes}, it "
                "passes if at least one consents and no objection stands.",
                closes=await self.closing(p),
            ),
            *(
                [
                    _n(
                        "At least {count} of you must have answered by then.",
                        "At least {count} of you must have answered by then.",
                        min(quorum_of(p), len(p.deciders)),
                    )
                ]
                if quorum_of(p)
                else []
            ),
            _(
                "React {consent} to consent or {object} to object, or send `!consent "
                "{number}` / `!object {number} <reason>`.",
                consent=THUMBS_UP,
                object=RAISED_HAND,
                number=p.number,
            ),
        ]
        return "\n".join(lines)

    # -- acts ------------------------------------------------------------------
    async def proposal_here(self, room_id: RoomId, number: int) -> Proposal:
        proposal = await self.store.by_number(room_id, number)
        if proposal is None:
            raise UserError(
                _(
                    "There is no proposal #{number} in this room. `!proposals` lists the "
                    "open ones.",
                    number=number,
                )
            )
        if proposal.status != OPEN:
            raise UserError(
                _(
                    "Proposal #{number} is closed ({status}); votes no longer count.",
                    number=number,
                    status=_(STATUS_NAMES.get(proposal.status, proposal.status)),
                )
            )
        return proposal

    def deciders_named(self, p: Proposal) -> str:
        if p.voices is not None:  # groups, each with one voice: the network's congregations
            return _n(
                "the {count} member congregation, its voice given by any of its hosts",
                "the {count} member congregations, one voice each, given by any of its hosts",
                len(p.deciders),
            )
        if len(p.deciders) > NAMED_AT_MOST:
            return _n(
                "the {count} person of this room when it opened",
                "the {count} people of this room when it opened",
                len(p.deciders),
            )
        return ", ".join(p.deciders)

    async def speaking_for(
        self, proposal: Proposal, voter: UserId, named: str | None, verb: str
    ) -> str | None:
        """Which group's voice an act gives, for a person who gives several (by the
        name they said); None for everyone else. UserError when it is not clear."""
        groups = spoken_for(proposal.deciders, proposal.voices, voter)
        if len(groups) < 2 and named is None:
            return None
        if proposal.voices is None:
            raise UserError(
                _(
                    "Everyone speaks for themselves on #{number}; send `!{verb} {number}` "
                    "without naming a congregation.",
                    number=proposal.number,
                    verb=verb,
                )
            )
        names = {
            space: entry.name or space
            for space, entry in (await self.facts.members(RoomId(proposal.scope))).items()
            if space in groups
        }
        chosen = [s for s, n in names.items() if named and n.casefold() == named.casefold()]
        if len(chosen) == 1:
            return chosen[0]
        listed = _(" or ").join(f"**{n}**" for n in sorted(names.values()))
        if named:
            raise UserError(
                _(
                    "{quoted} is none of the congregations whose voice you give on "
                    "#{number} ({listed}).",
                    quoted=quoted(named, 64),
                    number=proposal.number,
                    listed=listed,
                )
            )
        raise UserError(
            _(
                "You give the voice of {listed} on #{number}; say which one this is "
                "for, e.g. `!{verb} {number} for {example}`.",
                listed=listed,
                number=proposal.number,
                verb=verb,
                example=sorted(names.values())[0],
            )
        )

    def require_decider(self, proposal: Proposal, voter: UserId) -> None:
        if not spoken_for(proposal.deciders, proposal.voices, voter):
            raise UserError(
                _(
                    "Proposal #{number} is decided by {deciders_named}, the group fixed "
                    "when it opened; your vote does not count, but your voice in this room "
                    "does.",
                    number=proposal.number,
                    deciders_named=self.deciders_named(proposal),
                )
            )

    async def record(self, proposal: Proposal, ballot: Ballot) -> None:
        added = await self.store.record_ballot(ballot)
        still_open = await self.evaluate(proposal.id)
        if added and still_open is not None and self.opened_here(still_open):
            await self._record_state(still_open, None)

    # -- forgetting ---------------------------------------------------------------
    async def forget(self, user: UserId) -> dict[str, int]:
        """Erase a person's votes and notes; open proposals that recorded their acts in
        room state are recorded again without them."""
        erased, touched = await self.store.forget(user)
        for proposal in touched:
            if self.opened_here(proposal):
                await self._record_state(proposal, None)
        return erased

    # -- closing ---------------------------------------------------------------
    def tally(self, proposal: Proposal, ballots: list[Ballot], closed: bool) -> Tally:
        limit = ms(proposal.closes_at)
        acts = [
            Act(b.event_id, voice_of(proposal, b.voter, b.voice) or b.voter, b.act, b.ts, b.reason)
            for b in ballots
            if b.ts <= limit
        ]
        return tally(proposal.deciders, acts, closed, quorum_of(proposal))

    async def evaluate(self, proposal_id: int) -> Proposal | None:
        """Close the proposal if its tally says so; the proposal if it stays open."""
        proposal, ballots = await self.store.with_ballots(proposal_id)
        if proposal is None or proposal.status != OPEN:
            return None
        closed = self.clock.now() >= proposal.closes_at
        result = self.tally(proposal, ballots, closed)
        if result.outcome is not Outcome.OPEN:
            await self.close(proposal_id, Status(result.outcome.value))
            return None
        return proposal

    async def close(self, proposal_id: int, status: Status) -> None:
        """Close once. The new status, the posting of the outcome and its carrying out
        are recorded in one unit of work, so that a crash at any point leaves either an
        open proposal or a closed one with both operations pending; both are
        idempotent by their ids."""
        proposal = await self.store.proposal(proposal_id)
        assert proposal is not None
        opener = self.opened_here(proposal)
        # One voice posts and records the outcome: the cohost that opened it, at once;
        # unless it is gone: then the others, in turns.
        turn = timedelta(0) if opener else await self._outcome_turn(proposal)
        # Carried out in the same turns: two cohosts acting at once could both open
        # what a step opens (a crew's own decision about a network's newcomer).
        carry_turn = FALLBACK_DELAY if turn is None else turn
        now = self.clock.now()

        def then(closed: Proposal) -> list[NewOperation]:
            operations = []
            if turn is not None:
                operations.append(
                    OperationRunner.new(
                        f"outcome-notice-{closed.id}",
                        OUTCOME_NOTICE,
                        OutcomeNotice(proposal=closed.id, not_before=now + turn),
                    )
                )
            if closed.status == Status.PASSED:
                operations.append(
                    OperationRunner.new(
                        f"outcome-{closed.id}",
                        f"outcome:{closed.kind}",
                        Decided(
                            proposal=closed.id,
                            number=closed.number,
                            room=RoomId(closed.room_id),
                            scope=closed.scope,
                            subject=closed.subject,
                            proposer=UserId(closed.proposer) if closed.proposer else None,
                            not_before=None if opener else now + carry_turn,
                        ),
                    )
                )
            return operations

        proposal = await self.store.close(proposal_id, status, now, then)
        log.info(
            "proposal_closed",
            proposal=proposal.number,
            status=proposal.status,
            room_id=proposal.room_id,
        )
        if opener:  # the outcome is posted before the command that closed it is answered
            await self.runner.run_one(f"outcome-notice-{proposal.id}")
        elif turn is not None:
            self.runner.queue(f"outcome-notice-{proposal.id}")
        if proposal.status == Status.PASSED:
            self.runner.queue(f"outcome-{proposal.id}")

    async def _post_outcome(self, p: Proposal, result: Tally) -> None:
        """Post the outcome and record it in room state, unless another cohost of the
        room has recorded it already."""
        found = await self.records.one(RoomId(p.room_id), p.number)
        if found is not None and found[1].status != OPEN:
            return
        text = self._outcome_text(p, result)
        await tell(self.gateway, RoomId(p.room_id), text, f"cohost-outcome-{p.id}", people(p))
        await self._record_state(p, result)

    async def _outcome_turn(self, p: Proposal) -> timedelta | None:
        """When this cohost posts the outcome of a proposal another cohost opened, if
        that one has not: None when it is not among the room's cohosts."""
        others = (await self.peers(RoomId(p.room_id))) - {p.opened_by}
        place = turn_of(p.opening_key, others, self.gateway.user_id)
        return None if place is None else FALLBACK_DELAY + place * FALLBACK_TURN

    async def outcome_notice(self, run: Run[OutcomeNotice]) -> None:
        if self.clock.now() < run.params.not_before:
            raise NotYet(_("the cohost that opened the proposal posts its outcome first"))
        proposal, ballots = await self.store.with_ballots(run.params.proposal)
        assert proposal is not None
        await self._post_outcome(proposal, self.tally(proposal, ballots, closed=True))

    def _outcome_text(self, p: Proposal, result: Tally) -> str:
        what = self.kinds[p.kind].describe(p)
        if p.status == Status.PASSED:
            return _(
                "Proposal #{number} passed: {what}. Consented: {listed}.",
                number=p.number,
                what=what,
                listed=listed(result.consents),
            )
        if p.status == Status.WITHDRAWN:
            return _(
                "Proposal #{number} was withdrawn by {proposer}.",
                number=p.number,
                proposer=p.proposer,
            )
        quorum = min(quorum_of(p), len(p.deciders))
        if answered(result) < quorum:
            why = _n(
                "{answered} of the {count} answer needed came before it closed",
                "{answered} of the {count} answers needed came before it closed",
                quorum,
                answered=answered(result),
            )
        elif result.objections:
            why = _("objections stand from {listed}", listed=listed(result.objections))
        else:
            why = _("nobody consented before it closed")
        return _(
            "Proposal #{number} lapsed ({why}): {what} does not happen now.",
            number=p.number,
            why=why,
            what=what,
        )

    def opened_here(self, p: Proposal) -> bool:
        """One voice records a proposal in room state: the cohost that opened it."""
        return p.opened_by in (None, self.gateway.user_id)

    async def _record_state(self, p: Proposal, result: Tally | None) -> None:
        """The proposal in room state (see handlers.decisions.schema)."""
        acts = await self.store.ballots(p.id)
        if result is None:
            record = ProposalRecord.of(p, acts=acts)
        else:
            objections = {v: result.stances[v].reason for v in result.objections}
            record = ProposalRecord.of(
                p, acts=acts, consents=result.consents, objections=objections
            )
        await self.records.write(RoomId(p.room_id), record, p.number)

    async def tick(self) -> None:
        """Close what is due, and remind those who have not answered halfway through the
        window and 24 hours before its close (once, where those fall together). Run at
        start (closing what fell due while cohost was down) and periodically."""
        now = self.clock.now()
        for proposal in await self.store.all_open():
            day_before = proposal.closes_at - REMINDER_BEFORE
            halfway = proposal.opened_at + (proposal.closes_at - proposal.opened_at) / 2
            with speaking(await self.language_of(RoomId(proposal.room_id))):
                if now >= proposal.closes_at:
                    await self.evaluate(proposal.id)
                elif now >= day_before and not proposal.reminded:
                    await self._remind(proposal.id)
                elif halfway < day_before and now >= halfway and not proposal.reminded_halfway:
                    await self._remind(proposal.id, halfway=True)

    async def _remind(self, proposal_id: int, halfway: bool = False) -> None:
        proposal, ballots = await self.store.mark_reminded(proposal_id, halfway)
        silent = self.tally(proposal, ballots, closed=False).silent(proposal.deciders)
        if not silent:
            return
        waiting = people(proposal, silent)
        reminder = HALFWAY_REMINDER if halfway else DAY_BEFORE_REMINDER
        await ask_to_act(
            self.gateway,
            RoomId(proposal.room_id),
            _(
                reminder,
                number=proposal.number,
                closes=await self.closing(proposal),
                listed=listed(waiting),
            ),
            f"cohost-remind-{proposal.id}{'-halfway' if halfway else ''}",
            waiting,
        )

    async def notice_failed(self, run: Run[OutcomeNotice], reason: str) -> None:
        log.warning("outcome_not_posted", proposal=run.params.proposal, reason=reason)

    async def carry_out_failed(self, run: Run[Decided], reason: str) -> None:
        decided = run.params
        await tell(
            self.gateway,
            decided.room,
            _(
                "I could not carry out proposal #{number} ({reason}).",
                number=decided.number,
                reason=reason,
            ),
            f"cohost-outcome-failed-{run.id}",
        )

    async def note_declined(self, scope: str, subject: str) -> None:
        """The invitee said no: recorded with the proposal that invited them."""
        proposal = await self.store.latest_about(scope, subject)
        if proposal is None or proposal.status != Status.PASSED:
            return
        found = await self.records.one(RoomId(proposal.room_id), proposal.number)
        record = found[1] if found else None
        if record is not None and record.declined_at is None:
            record.declined_at = self.clock.now()
            await self.records.write(RoomId(proposal.room_id), record, proposal.number)
            log.info("invitation_declined", proposal=proposal.number, room_id=proposal.room_id)


async def rebuild_open_proposals(rebuild: Rebuild) -> None:
    """`cohost resync`: proposals still open, with the acts their records hold (those
    known already, when the database was not lost, are left as they are)."""
    for room in rebuild.rooms:
        for number, (sender, record) in (await ProposalRecords(rebuild.facts).all(room)).items():
            if record.status != OPEN:
                continue
            try:
                proposal = record.proposal(room, number, sender)
            except ValueError:
                log.warning("proposal_record_unreadable", room_id=room, number=number)
                continue
            if await rebuild.stores.decisions.adopt(proposal, record.ballots()) == "adopted":
                rebuild.counts["proposals"] += 1
