"""Times as people read them (SPEC §4b): in the room's zone, with the weekday, the
date, the zone's abbreviation and a hint of how far off ("Tuesday 8 December, 19:00
CET (in 2 days)"). Weekday, date and hint come from Babel's CLDR data, so that they
follow the room's language once texts come from catalogs; the abbreviation is the
zone database's, which reads the same in every language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta

LOCALE = "en"


def shown(moment: datetime, zone: ZoneInfo, now: datetime, locale: str = LOCALE) -> str:
    hint = format_timedelta(moment - now, add_direction=True, locale=locale)
    return f"{at(moment, zone, locale)} ({hint})"


def at(moment: datetime, zone: ZoneInfo, locale: str = LOCALE) -> str:
    """The moment in the zone, without a hint ("Tuesday 8 December, 19:00 CET")."""
    local = moment.astimezone(zone)
    day = format_datetime(local, "EEEE d MMMM, HH:mm", tzinfo=zone, locale=locale)
    return f"{day} {local.tzname()}"


def day_of(moment: datetime, zone: ZoneInfo, locale: str = LOCALE) -> str:
    """The date alone, in the zone ("8 December 2026")."""
    return format_datetime(moment.astimezone(zone), "d MMMM y", tzinfo=zone, locale=locale)
