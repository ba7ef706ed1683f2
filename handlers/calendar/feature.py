"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.calendar.commands import CalendarCommands
from handlers.calendar.engine import SEND, CalendarSettings, CrewCalendars, Sending
from handlers.community.house import House


def install(house: House) -> None:
    calendars = house.provide(
        CrewCalendars(
            house.directory,
            house.stores.calendars,
            house.stores.rhythm,
            house.direct_rooms,
            house.runner,
            house.clock,
            house.settings(CalendarSettings),
        )
    )
    house.runner.register(SEND, Sending, calendars.send, calendars.send_failed)
    house.registry.collect(CalendarCommands(calendars))
