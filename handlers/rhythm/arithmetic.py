"""The rhythm's arithmetic, pure: meeting times in a crew's own time zone, the hosting
rotation, and the retrospective's result. Property-tested without a homeserver."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from dateutil import rrule as rrule_freq
from dateutil.rrule import rrule
from dateutil.rrule import weekdays as rrule_weekdays

MAX_MEETINGS = 52
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
CREW_SIZE_LIMIT = 8
CHOICES = {"continue": "🔁", "adjust": "🛠", "split": "✂", "pause": "⏸"}
# Ties go to the choice that asks least of anyone: leaving costs no face.
TIE_ORDER = ["pause", "adjust", "split", "continue"]


# How often a crew meets: every week, every other week, or on the n-th (or last)
# weekday of each month.
WEEKLY, FORTNIGHTLY = "weekly", "fortnightly"
MONTHLY = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}


def meeting_times(
    after: datetime,
    count: int,
    weekday: int,
    at: time,
    zone: ZoneInfo,
    pattern: str = WEEKLY,
) -> list[datetime]:
    """The next `count` meetings strictly after `after`, as UTC instants: each is the
    local wall-clock time on its date, whatever the UTC offset that day. The dates are
    dateutil's rrule (RFC 5545's recurrence rules), in local days."""
    day = rrule_weekdays[weekday]
    if pattern in MONTHLY:
        rule = dict(freq=rrule_freq.MONTHLY, byweekday=day(MONTHLY[pattern]))
    else:
        rule = dict(
            freq=rrule_freq.WEEKLY, byweekday=day, interval=2 if pattern == FORTNIGHTLY else 1
        )
    start = after.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
    dates = rrule(**rule, dtstart=datetime.combine(start.date(), time()), count=count + 1)
    local = [datetime.combine(d.date(), at, zone) for d in dates]
    return [t.astimezone(ZoneInfo("UTC")) for t in local if t > after][:count]


def pattern_of(word: str) -> str:
    """`other` (every other week), `first` … `fourth` or `last` (of the month)."""
    if word == "other":
        return FORTNIGHTLY
    return word if word in MONTHLY else WEEKLY


def rotation_with(rotation: Sequence[str], members: set[str]) -> list[str]:
    """Members who left drop out; newcomers join at the end (in a stable order)."""
    kept = [m for m in rotation if m in members]
    return kept + sorted(members - set(kept))


def next_host(rotation: Sequence[str], members: set[str], hosted: Counter[str]) -> str | None:
    """Everyone hosts once before anyone hosts twice; among equals, rotation order."""
    order = rotation_with(rotation, members)
    if not order:
        return None
    return min(order, key=lambda m: (hosted[m], order.index(m)))


def retro_result(answers: dict[str, str]) -> str:
    counts = Counter(answers.values())
    return max(TIE_ORDER, key=lambda c: (counts[c], -TIE_ORDER.index(c)))


def choice_of(key: str) -> str | None:
    bare = key.replace("\ufe0f", "")
    for choice, emoji in CHOICES.items():
        if bare == emoji:
            return choice
    return None


# -- the crew's rhythm ------------------------------------------------------------


class Scheduled(Protocol):
    at: datetime
    day_reminder: str | None
    hour_reminder: str | None


def overdue_since(schedule: Sequence[Scheduled], now: datetime) -> datetime | None:
    """Since when something the rhythm's keeper does is due and not done: a reminder
    not sent (nor skipped), or the retrospective after the last meeting."""
    for meeting in schedule:
        if meeting.at <= now:
            continue
        if meeting.hour_reminder is None and now >= meeting.at - HOUR:
            return meeting.at - HOUR
        if meeting.day_reminder is None and meeting.at - DAY <= now < meeting.at - HOUR:
            return meeting.at - DAY
    if schedule and schedule[-1].at <= now:
        return schedule[-1].at
    return None
