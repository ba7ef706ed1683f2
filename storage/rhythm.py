"""Repositories of crew cycles, their meetings and retrospective answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CrewCycle, Meeting, RetroAnswer

ACTIVE, RETRO, PAUSED, ENDED = "active", "retro", "paused", "ended"


class RhythmRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def current(self, room_id: str) -> CrewCycle | None:
        """The crew's latest cycle."""
        return await self._s.scalar(
            select(CrewCycle)
            .where(CrewCycle.room_id == room_id)
            .order_by(CrewCycle.number.desc())
            .limit(1)
        )

    async def get(self, cycle_id: int) -> CrewCycle | None:
        return await self._s.get(CrewCycle, cycle_id)

    async def add(self, cycle: CrewCycle, times: list[datetime]) -> CrewCycle:
        latest = await self._s.scalar(
            select(func.max(CrewCycle.number)).where(CrewCycle.room_id == cycle.room_id)
        )
        cycle.number = (latest or 0) + 1
        self._s.add(cycle)
        await self._s.flush()
        for i, at in enumerate(times, start=1):
            self._s.add(Meeting(cycle_id=cycle.id, index=i, at=at))
        return cycle

    async def restore(self, cycle: CrewCycle, meetings: list[Meeting]) -> bool:
        """A cycle as room state records it; False when its number is known already."""
        known = await self._s.scalar(
            select(CrewCycle.id).where(
                CrewCycle.room_id == cycle.room_id, CrewCycle.number == cycle.number
            )
        )
        if known is not None:
            return False
        self._s.add(cycle)
        await self._s.flush()
        for meeting in meetings:
            meeting.cycle_id = cycle.id
            self._s.add(meeting)
        return True

    async def forget(self, user_id: str) -> tuple[dict[str, int], list[CrewCycle]]:
        """A person's retrospective answers, hosting turns and place in rotations go;
        the cycles changed are returned, to record them again in room state."""
        answers = await self._s.execute(delete(RetroAnswer).where(RetroAnswer.voter == user_id))
        turns = list(await self._s.scalars(select(Meeting).where(Meeting.host == user_id)))
        for meeting in turns:
            meeting.host = None  # the next reminder names whoever hosts now
        changed = {m.cycle_id for m in turns}
        for cycle in await self._s.scalars(select(CrewCycle)):
            if user_id in cycle.rotation:
                cycle.rotation = [u for u in cycle.rotation if u != user_id]
                changed.add(cycle.id)
        cycles = [c for c in await self._s.scalars(select(CrewCycle)) if c.id in changed]
        counts = {
            "retrospective answers": int(getattr(answers, "rowcount", 0) or 0),
            "hosting turns": len(turns),
        }
        return counts, cycles

    async def by_status(self, *statuses: str) -> list[CrewCycle]:
        rows = await self._s.scalars(select(CrewCycle).where(CrewCycle.status.in_(statuses)))
        return list(rows)

    async def by_retro_message(self, event_id: str) -> CrewCycle | None:
        return await self._s.scalar(select(CrewCycle).where(CrewCycle.retro_event_id == event_id))

    async def meetings(self, cycle_id: int) -> list[Meeting]:
        rows = await self._s.scalars(
            select(Meeting).where(Meeting.cycle_id == cycle_id).order_by(Meeting.index)
        )
        return list(rows)

    async def hosted_by_crew(self, room_id: str) -> list[Meeting]:
        rows = await self._s.scalars(
            select(Meeting)
            .join(CrewCycle, CrewCycle.id == Meeting.cycle_id)
            .where(CrewCycle.room_id == room_id, Meeting.host.is_not(None))
        )
        return list(rows)

    async def answer(self, answer: RetroAnswer) -> bool:
        if await self._s.get(RetroAnswer, answer.event_id) is not None:
            return False
        self._s.add(answer)
        return True

    async def answer_by_event(self, event_id: str) -> RetroAnswer | None:
        return await self._s.get(RetroAnswer, event_id)

    async def answers(self, cycle_id: int) -> list[RetroAnswer]:
        rows = await self._s.scalars(select(RetroAnswer).where(RetroAnswer.cycle_id == cycle_id))
        return list(rows)
