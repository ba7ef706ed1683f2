"""A decision's later life: `!review <n> <duration>` puts a passed decision back in
front of its group when it comes due. The review is kept in the decision's record in
room state (so that another cohost and `cohost resync` know it) and in a table of its
own, which the tick reads; the group is asked once, with a mention."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from handlers.community.rebuild import Rebuild
from handlers.decisions.engine import STATUS_NAMES, Decisions
from handlers.decisions.records import ProposalRecords
from handlers.framework.errors import UserError
from handlers.framework.language import _, _n, speaking
from handlers.framework.speech import ask_to_act
from handlers.framework.times import day_of
from handlers.framework.types import RoomId, UserId
from storage.decisions import Status
from storage.models import Review

log = structlog.get_logger(__name__)

# In the decision's details: when it comes back, who asked, when it came back.
REVIEW_AT, REVIEW_BY, REVIEWED = "review_at", "review_by", "reviewed_at"
LONGEST_REVIEW = timedelta(days=730)


class Reviews:
    def __init__(self, decisions: Decisions) -> None:
        self.decisions = decisions

    async def tick(self) -> None:
        for review in await self.decisions.store.due_reviews(self.decisions.clock.now()):
            with speaking(await self.decisions.language_of(RoomId(review.room_id))):
                await self._bring_back(review)

    async def review(self, room_id: RoomId, number: int, by: UserId, after: timedelta) -> datetime:
        """Put a passed decision back in front of its group after a while (a later
        review moves it); kept in the decision's record, so that another cohost and
        `cohost resync` know it."""
        found = await self.decisions.records.one(room_id, number)
        if found is None:
            raise UserError(_("There is no decision #{number} in this room.", number=number))
        writer, record = found
        if record.status != Status.PASSED:
            status = _(STATUS_NAMES.get(record.status, record.status))
            raise UserError(
                _(
                    "Only a decision that passed comes back for review; #{number} is {status}.",
                    number=number,
                    status=status,
                )
            )
        if by not in record.deciders and by not in (record.voices or {}):
            raise UserError(_("Only those who decided #{number} can bring it back.", number=number))
        if not timedelta(0) < after <= LONGEST_REVIEW:
            raise UserError(
                _n(
                    "A review comes within {count} day; write it like P90D (ninety days).",
                    "A review comes within {count} days; write it like P90D (ninety days).",
                    LONGEST_REVIEW.days,
                )
            )
        due = self.decisions.clock.now() + after
        await self.decisions.store.set_review(room_id, number, due, by)
        if writer == self.decisions.gateway.user_id:
            record.details = {**(record.details or {}), REVIEW_AT: due.isoformat(), REVIEW_BY: by}
            record.details.pop(REVIEWED, None)
            await self.decisions.records.write(room_id, record, number)
        log.info("review_set", number=number, room_id=room_id)
        return due

    async def _bring_back(self, review: Review) -> None:
        """The decision in front of its group again, once; by the cohost that keeps its
        record (others of a shared room only note it)."""
        room = RoomId(review.room_id)
        found = await self.decisions.records.one(room, review.number)
        if found is not None and found[0] == self.decisions.gateway.user_id:
            writer, record = found
            try:
                what = self.decisions.describe(record.proposal(room, review.number, writer))
            except (ValueError, KeyError):
                what = f"#{review.number}"
            agreed = record.closed_at or record.closes_at
            zone = await self.decisions.zone_of(room)
            present = await self.decisions.gateway.joined_members(room)
            asked = tuple(UserId(d) for d in record.deciders if d in present)
            await ask_to_act(
                self.decisions.gateway,
                room,
                _(
                    "Decision #{number} comes back for review, as {by} asked: {what}, "
                    "agreed {day}. Does it still serve you? Propose a change with "
                    "`!propose`, or let it stand.",
                    number=review.number,
                    by=review.by,
                    what=what,
                    day=day_of(agreed, zone) if agreed else "?",
                ),
                f"cohost-review-{review.room_id}-{review.number}-{review.due_at:%Y%m%d%H%M}",
                asked,
            )
            record.details = {
                **(record.details or {}),
                REVIEWED: self.decisions.clock.now().isoformat(),
            }
            await self.decisions.records.write(room, record, review.number)
        await self.decisions.store.reviewed(review.id)
        log.info("review_due", number=review.number, room_id=room)


async def rebuild_reviews(rebuild: Rebuild) -> None:
    """`cohost resync`: reviews still to come, from the decisions' records."""
    for room in rebuild.rooms:
        for number, (sender, record) in (await ProposalRecords(rebuild.facts).all(room)).items():
            details = record.details or {}
            if record.status != Status.PASSED or not details.get(REVIEW_AT):
                continue
            if details.get(REVIEWED):
                continue
            due = datetime.fromisoformat(str(details[REVIEW_AT]))
            by = str(details.get(REVIEW_BY, sender))
            await rebuild.stores.decisions.set_review(room, number, due, by)
            rebuild.counts["reviews"] += 1
