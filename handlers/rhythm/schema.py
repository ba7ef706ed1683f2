"""A crew's cycle in Matrix: one typed record in the crew room's state (state key: the
cycle's number), written whenever the cycle changes and read back by `cohost resync`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from handlers.community.state import PREFIX
from handlers.framework.arguments import WEEKDAYS, parse_weekday
from handlers.framework.fact import Fact
from storage.models import CrewCycle, Meeting

CYCLE = PREFIX + "cycle"


class MeetingRecord(BaseModel):
    at: datetime
    host: str | None = None
    day_reminder: str | None = None  # sent | skipped
    hour_reminder: str | None = None


class CycleRecord(Fact):
    """A crew's cycle, with what `cohost resync` needs to take it up again: its
    meetings, their hosts and which reminders went out."""

    TYPE = CYCLE
    meetings: int
    weekday: str
    time: str
    timezone: str
    # weekly (what records written before rhythms beyond weekly mean), fortnightly, or
    # first|second|third|fourth|last: that weekday of the month.
    pattern: str = "weekly"
    status: str
    outcome: str | None = None
    rotation: list[str] = Field(default_factory=list)
    schedule: list[MeetingRecord] = Field(default_factory=list)
    retro: str | None = None
    retro_poll: str | None = None
    retro_opened_at: datetime | None = None
    created_at: datetime | None = None

    @classmethod
    def of(cls, cycle: CrewCycle, meetings: list[Meeting]) -> CycleRecord:
        return cls(
            meetings=cycle.meetings,
            weekday=WEEKDAYS[cycle.weekday],
            time=cycle.local_time,
            timezone=cycle.timezone,
            pattern=cycle.pattern or "weekly",
            status=cycle.status,
            outcome=cycle.outcome,
            rotation=cycle.rotation,
            schedule=[
                MeetingRecord(
                    at=m.at, host=m.host, day_reminder=m.day_reminder, hour_reminder=m.hour_reminder
                )
                for m in meetings
            ],
            retro=cycle.retro_event_id,
            retro_poll=cycle.retro_poll_id,
            retro_opened_at=cycle.retro_opened_at,
            created_at=cycle.created_at,
        )

    def cycle(self, room_id: str, number: int) -> tuple[CrewCycle, list[Meeting]]:
        """The cycle and its meetings this record describes; UserError when its weekday
        cannot be read."""
        cycle = CrewCycle(
            room_id=room_id,
            number=number,
            meetings=self.meetings,
            weekday=parse_weekday(self.weekday),
            local_time=self.time,
            timezone=self.timezone,
            pattern=self.pattern,
            rotation=list(self.rotation),
            status=self.status,
            retro_event_id=self.retro,
            retro_poll_id=self.retro_poll,
            retro_opened_at=self.retro_opened_at,
            outcome=self.outcome,
            created_at=self.created_at or self.schedule[0].at,
        )
        meetings = [
            Meeting(
                index=i,
                at=m.at,
                host=m.host,
                day_reminder=m.day_reminder,
                hour_reminder=m.hour_reminder,
            )
            for i, m in enumerate(self.schedule, start=1)
        ]
        return cycle, meetings
