"""Limits on what one person can set going (SPEC §3.9): the operator sets them, and a
request past one gets a clear refusal that changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

# Free text people give (reasons, intentions), as cohost keeps and quotes it.
MAX_REASON = 500
MAX_INTENTION = 500


@dataclass(frozen=True)
class Limits:
    open_proposals_per_person: int = 3  # in one room
    crews_per_person_per_day: int = 3
    cohosts_at_creation: int = 8
    knock_proposals_per_room_per_hour: int = 10
    # What `!propose --for <duration>` may choose.
    shortest_window: timedelta = HOUR
    longest_window: timedelta = timedelta(days=30)
