"""Crew cycles, their meetings and retrospective answers: one layer of stores, each
unit of work named for its intention; shared queries are private functions at the end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CrewCycle, Meeting, RetroAnswer
from storage.unit import Store

ACTIVE, RETRO, PAUSED, ENDED = "active", "retro", "paused", "ended"


# How a host is chosen: from the rotation and the turns each person has had, a new
# rotation and who hosts (handlers' rhythm arithmetic decides; the store keeps).
Choice = Callable[[list[str], Counter[str]], tuple[list[str], str | None]]


class RhythmStore(Store):
    """Crew cycles, their meetings and retrospectives, one transaction per intention."""

    async def start_cycle(
        self, room_id: str, times: list[datetime], make: Callable[[CrewCycle | None], CrewCycle]
    ) -> CrewCycle:
        """A new cycle made from the crew's latest one (which ends if still running)."""
        async with self._unit("start_cycle") as s:
            previous = await _current(s, room_id)
            cycle = make(previous)
            if previous is not None and previous.status in (ACTIVE, RETRO):
                previous.status = ENDED
            return await _add(s, cycle, times)

    async def continue_cycle(
        self, after: CrewCycle, times: list[datetime], make: Callable[[CrewCycle], CrewCycle]
    ) -> CrewCycle | None:
        """The next cycle after `after`; None when one follows it already."""
        async with self._unit("continue_cycle") as s:
            current = await _current(s, after.room_id)
            if current is None or current.id != after.id:
                return None
            return await _add(s, make(after), times)

    async def current(self, room_id: str) -> CrewCycle | None:
        async with self._unit("current") as s:
            return await _current(s, room_id)

    async def recent(self, room_id: str, count: int = 2) -> list[tuple[CrewCycle, list[Meeting]]]:
        """The crew's latest cycles, oldest first, each with its meetings."""
        async with self._unit("recent") as s:
            cycles = await s.scalars(
                select(CrewCycle)
                .where(CrewCycle.room_id == room_id)
                .order_by(CrewCycle.number.desc())
                .limit(count)
            )
            return [(c, await _meetings(s, c.id)) for c in reversed(list(cycles))]

    async def with_meetings(self, cycle_id: int) -> tuple[CrewCycle, list[Meeting]]:
        async with self._unit("with_meetings") as s:
            cycle = await _get(s, cycle_id)
            assert cycle is not None
            return cycle, await _meetings(s, cycle_id)

    async def meetings(self, cycle_id: int) -> list[Meeting]:
        async with self._unit("meetings") as s:
            return await _meetings(s, cycle_id)

    async def by_status(self, *statuses: str) -> list[CrewCycle]:
        async with self._unit("by_status") as s:
            return await _by_status(s, *statuses)

    async def assign_host(
        self, cycle: CrewCycle, meeting_id: int, keep: Callable[[str | None], bool], choose: Choice
    ) -> str | None:
        """The meeting's host: kept while `keep` says so, else chosen anew."""
        async with self._unit("assign_host") as s:
            meeting = await s.get(Meeting, meeting_id)
            row = await _get(s, cycle.id)
            assert meeting is not None and row is not None
            if not keep(meeting.host):
                hosted = await _hosted(s, cycle.room_id, meeting_id)
                row.rotation, meeting.host = choose(list(row.rotation), hosted)
            return meeting.host

    async def pass_hosting(self, cycle: CrewCycle, meeting_id: int, choose: Choice) -> str | None:
        """A new rotation and host for the meeting (the host passed it on)."""
        return await self.assign_host(cycle, meeting_id, lambda host: False, choose)

    async def mark_meeting(
        self, meeting_id: int, day: str | None, hour: str | None, only_unset: bool
    ) -> None:
        """Which reminders of a meeting went out (or were skipped)."""
        async with self._unit("mark_meeting") as s:
            row = await s.get(Meeting, meeting_id)
            assert row is not None
            if day and not (only_unset and row.day_reminder):
                row.day_reminder = day
            if hour and not (only_unset and row.hour_reminder):
                row.hour_reminder = hour

    async def open_retro(self, cycle_id: int, event_id: str, at: datetime) -> None:
        async with self._unit("open_retro") as s:
            row = await _get(s, cycle_id)
            assert row is not None
            if row.status == ACTIVE:
                row.status = RETRO
                row.retro_event_id = event_id
                row.retro_opened_at = at

    async def by_retro_message(self, event_id: str) -> CrewCycle | None:
        """The cycle whose retrospective this is: its message, or its poll."""
        async with self._unit("by_retro_message") as s:
            return await s.scalar(
                select(CrewCycle).where(
                    (CrewCycle.retro_event_id == event_id) | (CrewCycle.retro_poll_id == event_id)
                )
            )

    async def set_retro_poll(self, cycle_id: int, event_id: str) -> None:
        async with self._unit("set_retro_poll") as s:
            row = await _get(s, cycle_id)
            if row is not None:
                row.retro_poll_id = event_id

    async def record_answer(self, answer: RetroAnswer) -> bool:
        async with self._unit("record_answer") as s:
            return await _answer(s, answer)

    async def withdraw_answer(
        self, redacts: str, voter: str, room_id: str, event_id: str, ts: int
    ) -> bool:
        """A retrospective reaction taken back by the one who gave it, in its room."""
        async with self._unit("withdraw_answer") as s:
            answered = await _answer_by_event(s, redacts)
            if answered is None or answered.voter != voter:
                return False
            cycle = await _get(s, answered.cycle_id)
            if cycle is None or cycle.room_id != room_id:
                return False
            return await _answer(
                s,
                RetroAnswer(event_id=event_id, cycle_id=cycle.id, voter=voter, choice=None, ts=ts),
            )

    async def close_retro(
        self,
        cycle_id: int,
        decide: Callable[[CrewCycle, list[RetroAnswer]], tuple[str, str] | None],
    ) -> CrewCycle | None:
        """Close a retrospective still open when `decide` gives (status, outcome)."""
        async with self._unit("close_retro") as s:
            row = await _get(s, cycle_id)
            assert row is not None
            if row.status != RETRO:
                return None
            decided = decide(row, await _answers(s, cycle_id))
            if decided is None:
                return None
            row.status, row.outcome = decided
            return row

    async def hand_over(self, cycle_id: int) -> None:
        """Another cohost keeps this cycle now (a network's crew): this one stops."""
        async with self._unit("hand_over") as s:
            row = await _get(s, cycle_id)
            if row is not None:
                row.status = ENDED

    async def take_over(self, cycle: CrewCycle, meetings: list[Meeting]) -> CrewCycle:
        """Keep a cycle as another cohost recorded it: added, or made as recorded."""
        async with self._unit("take_over") as s:
            known = await s.scalar(
                select(CrewCycle).where(
                    CrewCycle.room_id == cycle.room_id, CrewCycle.number == cycle.number
                )
            )
            if known is None:
                await _restore(s, cycle, meetings)
                return cycle
            for name in ("status", "rotation", "retro_event_id", "retro_opened_at", "outcome"):
                setattr(known, name, getattr(cycle, name))
            for stored, recorded in zip(await _meetings(s, known.id), meetings, strict=False):
                stored.host = recorded.host
                stored.day_reminder = recorded.day_reminder
                stored.hour_reminder = recorded.hour_reminder
            return known

    async def restore(self, cycles: list[tuple[CrewCycle, list[Meeting]]]) -> int:
        """Cycles as room state records them; how many were not known already."""
        async with self._unit("restore") as s:
            return sum([await _restore(s, cycle, meetings) for cycle, meetings in cycles])

    async def forget(self, user_id: str) -> tuple[dict[str, int], list[CrewCycle]]:
        """A person's retrospective answers, hosting turns and place in rotations go;
        the cycles changed are returned, to record them again in room state."""
        async with self._unit("forget") as s:
            answers = await s.execute(delete(RetroAnswer).where(RetroAnswer.voter == user_id))
            turns = list(await s.scalars(select(Meeting).where(Meeting.host == user_id)))
            for meeting in turns:
                meeting.host = None  # the next reminder names whoever hosts now
            changed = {m.cycle_id for m in turns}
            for cycle in await s.scalars(select(CrewCycle)):
                if user_id in cycle.rotation:
                    cycle.rotation = [u for u in cycle.rotation if u != user_id]
                    changed.add(cycle.id)
            cycles = [c for c in await s.scalars(select(CrewCycle)) if c.id in changed]
            counts = {
                "retrospective answers": int(getattr(answers, "rowcount", 0) or 0),
                "hosting turns": len(turns),
            }
            return counts, cycles


# -- queries shared by the units above ----------------------------------------


async def _current(s: AsyncSession, room_id: str) -> CrewCycle | None:
    """The crew's latest cycle."""
    return await s.scalar(
        select(CrewCycle)
        .where(CrewCycle.room_id == room_id)
        .order_by(CrewCycle.number.desc())
        .limit(1)
    )


async def _get(s: AsyncSession, cycle_id: int) -> CrewCycle | None:
    return await s.get(CrewCycle, cycle_id)


async def _add(s: AsyncSession, cycle: CrewCycle, times: list[datetime]) -> CrewCycle:
    latest = await s.scalar(
        select(func.max(CrewCycle.number)).where(CrewCycle.room_id == cycle.room_id)
    )
    cycle.number = (latest or 0) + 1
    s.add(cycle)
    await s.flush()
    for i, at in enumerate(times, start=1):
        s.add(Meeting(cycle_id=cycle.id, index=i, at=at))
    return cycle


async def _restore(s: AsyncSession, cycle: CrewCycle, meetings: list[Meeting]) -> bool:
    """A cycle as room state records it; False when its number is known already."""
    known = await s.scalar(
        select(CrewCycle.id).where(
            CrewCycle.room_id == cycle.room_id, CrewCycle.number == cycle.number
        )
    )
    if known is not None:
        return False
    s.add(cycle)
    await s.flush()
    for meeting in meetings:
        meeting.cycle_id = cycle.id
        s.add(meeting)
    return True


async def _by_status(s: AsyncSession, *statuses: str) -> list[CrewCycle]:
    rows = await s.scalars(select(CrewCycle).where(CrewCycle.status.in_(statuses)))
    return list(rows)


async def _meetings(s: AsyncSession, cycle_id: int) -> list[Meeting]:
    rows = await s.scalars(
        select(Meeting).where(Meeting.cycle_id == cycle_id).order_by(Meeting.index)
    )
    return list(rows)


async def _hosted_by_crew(s: AsyncSession, room_id: str) -> list[Meeting]:
    rows = await s.scalars(
        select(Meeting)
        .join(CrewCycle, CrewCycle.id == Meeting.cycle_id)
        .where(CrewCycle.room_id == room_id, Meeting.host.is_not(None))
    )
    return list(rows)


async def _answer(s: AsyncSession, answer: RetroAnswer) -> bool:
    if await s.get(RetroAnswer, answer.event_id) is not None:
        return False
    s.add(answer)
    return True


async def _answer_by_event(s: AsyncSession, event_id: str) -> RetroAnswer | None:
    return await s.get(RetroAnswer, event_id)


async def _answers(s: AsyncSession, cycle_id: int) -> list[RetroAnswer]:
    rows = await s.scalars(select(RetroAnswer).where(RetroAnswer.cycle_id == cycle_id))
    return list(rows)


async def _hosted(s: AsyncSession, room_id: str, but: int) -> Counter[str]:
    """How often each has hosted in this crew, the meeting `but` aside."""
    return Counter(m.host for m in await _hosted_by_crew(s, room_id) if m.host and m.id != but)
