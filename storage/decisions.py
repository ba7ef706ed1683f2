"""Proposals, their ballots, and things said once: one layer of stores, each unit of
work named for its intention; the queries several units share are private functions
at the end."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Ballot, Notified, Proposal, Review
from storage.operations import NewOperation, add_operation
from storage.unit import Store


class Status(StrEnum):
    """Where a proposal stands: open, or closed as passed, lapsed or withdrawn (stored
    as its value; compares equal to it)."""

    OPEN = "open"
    PASSED = "passed"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"


OPEN = Status.OPEN
# Who extended a proposal's window (in its details; a proposal is extended once).
EXTENDED_BY = "extended_by"


def pseudonym(user_id: str) -> str:
    """What stands for a forgotten person where a group must keep its size."""
    return "forgotten-" + hashlib.sha256(user_id.encode()).hexdigest()[:12]


class DecisionStore(Store):
    """Proposals and their ballots, one transaction per intention."""

    async def open(self, proposal: Proposal, above: int, first: Ballot | None) -> Proposal:
        """The proposal opened by its opening event, numbered next in its room (above
        `above`), with its first act; the one opened already if the event was seen."""
        async with self._unit("open") as s:
            known = await _by_opening(s, proposal.opening_key)
            if known is not None:
                return known
            await _add(s, proposal, above=above)
            if first is not None:
                first.proposal_id = proposal.id
                await _add_ballot(s, first)
            return proposal

    async def adopt(self, proposal: Proposal, acts: Sequence[Ballot]) -> str:
        """A proposal numbered by another cohost (or recorded in room state), with the
        acts recorded so far: "adopted", or "known" / "number_taken" when not."""
        async with self._unit("adopt") as s:
            if await _by_opening(s, proposal.opening_key) is not None:
                return "known"
            if await _by_number(s, proposal.room_id, proposal.number) is not None:
                return "number_taken"
            await _adopt(s, proposal)
            for ballot in acts:
                ballot.proposal_id = proposal.id
                await _add_ballot(s, ballot)
            return "adopted"

    async def opening_view(
        self, room_id: str, opening_key: str, since: datetime
    ) -> tuple[bool, list[Proposal], list[Proposal]]:
        """What the limits on opening look at: whether this opening is known already,
        the proposals open in the room, and those opened there since `since`."""
        async with self._unit("opening_view") as s:
            known = await _by_opening(s, opening_key) is not None
            return known, await _open_in(s, room_id), await _opened_since(s, room_id, since)

    async def set_message(self, proposal_id: int, event_id: str) -> Proposal:
        async with self._unit("set_message") as s:
            row = await _get(s, proposal_id)
            assert row is not None
            row.message_event_id = event_id
            return row

    async def proposal(self, proposal_id: int) -> Proposal | None:
        async with self._unit("proposal") as s:
            return await _get(s, proposal_id)

    async def with_ballots(self, proposal_id: int) -> tuple[Proposal | None, list[Ballot]]:
        async with self._unit("with_ballots") as s:
            return await _get(s, proposal_id), await _ballots(s, proposal_id)

    async def by_number(self, room_id: str, number: int) -> Proposal | None:
        async with self._unit("by_number") as s:
            return await _by_number(s, room_id, number)

    async def by_message(self, event_id: str) -> Proposal | None:
        async with self._unit("by_message") as s:
            return await s.scalar(select(Proposal).where(Proposal.message_event_id == event_id))

    async def by_opening(self, key: str) -> Proposal | None:
        async with self._unit("by_opening") as s:
            return await _by_opening(s, key)

    async def ballot_and_proposal(self, event_id: str) -> tuple[Ballot | None, Proposal | None]:
        """A recorded act and the proposal it was on (a reaction being taken back)."""
        async with self._unit("ballot_and_proposal") as s:
            ballot = await _ballot(s, event_id)
            return ballot, await _get(s, ballot.proposal_id) if ballot else None

    async def open_in(self, room_id: str) -> list[tuple[Proposal, list[Ballot]]]:
        async with self._unit("open_in") as s:
            return [(p, await _ballots(s, p.id)) for p in await _open_in(s, room_id)]

    async def ballots(self, proposal_id: int) -> list[Ballot]:
        async with self._unit("ballots") as s:
            return await _ballots(s, proposal_id)

    async def decided(self, room_id: str, kind: str, status: str) -> list[Proposal]:
        """The proposals of a kind in a room that this cohost closed with `status`."""
        async with self._unit("decided") as s:
            rows = await s.scalars(
                select(Proposal)
                .where(
                    Proposal.room_id == room_id, Proposal.kind == kind, Proposal.status == status
                )
                .order_by(Proposal.number)
            )
            return list(rows)

    async def record_ballot(self, ballot: Ballot) -> bool:
        """False when the act's event was recorded already."""
        async with self._unit("record_ballot") as s:
            return await _add_ballot(s, ballot)

    async def all_open(self) -> list[Proposal]:
        async with self._unit("all_open") as s:
            return await _all_open(s)

    async def open_about(self, kind: str, scope: str, subject: str) -> Proposal | None:
        async with self._unit("open_about") as s:
            return await s.scalar(
                select(Proposal).where(
                    Proposal.kind == kind,
                    Proposal.scope == scope,
                    Proposal.subject == subject,
                    Proposal.status == OPEN,
                )
            )

    async def latest_about(self, scope: str, subject: str) -> Proposal | None:
        async with self._unit("latest_about") as s:
            return await s.scalar(
                select(Proposal)
                .where(Proposal.scope == scope, Proposal.subject == subject)
                .order_by(Proposal.opened_at.desc())
                .limit(1)
            )

    async def close(
        self,
        proposal_id: int,
        status: str,
        at: datetime,
        then: Callable[[Proposal], list[NewOperation]],
    ) -> Proposal:
        """Close once (a proposal closed already keeps its status) and persist what
        follows from how it closed, in the same transaction: a crash leaves either an
        open proposal or a closed one with its operations pending."""
        async with self._unit("close") as s:
            proposal = await _get(s, proposal_id)
            assert proposal is not None
            if proposal.status == OPEN:
                proposal.status = status
                proposal.closed_at = at
            for new in then(proposal):
                await add_operation(s, new, at)
            return proposal

    async def extend(self, proposal_id: int, by: str, closes_at: datetime) -> Proposal | None:
        """Move an open proposal's close, once: None when it was extended already (or
        is closed). Its reminder goes out again before the new close."""
        async with self._unit("extend") as s:
            proposal = await _get(s, proposal_id)
            details = dict(proposal.details or {}) if proposal is not None else {}
            if proposal is None or proposal.status != OPEN or details.get(EXTENDED_BY):
                return None
            proposal.details = {**details, EXTENDED_BY: by}
            proposal.closes_at = closes_at
            proposal.reminded = proposal.reminded_halfway = False
            return proposal

    async def set_review(self, room_id: str, number: int, due_at: datetime, by: str) -> None:
        """Put a decision back in front of its group then (a later `!review` moves it)."""
        async with self._unit("set_review") as s:
            row = await s.scalar(
                select(Review).where(Review.room_id == room_id, Review.number == number)
            )
            if row is None:
                s.add(Review(room_id=room_id, number=number, due_at=due_at, by=by))
            else:
                row.due_at, row.by, row.told = due_at, by, False

    async def due_reviews(self, now: datetime) -> list[Review]:
        async with self._unit("due_reviews") as s:
            found = await s.scalars(
                select(Review).where(Review.due_at <= now, Review.told.is_(False))
            )
            return list(found)

    async def reviewed(self, review_id: int) -> None:
        async with self._unit("reviewed") as s:
            row = await s.get(Review, review_id)
            if row is not None:
                row.told = True

    async def mark_reminded(
        self, proposal_id: int, halfway: bool = False
    ) -> tuple[Proposal, list[Ballot]]:
        """A reminder goes out once: the day before the close, or halfway through."""
        async with self._unit("mark_reminded") as s:
            proposal = await _get(s, proposal_id)
            assert proposal is not None
            if halfway:
                proposal.reminded_halfway = True
            else:
                proposal.reminded = True
            return proposal, await _ballots(s, proposal_id)

    async def forget(self, user_id: str) -> tuple[dict[str, int], list[Proposal]]:
        """Erase a person's acts (see `_forget`); also the open
        proposals they acted on or are named in, to record those again."""
        async with self._unit("forget") as s:
            touched = {b.proposal_id for b in await _ballots_of(s, user_id)}
            touched |= {
                p.id
                for p in await _all_open(s)
                if user_id in (*p.deciders, *(p.voices or {}), p.subject, p.proposer)
            }
            erased = await _forget(s, user_id)
            return erased, [p for p in await _all_open(s) if p.id in touched]


class NoticeStore(Store):
    """Things said once only."""

    async def first_time(self, key: str, user_id: str | None = None) -> bool:
        """True the first time a key is seen (then remembered)."""
        async with self._unit("first_time") as s:
            if await s.get(Notified, key) is not None:
                return False
            s.add(Notified(key=key, user_id=user_id))
            return True


# -- queries shared by the units above ----------------------------------------


async def _add(s: AsyncSession, proposal: Proposal, above: int = 0) -> Proposal:
    """Number it next in its room (and above `above`, the highest number seen)."""
    current = await s.scalar(
        select(func.max(Proposal.number)).where(Proposal.room_id == proposal.room_id)
    )
    proposal.number = max(current or 0, above) + 1
    s.add(proposal)
    await s.flush()
    return proposal


async def _adopt(s: AsyncSession, proposal: Proposal) -> None:
    """A proposal numbered elsewhere (by another cohost in a shared room)."""
    s.add(proposal)
    await s.flush()


async def _get(s: AsyncSession, proposal_id: int) -> Proposal | None:
    return await s.get(Proposal, proposal_id)


async def _by_opening(s: AsyncSession, key: str) -> Proposal | None:
    return await s.scalar(select(Proposal).where(Proposal.opening_key == key))


async def _by_number(s: AsyncSession, room_id: str, number: int) -> Proposal | None:
    return await s.scalar(
        select(Proposal).where(Proposal.room_id == room_id, Proposal.number == number)
    )


async def _open_in(s: AsyncSession, room_id: str) -> list[Proposal]:
    rows = await s.scalars(
        select(Proposal)
        .where(Proposal.room_id == room_id, Proposal.status == OPEN)
        .order_by(Proposal.number)
    )
    return list(rows)


async def _opened_since(s: AsyncSession, room_id: str, since: datetime) -> list[Proposal]:
    rows = await s.scalars(
        select(Proposal).where(Proposal.room_id == room_id, Proposal.opened_at >= since)
    )
    return list(rows)


async def _all_open(
    s: AsyncSession,
) -> list[Proposal]:
    rows = await s.scalars(select(Proposal).where(Proposal.status == OPEN))
    return list(rows)


# -- ballots ---------------------------------------------------------------
async def _add_ballot(s: AsyncSession, ballot: Ballot) -> bool:
    if await s.get(Ballot, ballot.event_id) is not None:
        return False
    s.add(ballot)
    return True


async def _ballot(s: AsyncSession, event_id: str) -> Ballot | None:
    return await s.get(Ballot, event_id)


async def _ballots_of(s: AsyncSession, voter: str) -> list[Ballot]:
    return list(await s.scalars(select(Ballot).where(Ballot.voter == voter)))


async def _ballots(s: AsyncSession, proposal_id: int) -> list[Ballot]:
    rows = await s.scalars(select(Ballot).where(Ballot.proposal_id == proposal_id))
    return list(rows)


# -- said once -------------------------------------------------------------
# -- forgetting ------------------------------------------------------------
async def _forget(s: AsyncSession, user_id: str) -> dict[str, int]:
    ballots = await s.execute(delete(Ballot).where(Ballot.voter == user_id))
    notes = await s.execute(delete(Notified).where(Notified.user_id == user_id))
    closed = await s.execute(
        delete(Proposal).where(
            Proposal.status != OPEN,
            or_(Proposal.subject == user_id, Proposal.proposer == user_id),
        )
    )
    # Where the person stays part of a group that still decides, only a pseudonym.
    alias = pseudonym(user_id)
    renamed = 0
    for proposal in await s.scalars(select(Proposal)):
        deciders = [alias if d == user_id else d for d in proposal.deciders]
        voices = proposal.voices
        if voices is not None and user_id in voices:
            voices = {alias if u == user_id else u: v for u, v in voices.items()}
        changes = {
            "deciders": deciders,
            "voices": voices,
            "subject": alias if proposal.subject == user_id else proposal.subject,
            "proposer": alias if proposal.proposer == user_id else proposal.proposer,
        }
        if any(getattr(proposal, k) != v for k, v in changes.items()):
            for key, value in changes.items():
                setattr(proposal, key, value)
            renamed += 1
    return {
        "votes": int(getattr(ballots, "rowcount", 0) or 0),
        "notes": int(getattr(notes, "rowcount", 0) or 0),
        "closed proposals": int(getattr(closed, "rowcount", 0) or 0),
        "open proposals naming you (now a pseudonym)": renamed,
    }
