"""Times as people read them (SPEC §4b): in the room's zone, with the weekday, the
date, the zone's abbreviation and a hint of how far off ("Tuesday 8 December, 19:00
CET (in 2 days)"). Weekday, date and hint come from Babel's CLDR data, so that they
follow the language spoken (handlers.framework.language); the abbreviation is the
zone database's, which reads the same in every language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta, get_day_names

from handlers.framework import language
from handlers.framework.language import _


def _locale(locale: str | None) -> str:
    """The locale Babel formats in: the language spoken now, unless one is named."""
    code = locale or language.current()
    return code if code in language.LANGUAGES else language.SOURCE


def shown(moment: datetime, zone: ZoneInfo, now: datetime, locale: str | None = None) -> str:
    hint = format_timedelta(moment - now, add_direction=True, locale=_locale(locale))
    return f"{at(moment, zone, locale)} ({hint})"


def at(moment: datetime, zone: ZoneInfo, locale: str | None = None) -> str:
    """The moment in the zone, without a hint ("Tuesday 8 December, 19:00 CET")."""
    local = moment.astimezone(zone)
    # Translators: a CLDR date pattern (weekday, day, month, hour:minute).
    pattern = _("EEEE d MMMM, HH:mm")
    day = format_datetime(local, pattern, tzinfo=zone, locale=_locale(locale))
    return f"{day} {local.tzname()}"


def day_of(moment: datetime, zone: ZoneInfo, locale: str | None = None) -> str:
    """The date alone, in the zone ("8 December 2026")."""
    # Translators: a CLDR date pattern (day, month, year).
    pattern = _("d MMMM y")
    return format_datetime(moment.astimezone(zone), pattern, tzinfo=zone, locale=_locale(locale))


def weekday(index: int, locale: str | None = None) -> str:
    """A weekday's name (0: Monday), as the language writes it."""
    return str(get_day_names("wide", locale=_locale(locale))[index])
