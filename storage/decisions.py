"""Repositories of proposals, their ballots, and things said once."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Ballot, Notified, Proposal

OPEN = "open"


def pseudonym(user_id: str) -> str:
    """What stands for a forgotten person where a group must keep its size."""
    return "forgotten-" + hashlib.sha256(user_id.encode()).hexdigest()[:12]


class DecisionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, proposal: Proposal, above: int = 0) -> Proposal:
        """Number it next in its room (and above `above`, the highest number seen)."""
        current = await self._s.scalar(
            select(func.max(Proposal.number)).where(Proposal.room_id == proposal.room_id)
        )
        proposal.number = max(current or 0, above) + 1
        self._s.add(proposal)
        await self._s.flush()
        return proposal

    async def adopt(self, proposal: Proposal) -> None:
        """A proposal numbered elsewhere (by another cohost in a shared room)."""
        self._s.add(proposal)
        await self._s.flush()

    async def get(self, proposal_id: int) -> Proposal | None:
        return await self._s.get(Proposal, proposal_id)

    async def by_opening(self, key: str) -> Proposal | None:
        return await self._s.scalar(select(Proposal).where(Proposal.opening_key == key))

    async def by_number(self, room_id: str, number: int) -> Proposal | None:
        return await self._s.scalar(
            select(Proposal).where(Proposal.room_id == room_id, Proposal.number == number)
        )

    async def by_message(self, event_id: str) -> Proposal | None:
        return await self._s.scalar(select(Proposal).where(Proposal.message_event_id == event_id))

    async def open_in(self, room_id: str) -> list[Proposal]:
        rows = await self._s.scalars(
            select(Proposal)
            .where(Proposal.room_id == room_id, Proposal.status == OPEN)
            .order_by(Proposal.number)
        )
        return list(rows)

    async def opened_since(self, room_id: str, since: datetime) -> list[Proposal]:
        rows = await self._s.scalars(
            select(Proposal).where(Proposal.room_id == room_id, Proposal.opened_at >= since)
        )
        return list(rows)

    async def open_about(self, kind: str, scope: str, subject: str) -> Proposal | None:
        return await self._s.scalar(
            select(Proposal).where(
                Proposal.kind == kind,
                Proposal.scope == scope,
                Proposal.subject == subject,
                Proposal.status == OPEN,
            )
        )

    async def latest_about(self, scope: str, subject: str) -> Proposal | None:
        return await self._s.scalar(
            select(Proposal)
            .where(Proposal.scope == scope, Proposal.subject == subject)
            .order_by(Proposal.opened_at.desc())
            .limit(1)
        )

    async def all_open(self) -> list[Proposal]:
        rows = await self._s.scalars(select(Proposal).where(Proposal.status == OPEN))
        return list(rows)

    # -- ballots ---------------------------------------------------------------
    async def add_ballot(self, ballot: Ballot) -> bool:
        if await self._s.get(Ballot, ballot.event_id) is not None:
            return False
        self._s.add(ballot)
        return True

    async def ballot(self, event_id: str) -> Ballot | None:
        return await self._s.get(Ballot, event_id)

    async def ballots_of(self, voter: str) -> list[Ballot]:
        return list(await self._s.scalars(select(Ballot).where(Ballot.voter == voter)))

    async def ballots(self, proposal_id: int) -> list[Ballot]:
        rows = await self._s.scalars(select(Ballot).where(Ballot.proposal_id == proposal_id))
        return list(rows)

    # -- said once -------------------------------------------------------------
    async def first_time(self, key: str, user_id: str | None = None) -> bool:
        """True the first time a key is seen (then remembered)."""
        if await self._s.get(Notified, key) is not None:
            return False
        self._s.add(Notified(key=key, user_id=user_id))
        return True

    # -- forgetting ------------------------------------------------------------
    async def forget(self, user_id: str) -> dict[str, int]:
        ballots = await self._s.execute(delete(Ballot).where(Ballot.voter == user_id))
        notes = await self._s.execute(delete(Notified).where(Notified.user_id == user_id))
        closed = await self._s.execute(
            delete(Proposal).where(
                Proposal.status != OPEN,
                or_(Proposal.subject == user_id, Proposal.proposer == user_id),
            )
        )
        # Where the person stays part of a group that still decides, only a pseudonym.
        alias = pseudonym(user_id)
        renamed = 0
        for proposal in await self._s.scalars(select(Proposal)):
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
