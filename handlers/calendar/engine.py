"""A crew's meetings as an iCalendar feed (RFC 5545, written by the `icalendar`
library): a VTIMEZONE for the crew's zone, one event per meeting of its cycle with its
host named, cancelled meetings marked so. Calendars that subscribe re-read it, so it
follows the cycle, the rotation and a pause.

The address is `<id>-<secret>`: the id finds the crew, the secret is compared in
constant time, and a wrong address gets the same "not found" as a missing one. The
address reaches only the person who asks, in their direct room with cohost (anyone
who has it sees the crew's meetings); `!crew calendar reset` replaces it."""

from __future__ import annotations

import hmac
from datetime import timedelta
from functools import partial
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from pydantic import BaseModel

from handlers.community.direct import DirectRooms
from handlers.community.directory import Directory
from handlers.framework.clock import Clock
from handlers.framework.language import _, speaking
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.speech import tell
from handlers.framework.types import RoomId, UserId
from storage.calendar import CalendarStore
from storage.models import Crew
from storage.rhythm import ENDED, PAUSED, RhythmStore

SEND = "calendar_address"
MEETING_LENGTH = timedelta(hours=1)


class CalendarSettings(BaseModel):
    # Where people reach cohost's HTTP server (a reverse proxy's address); by default
    # the address it listens on.
    public_url: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = 8480

    @property
    def base(self) -> str:
        return (self.public_url or f"http://{self.http_host}:{self.http_port}").rstrip("/")


class Sending(BaseModel):
    """Sending a crew's calendar address to one person, in their direct room."""

    crew: RoomId
    person: UserId


class CrewCalendars:
    def __init__(
        self,
        directory: Directory,
        store: CalendarStore,
        rhythm: RhythmStore,
        direct_rooms: DirectRooms,
        runner: OperationRunner,
        clock: Clock,
        settings: CalendarSettings,
    ) -> None:
        self.directory = directory
        self.gateway = directory.gateway
        self.store = store
        self.rhythm = rhythm
        self.direct_rooms = direct_rooms
        self.runner = runner
        self.clock = clock
        self.settings = settings

    def url(self, feed_id: str, secret: str) -> str:
        return f"{self.settings.base}/calendar/{feed_id}-{secret}.ics"

    async def send_address(self, crew: Crew, person: UserId, key: str, *, reset: bool) -> None:
        """The address (made, or replaced) goes to the person's direct room; the
        operation names the crew only, never the secret."""
        await self.store.address(crew.room_id, self.clock.now(), reset=reset)
        await self.runner.start(key, SEND, Sending(crew=RoomId(crew.room_id), person=person))

    async def send(self, run: Run[Sending]) -> None:
        calendar = await self.store.of_crew(run.params.crew)
        place = await self.directory.place(run.params.crew)
        if calendar is None or place.crew is None:
            return
        room = await self.direct_rooms.with_person(run, run.params.person)
        text = _(
            "The calendar of **{crew}**: {url}\nSubscribe to it in your calendar app "
            "(as a calendar from the internet): the crew's meetings come with their "
            "host and follow every change. Keep the address to yourself: anyone who has "
            "it sees the meetings; `!crew calendar reset` in the crew's room replaces it.",
            crew=place.crew.name,
            url=self.url(calendar.feed_id, calendar.secret),
        )
        told = partial(tell, self.gateway, room, text, f"cohost-calendar-{run.id}")
        await run.step("told", told)

    async def send_failed(self, run: Run[Sending], reason: str) -> None:
        return None  # the person asks again; nothing was half-done that matters

    async def feed(self, address: str) -> bytes | None:
        """The feed at this address, or None: unknown and wrong look the same."""
        feed_id, _sep, secret = address.partition("-")
        found = await self.store.by_feed(feed_id) if feed_id and secret else None
        if found is None or not hmac.compare_digest(found.secret.encode(), secret.encode()):
            return None
        room = RoomId(found.room_id)
        place = await self.directory.place(room)
        if place.crew is None:
            return None
        with speaking(await self.directory.language_of(room)):
            return await self._calendar(place.crew)

    async def _calendar(self, crew: Crew) -> bytes:
        calendar = Calendar()
        calendar.add("prodid", "-//cohost//crew calendar//EN")
        calendar.add("version", "2.0")
        calendar.add("x-wr-calname", crew.name)
        now = self.clock.now()
        # The latest cycle, and the one before it: a cycle set anew ends the old one,
        # whose meetings still to come are then cancelled.
        recent = await self.rhythm.recent(crew.room_id)
        if recent:
            calendar.add("x-wr-timezone", recent[-1][0].timezone)
        for cycle, meetings in recent:
            zone = ZoneInfo(cycle.timezone)
            for meeting in meetings:
                event = Event()
                event.add("uid", f"{crew.room_id}/{cycle.number}/{meeting.index}@cohost")
                event.add("dtstamp", now)
                event.add("dtstart", meeting.at.astimezone(zone))
                event.add("duration", MEETING_LENGTH)
                event.add(
                    "summary",
                    _(
                        "{crew}: meeting {index} of {count}",
                        crew=crew.name,
                        index=meeting.index,
                        count=cycle.meetings,
                    ),
                )
                host = meeting.host or _("chosen in turn")
                event.add("description", _("Hosted by {host}.", host=host))
                cancelled = cycle.status in (PAUSED, ENDED) and meeting.at > now
                event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
                calendar.add_component(event)
        calendar.add_missing_timezones()
        return bytes(calendar.to_ical())
