"""What a person's practice pathway is read from, the rooms cohost keeps with one
person, and feedback requests; one transaction per intention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from storage.models import CrewCycle, DirectRoom, FeedbackRequest, Meeting, RetroAnswer
from storage.unit import Store


@dataclass(frozen=True)
class RhythmRecord:
    """A person's part in crews' rhythm, as cohost's database holds it."""

    meetings_hosted: int
    cycles_completed: int
    retrospectives_answered: int


class DirectStore(Store):
    async def room(self, user_id: str) -> str | None:
        async with self._unit("room") as s:
            row = await s.get(DirectRoom, user_id)
            return row.room_id if row else None

    async def remember(self, user_id: str, room_id: str) -> None:
        async with self._unit("remember") as s:
            await s.merge(DirectRoom(user_id=user_id, room_id=room_id))


class PathwayStore(Store):
    async def rhythm_of(self, user_id: str, now: datetime) -> RhythmRecord:
        async with self._unit("rhythm_of") as s:
            hosted = await s.scalars(
                select(Meeting).where(Meeting.host == user_id, Meeting.at <= now)
            )
            cycles = await s.scalars(select(CrewCycle).where(CrewCycle.outcome.is_not(None)))
            answers = await s.scalars(
                select(RetroAnswer).where(
                    RetroAnswer.voter == user_id, RetroAnswer.choice.is_not(None)
                )
            )
            return RhythmRecord(
                meetings_hosted=len(list(hosted)),
                cycles_completed=len([c for c in cycles if user_id in c.rotation]),
                retrospectives_answered=len({a.cycle_id for a in answers}),
            )


class FeedbackStore(Store):
    async def add(self, request: FeedbackRequest) -> bool:
        """False when this request (its asking event) is known already."""
        async with self._unit("add") as s:
            if await s.get(FeedbackRequest, request.id) is not None:
                return False
            s.add(request)
            return True

    async def asked_since(self, asker: str, crew_room: str, since: datetime) -> bool:
        """Whether `asker` asked the crew for feedback at or after `since`."""
        async with self._unit("asked_since") as s:
            found = await s.scalar(
                select(FeedbackRequest.id).where(
                    FeedbackRequest.asker == asker,
                    FeedbackRequest.crew_room == crew_room,
                    FeedbackRequest.created_at >= since,
                )
            )
            return found is not None

    async def get(self, request_id: str) -> FeedbackRequest | None:
        async with self._unit("get") as s:
            return await s.get(FeedbackRequest, request_id)

    async def awaiting(
        self, giver: str, crew_name_key: str, since: datetime
    ) -> list[FeedbackRequest]:
        """The requests of crews by that name that asked `giver`, unanswered, newest
        first."""
        async with self._unit("awaiting") as s:
            rows = await s.scalars(
                select(FeedbackRequest)
                .where(
                    FeedbackRequest.crew_name_key == crew_name_key,
                    FeedbackRequest.created_at >= since,
                )
                .order_by(FeedbackRequest.created_at.desc())
            )
            return [r for r in rows if giver in r.asked and giver not in r.answered]

    async def answered(self, request_id: str, giver: str) -> bool:
        """Record that `giver` answered; False when they had already."""
        async with self._unit("answered") as s:
            row = await s.get(FeedbackRequest, request_id)
            if row is None or giver in row.answered:
                return False
            row.answered = [*row.answered, giver]
            return True

    async def forget(self, user_id: str) -> dict[str, int]:
        """Requests a person made go; elsewhere they are no longer asked or answered."""
        async with self._unit("forget") as s:
            made = await s.execute(delete(FeedbackRequest).where(FeedbackRequest.asker == user_id))
            for row in await s.scalars(select(FeedbackRequest)):
                if user_id in row.asked or user_id in row.answered:
                    row.asked = [u for u in row.asked if u != user_id]
                    row.answered = [u for u in row.answered if u != user_id]
            rooms = await s.execute(delete(DirectRoom).where(DirectRoom.user_id == user_id))
            return {
                "feedback requests": int(getattr(made, "rowcount", 0) or 0),
                "direct rooms remembered": int(getattr(rooms, "rowcount", 0) or 0),
            }
