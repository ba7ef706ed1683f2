"""A proposal in Matrix: one typed record, used wherever a proposal leaves or enters the
database.

The cohost that opens a proposal records it in its room's state (state key: its
number): while open with every act so far, so that any cohost can take it up again
from Matrix alone (`cohost resync`); once closed with its outcome. The same record,
with the number and the reason, travels in the content of the message that announces
the proposal, so that the other cohosts of a shared room adopt it as it stands.

Whose record counts is decided by the one reader (`handlers.community.facts`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from handlers.community.state import PREFIX
from handlers.decisions.tally import CONSENT, OBJECT, WITHDRAW
from handlers.decisions.voices import Voices
from handlers.framework.fact import Fact
from handlers.framework.types import RoomId, UserId
from storage.decisions import OPEN
from storage.models import Ballot, Proposal

PROPOSAL = PREFIX + "proposal"
# A record too large for one event (Matrix allows 64 KiB) keeps its deciders and acts
# in parts (state key "<number>/<i>"), each written by the record's own writer.
PART = PROPOSAL + ".part"
INLINE_BYTES = 40_000
PART_BYTES = 24_000


class Act(BaseModel):
    """One recorded act on a proposal (a ballot, in the database)."""

    event: str
    voter: str
    act: str
    reason: str | None = None
    ts: int
    reaction: str | None = None
    # The group it speaks for, where the voter gives several groups' voices.
    voice: str | None = None

    @classmethod
    def of(cls, ballot: Ballot) -> Act:
        act = cls(
            event=ballot.event_id,
            voter=ballot.voter,
            act=ballot.act,
            reason=ballot.reason,
            ts=ballot.ts,
            reaction=ballot.reaction_key,
        )
        if ballot.voice is not None:
            act.voice = ballot.voice
        return act

    def ballot(self) -> Ballot:
        return Ballot(
            event_id=self.event,
            voter=self.voter,
            act=self.act,
            reason=self.reason,
            ts=self.ts,
            reaction_key=self.reaction,
            voice=self.voice,
        )


class ProposalRecord(Fact):
    TYPE = PROPOSAL
    kind: str
    subject: str
    scope: str
    status: str = OPEN
    proposer: str | None = None
    deciders: list[str] = Field(default_factory=list)
    # Who speaks for which decider, where deciders are groups.
    voices: Voices | None = None
    opened_at: datetime | None = None
    closes_at: datetime | None = None
    message: str | None = None
    opening_key: str | None = None
    # Structured data of the kind: for a network_join, the congregation it admits
    # ("space"; recorded at the top level by the version that introduced it).
    details: dict[str, Any] | None = None
    space: str | None = None
    acts: list[Act] = Field(default_factory=list)
    # Once closed: who consented, and the objections that stood with their reasons.
    consents: list[str] | None = None
    objections: dict[str, str | None] | None = None
    closed_at: datetime | None = None
    declined_at: datetime | None = None
    # How many parts hold its deciders and acts, where they did not fit in one event.
    parts: int | None = None
    # In the announcing message only.
    number: int | None = None
    reason: str | None = None

    def content(self) -> dict[str, Any]:
        """What was set, and only that: a record read and written again stays as it
        was, and the message and the state each carry their own fields."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    @property
    def admits(self) -> str | None:
        found = (self.details or {}).get("space", self.space)
        return found if isinstance(found, str) else None

    @classmethod
    def of(
        cls,
        p: Proposal,
        *,
        acts: Sequence[Ballot] | None = None,
        consents: list[str] | None = None,
        objections: dict[str, str | None] | None = None,
    ) -> ProposalRecord:
        """The room-state record: its acts (while open and once closed, so that a reader
        can recompute the outcome from them), and once closed its outcome."""
        record = cls(
            kind=p.kind,
            subject=p.subject,
            scope=p.scope,
            proposer=p.proposer,
            deciders=p.deciders,
            voices=p.voices,
            opened_at=p.opened_at,
            closes_at=p.closes_at,
            status=p.status,
            message=p.message_event_id,
            opening_key=p.opening_key,
            details=p.details,
        )
        if consents is not None:
            record.closed_at = p.closed_at
            record.consents = consents
            record.objections = objections or {}
        record.acts = [Act.of(b) for b in sorted(acts or (), key=lambda b: b.ts)]
        return record

    @classmethod
    def announcing(cls, p: Proposal) -> ProposalRecord:
        """The record in the message that announces the proposal: all another cohost
        needs to adopt it as it stands, its number included."""
        return cls(
            number=p.number,
            kind=p.kind,
            subject=p.subject,
            scope=p.scope,
            proposer=p.proposer,
            reason=p.reason,
            deciders=p.deciders,
            voices=p.voices,
            opened_at=p.opened_at,
            closes_at=p.closes_at,
            opening_key=p.opening_key,
            details=p.details,
        )

    def proposal(self, room_id: str, number: int, opened_by: str) -> Proposal:
        """The open proposal this record describes; ValueError when it lacks its times."""
        if self.opened_at is None or self.closes_at is None:
            raise ValueError("a proposal record without its window")
        return Proposal(
            room_id=room_id,
            number=number,
            kind=self.kind,
            subject=self.subject,
            scope=self.scope,
            proposer=self.proposer,
            reason=self.reason,
            deciders=list(self.deciders),
            voices=self.voices,
            opened_at=self.opened_at,
            closes_at=self.closes_at,
            status=OPEN,
            message_event_id=self.message,
            opening_key=self.opening_key or f"restored-{room_id}-{number}",
            opened_by=opened_by,
            details=self.details
            if self.details is not None
            else ({"space": self.space} if self.space else None),
        )

    def split(self) -> tuple[ProposalRecord, list[ProposalPart]]:
        """The record as one event holds it, and its deciders and acts in parts small
        enough for an event each: the same parts for the same record (acts only grow at
        the end, so earlier parts stay as they were), or none when the whole record fits
        in one event (then the record itself)."""
        if len(json.dumps(self.content())) <= INLINE_BYTES:
            return self, []
        parts = [ProposalPart()]
        size = 0
        items: list[tuple[str, Any]] = [("d", d) for d in self.deciders]
        items += [("a", a) for a in self.acts]
        for kind, item in items:
            weight = len(json.dumps(item if kind == "d" else item.model_dump(mode="json")))
            if size + weight > PART_BYTES and size:
                parts.append(ProposalPart())
                size = 0
            if kind == "d":
                parts[-1].deciders.append(item)
            else:
                parts[-1].acts.append(item)
            size += weight
        head = self.model_copy(deep=True)
        # Who consented follows from the acts (the tally); not repeated where it is large.
        head.deciders, head.acts, head.parts, head.consents = [], [], len(parts), None
        return head, parts

    def joined(self, parts: list[ProposalPart]) -> None:
        """Its deciders and acts, read back from its parts."""
        self.deciders = [d for part in parts for d in part.deciders]
        self.acts = [a for part in parts for a in part.acts]

    def ballots(self) -> list[Ballot]:
        """The acts it holds, as ballots (their proposal is set when they are stored)."""
        return [a.ballot() for a in self.acts if a.act in (CONSENT, OBJECT, WITHDRAW)]


class ProposalPart(Fact):
    """Some of a large record's deciders and acts (see ProposalRecord.split)."""

    TYPE = PART
    deciders: list[str] = Field(default_factory=list)
    acts: list[Act] = Field(default_factory=list)


class Decided(BaseModel):
    """What carrying out a passed decision is given (its operation's parameters, the
    same keys since they were first written: old rows load as they are)."""

    proposal: int  # its id in this cohost's database
    number: int
    room: RoomId
    scope: str
    subject: str
    proposer: UserId | None = None
    # A cohost that did not open it carries it out only after the opener's turn.
    not_before: datetime | None = None


class OutcomeNotice(BaseModel):
    """Posting a closed proposal's outcome (by a cohost that did not open it, after the
    opener's turn)."""

    proposal: int
    not_before: datetime
