"""Crew life: cycles of meetings in a rhythm, a host named in rotation, reminders a day
and an hour before, and a retrospective at the last meeting (continue, adjust, split
or pause). Times are computed as local wall-clock times in the crew's time zone, so
they stay right across daylight-saving changes."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog

from handlers.community.directory import Directory
from handlers.community.facts import CYCLE, CycleRecord, MeetingRecord
from handlers.framework.clock import Clock
from handlers.framework.errors import UserError
from handlers.framework.gateway import MatrixGateway
from handlers.framework.matrix_names import EventType, Membership
from handlers.framework.registry import Args, CommandContext, CommandRegistry, Kind, Param
from handlers.framework.replies import Reply, notice
from handlers.framework.types import (
    IncomingMember,
    IncomingReaction,
    IncomingRedaction,
    RoomId,
    UserId,
)
from storage.decisions import NoticeStore
from storage.models import CrewCycle, Meeting, RetroAnswer
from storage.rhythm import ACTIVE, ENDED, PAUSED, RETRO, RhythmStore

log = structlog.get_logger(__name__)

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MAX_MEETINGS = 52
DAY, HOUR = timedelta(days=1), timedelta(hours=1)
CREW_SIZE_LIMIT = 8
CHOICES = {"continue": "🔁", "adjust": "🛠", "split": "✂", "pause": "⏸"}
# Ties go to the choice that asks least of anyone: leaving costs no face.
TIE_ORDER = ["pause", "adjust", "split", "continue"]
CYCLE_STATE = CYCLE


# -- pure parts -------------------------------------------------------------------


def parse_weekday(word: str) -> int:
    key = word.lower()
    for i, name in enumerate(WEEKDAYS):
        if len(key) >= 3 and name.startswith(key):
            return i
    raise UserError(f"`{word}` is not a weekday; try Monday … Sunday.")


def parse_time(word: str) -> time:
    found = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", word)
    if found is None:
        raise UserError(f"`{word}` is not a time of day; write it as HH:MM, e.g. 19:00.")
    return time(int(found.group(1)), int(found.group(2)))


def parse_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"`{name}` is not a time zone I know; use an IANA name like Europe/Berlin or UTC."
        ) from None


def meeting_times(
    after: datetime, count: int, weekday: int, at: time, zone: ZoneInfo
) -> list[datetime]:
    """The next `count` weekly meetings strictly after `after`, as UTC instants: each
    is the local wall-clock time on its date, whatever the UTC offset that day."""
    local_now = after.astimezone(zone)
    day: date = local_now.date() + timedelta(days=(weekday - local_now.weekday()) % 7)
    if datetime.combine(day, at, zone) <= after:
        day += timedelta(days=7)
    return [
        datetime.combine(day + timedelta(weeks=i), at, zone).astimezone(ZoneInfo("UTC"))
        for i in range(count)
    ]


def restore_cycle(
    room_id: str, number: int, record: CycleRecord
) -> tuple[CrewCycle, list[Meeting]]:
    """A cycle and its meetings as the crew room's state records them (`cohost resync`)."""
    cycle = CrewCycle(
        room_id=room_id,
        number=number,
        meetings=record.meetings,
        weekday=parse_weekday(record.weekday),
        local_time=record.time,
        timezone=record.timezone,
        rotation=list(record.rotation),
        status=record.status,
        retro_event_id=record.retro,
        retro_opened_at=record.retro_opened_at,
        outcome=record.outcome,
        created_at=record.created_at or record.schedule[0].at,
    )
    meetings = [
        Meeting(
            index=i,
            at=m.at,
            host=m.host,
            day_reminder=m.day_reminder,
            hour_reminder=m.hour_reminder,
        )
        for i, m in enumerate(record.schedule, start=1)
    ]
    return cycle, meetings


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


class Rhythm:
    def __init__(
        self,
        directory: Directory,
        store: RhythmStore,
        notices: NoticeStore,
        clock: Clock,
        retro_window: timedelta,
    ) -> None:
        self.directory = directory
        self.gateway: MatrixGateway = directory.gateway
        self.store = store
        self.notices = notices
        self.clock = clock
        self.retro_window = retro_window

    def register(self, registry: CommandRegistry) -> None:
        registry.command(
            "crew cycle",
            Param("n", Kind.INT),
            Param("meetings"),
            Param("every"),
            Param("weekday"),
            Param("time"),
            Param("timezone"),
            summary="Set the rhythm: `!crew cycle 6 meetings every Tuesday 19:00 Europe/Berlin`.",
        )(self.cycle)
        registry.command("crew host", summary="Who hosts the next meeting.")(self.host)
        registry.command(
            "crew rotate", summary="Pass hosting the next meeting on to the next person."
        )(self.rotate)
        registry.command(
            "crew retro",
            Param("choice"),
            summary="Answer the retrospective: continue, adjust, split or pause.",
        )(self.retro_answer)

    async def _crew_member(self, ctx: CommandContext) -> tuple[RoomId, set[str]]:
        place = await self.directory.place(ctx.message.room_id)
        if place.crew is None:
            raise UserError("Send this in your crew's room.")
        members = await self._members(ctx.message.room_id)
        if ctx.sender not in members:
            raise UserError("Only the crew's members can do that.")
        return ctx.message.room_id, members

    async def _members(self, room: RoomId) -> set[str]:
        return {m for m in await self.gateway.joined_members(room) if m != self.gateway.user_id}

    def _when(self, cycle: CrewCycle, at: datetime) -> str:
        local = at.astimezone(ZoneInfo(cycle.timezone))
        return f"{local:%A %d %B, %H:%M} {cycle.timezone}"

    # -- commands ----------------------------------------------------------------
    async def cycle(self, ctx: CommandContext, args: Args) -> Reply:
        if (
            args["meetings"].lower() not in ("meetings", "meeting")
            or args["every"].lower() != "every"
        ):
            raise UserError(
                "Write it as `!crew cycle 6 meetings every Tuesday 19:00 Europe/Berlin`."
            )
        count = args["n"]
        if not 1 <= count <= MAX_MEETINGS:
            raise UserError(f"A cycle has 1 to {MAX_MEETINGS} meetings (six is the classic start).")
        weekday, at, zone = (
            parse_weekday(args["weekday"]),
            parse_time(args["time"]),
            parse_zone(args["timezone"]),
        )
        room, members = await self._crew_member(ctx)
        place = await self.directory.place(room)
        caller = place.crew.caller if place.crew else ""
        times = meeting_times(self.clock.now(), count, weekday, at, zone)

        def make(previous: CrewCycle | None) -> CrewCycle:
            # The caller hosts first; the rotation then goes on from cycle to cycle.
            start = previous.rotation if previous else [caller]
            return CrewCycle(
                room_id=room,
                number=0,
                meetings=count,
                weekday=weekday,
                local_time=f"{at:%H:%M}",
                timezone=zone.key,
                rotation=rotation_with(start, members),
                status=ACTIVE,
                created_at=self.clock.now(),
            )

        cycle = await self.store.start_cycle(room, times, make)
        await self._record_state(cycle)
        first = self._when(cycle, times[0])
        return Reply(
            f"Cycle {cycle.number}: {count} meeting{'s' if count > 1 else ''} every "
            f"{WEEKDAYS[weekday].title()} at {at:%H:%M} {zone.key}, from {first}. "
            "Hosting rotates so "
            "everyone practises; I remind you a day and an hour before each meeting, and the last "
            "one opens the retrospective."
        )

    async def host(self, ctx: CommandContext, args: Args) -> Reply:
        room, _ = await self._crew_member(ctx)
        cycle, meeting = await self._next_meeting(room)
        host = await self._assign(cycle, meeting)
        return Reply(
            f"Meeting {meeting.index} of {cycle.meetings}, {self._when(cycle, meeting.at)}: "
            f"hosted by {host}."
        )

    async def rotate(self, ctx: CommandContext, args: Args) -> Reply:
        room, members = await self._crew_member(ctx)
        cycle, meeting = await self._next_meeting(room)
        current = await self._assign(cycle, meeting)

        def passed_on(rotation: list[str], hosted: Counter[str]) -> tuple[list[str], str | None]:
            order = rotation_with(rotation, members)
            if len(order) < 2:
                raise UserError("There is nobody else to pass hosting to yet.")
            # The passer moves to the end of the rotation: they host later, no face lost.
            if current in order:
                order.remove(current)
                order.append(current)
            return order, next_host(order, members, hosted)

        new_host = await self.store.pass_hosting(cycle, meeting.id, passed_on)
        return Reply(
            f"{current} passed hosting on: {new_host} hosts meeting {meeting.index} "
            f"({self._when(cycle, meeting.at)}).",
            mentions=(UserId(str(new_host)),),
        )

    async def _next_meeting(self, room: RoomId) -> tuple[CrewCycle, Meeting]:
        now = self.clock.now()
        cycle = await self.store.current(room)
        if cycle is None or cycle.status != ACTIVE:
            raise UserError("This crew has no cycle running. Set one with `!crew cycle …`.")
        upcoming = [m for m in await self.store.meetings(cycle.id) if m.at > now]
        if not upcoming:
            raise UserError("The cycle's meetings are over; the retrospective is open.")
        return cycle, upcoming[0]

    async def _assign(self, cycle: CrewCycle, meeting: Meeting) -> str:
        """Name the meeting's host once; later changes of membership do not move it,
        unless the host has left the crew."""
        members = await self._members(RoomId(cycle.room_id))

        def chosen(rotation: list[str], hosted: Counter[str]) -> tuple[list[str], str | None]:
            order = rotation_with(rotation, members)
            return order, next_host(order, members, hosted)

        host = await self.store.assign_host(
            cycle, meeting.id, lambda host: host is not None and host in members, chosen
        )
        return host or "nobody yet"

    # -- time passing --------------------------------------------------------------
    async def tick(self) -> None:
        """At most one reminder per meeting per tick, and none that is stale: a day
        reminder whose hour has also come is dropped for the hour reminder."""
        now = self.clock.now()
        for cycle in await self.store.by_status(ACTIVE, RETRO):
            if cycle.status == ACTIVE:
                await self._remind(cycle, now)
            else:
                await self._maybe_close_retro(cycle, now)

    async def _remind(self, cycle: CrewCycle, now: datetime) -> None:
        meetings = await self.store.meetings(cycle.id)
        for meeting in meetings:
            if meeting.at <= now:
                await self._mark(meeting.id, day="skipped", hour="skipped", only_unset=True)
                continue
            if now >= meeting.at - HOUR and meeting.hour_reminder is None:
                await self._mark(meeting.id, day="skipped", only_unset=True)
                await self._send_reminder(cycle, meeting, "within the hour", "hour")
            elif now >= meeting.at - DAY and meeting.day_reminder is None:
                await self._send_reminder(cycle, meeting, "tomorrow", "day")
        last = meetings[-1]
        if now >= last.at:
            await self._open_retro(cycle)

    async def _mark(
        self,
        meeting_id: int,
        day: str | None = None,
        hour: str | None = None,
        only_unset: bool = False,
    ) -> None:
        await self.store.mark_meeting(meeting_id, day, hour, only_unset)

    async def _send_reminder(
        self, cycle: CrewCycle, meeting: Meeting, when: str, which: str
    ) -> None:
        host = await self._assign(cycle, meeting)
        text = (
            f"Reminder: meeting {meeting.index} of {cycle.meetings} is {when}, "
            f"{self._when(cycle, meeting.at)}. Hosting: {host}."
        )
        await self.gateway.send_event(
            RoomId(cycle.room_id),
            EventType.MESSAGE,
            notice(text, (UserId(host),) if host.startswith("@") else ()),
            f"cohost-meeting-{meeting.id}-{which}",
        )
        if which == "day":
            await self._mark(meeting.id, day="sent")
        else:
            await self._mark(meeting.id, hour="sent")
        await self._record_state(cycle)  # which reminders went out survives a lost index

    async def _open_retro(self, cycle: CrewCycle) -> None:
        options = ", ".join(f"{emoji} {choice}" for choice, emoji in CHOICES.items())
        text = (
            f"This is the last meeting of cycle {cycle.number}: time for the retrospective. "
            f"How does the crew go on? React with {options}, or send `!crew retro <choice>`. "
            "Pausing or leaving at a cycle's end costs no face."
        )
        event_id = await self.gateway.send_event(
            RoomId(cycle.room_id), EventType.MESSAGE, notice(text), f"cohost-retro-{cycle.id}"
        )
        await self.store.open_retro(cycle.id, event_id, self.clock.now())
        await self._record_state(cycle)
        log.info("retro_opened", room_id=cycle.room_id, cycle=cycle.number)

    # -- the retrospective ---------------------------------------------------------
    async def retro_answer(self, ctx: CommandContext, args: Args) -> Reply:
        choice = args["choice"].lower()
        if choice not in CHOICES:
            raise UserError("Answer with continue, adjust, split or pause.")
        room, _ = await self._crew_member(ctx)
        cycle = await self.store.current(room)
        if cycle is None or cycle.status != RETRO:
            raise UserError("No retrospective is open in this crew.")
        await self._answer(
            cycle, ctx.message.event_id, ctx.sender, choice, ctx.message.origin_server_ts
        )
        return Reply(f"Noted: {choice}.")

    async def on_reaction(self, reaction: IncomingReaction) -> None:
        room_id, event_id, sender = reaction.room_id, reaction.event_id, reaction.sender
        target, ts = reaction.relates_to, reaction.origin_server_ts
        choice = choice_of(reaction.key)
        if choice is None:
            return
        cycle = await self.store.by_retro_message(target)
        if (
            cycle is None
            or cycle.status != RETRO
            or cycle.room_id != room_id  # only in the crew's own room
            or sender not in await self._members(room_id)
        ):
            log.info("retro_reaction_ignored", room_id=room_id, known=cycle is not None)
            return
        await self._answer(cycle, event_id, sender, choice, ts)

    async def on_redaction(self, redaction: IncomingRedaction) -> None:
        room_id, redacts, sender = redaction.room_id, redaction.redacts, redaction.sender
        event_id, ts = redaction.event_id, redaction.origin_server_ts
        await self.store.withdraw_answer(redacts, sender, room_id, event_id, ts)

    async def _answer(
        self, cycle: CrewCycle, event_id: str, voter: str, choice: str, ts: int
    ) -> None:
        log.info("retro_answered", room_id=cycle.room_id, cycle=cycle.number, choice=choice)
        await self.store.record_answer(
            RetroAnswer(event_id=event_id, cycle_id=cycle.id, voter=voter, choice=choice, ts=ts)
        )
        await self._maybe_close_retro(cycle, self.clock.now())

    async def _maybe_close_retro(self, cycle: CrewCycle, now: datetime) -> None:
        members = await self._members(RoomId(cycle.room_id))
        answers: dict[str, str] = {}

        def decide(row: CrewCycle, given: list[RetroAnswer]) -> tuple[str, str] | None:
            latest: dict[str, str] = {}
            for a in sorted(given, key=lambda a: (a.ts, a.event_id)):
                if a.choice is None:
                    latest.pop(a.voter, None)
                else:
                    latest[a.voter] = a.choice
            answers.update({v: c for v, c in latest.items() if v in members})
            everyone = bool(members) and set(answers) >= members
            due = row.retro_opened_at is not None and now >= row.retro_opened_at + self.retro_window
            if not (everyone or due):
                return None
            outcome = retro_result(answers) if answers else "pause"
            return (PAUSED if outcome == "pause" else ENDED), outcome

        closed = await self.store.close_retro(cycle.id, decide)
        if closed is not None and closed.outcome is not None:
            await self._after_retro(closed, closed.outcome, answers)

    async def _after_retro(self, cycle: CrewCycle, outcome: str, answers: dict[str, str]) -> None:
        room = RoomId(cycle.room_id)
        counted = (
            ", ".join(f"{c}: {n}" for c, n in sorted(Counter(answers.values()).items()))
            or "no answers"
        )
        follow = {
            "continue": "A new cycle starts with the same rhythm.",
            "adjust": "Set the new rhythm with `!crew cycle …` when you are ready.",
            "split": "The caller (or anyone) can call a second crew with `!crew new <name> @…`; "
            "each of you chooses where to go.",
            "pause": "No more reminders until someone sets a new cycle. Thank you all.",
        }[outcome]
        await self.gateway.send_event(
            room,
            EventType.MESSAGE,
            notice(
                f"The retrospective of cycle {cycle.number} chose **{outcome}** "
                f"({counted}). {follow}"
            ),
            f"cohost-retro-outcome-{cycle.id}",
        )
        await self._record_state(cycle)
        if outcome == "continue":
            await self._continue(cycle)

    async def _continue(self, cycle: CrewCycle) -> None:
        zone = ZoneInfo(cycle.timezone)
        at = parse_time(cycle.local_time)
        times = meeting_times(self.clock.now(), cycle.meetings, cycle.weekday, at, zone)

        def same_rhythm(previous: CrewCycle) -> CrewCycle:
            return CrewCycle(
                room_id=previous.room_id,
                number=0,
                meetings=previous.meetings,
                weekday=previous.weekday,
                local_time=previous.local_time,
                timezone=previous.timezone,
                rotation=previous.rotation,
                status=ACTIVE,
                created_at=self.clock.now(),
            )

        new = await self.store.continue_cycle(cycle, times, same_rhythm)
        if new is not None:  # None: continued already
            await self._record_state(new)

    async def forget(self, user: UserId) -> dict[str, int]:
        """Erase a person's answers, turns and place in rotations; the cycles' room
        state is recorded again without them."""
        counts, cycles = await self.store.forget(user)
        for cycle in cycles:
            await self._record_state(cycle)
        return counts

    async def _record_state(self, cycle: CrewCycle) -> None:
        """The cycle in the crew room's state, as it stands in the database."""
        row, meetings = await self.store.with_meetings(cycle.id)
        record = CycleRecord(
            meetings=row.meetings,
            weekday=WEEKDAYS[row.weekday],
            time=row.local_time,
            timezone=row.timezone,
            status=row.status,
            outcome=row.outcome,
            rotation=row.rotation,
            schedule=[
                MeetingRecord(
                    at=m.at, host=m.host, day_reminder=m.day_reminder, hour_reminder=m.hour_reminder
                )
                for m in meetings
            ],
            retro=row.retro_event_id,
            retro_opened_at=row.retro_opened_at,
            created_at=row.created_at,
        )
        await self.gateway.put_state(
            RoomId(cycle.room_id), CYCLE_STATE, str(cycle.number), record.content()
        )

    # -- crew size -------------------------------------------------------------------
    async def on_member(self, event: IncomingMember) -> None:
        if event.membership != Membership.JOIN:
            return
        place = await self.directory.place(event.room_id)
        if place.crew is None or place.crew.released:
            return
        members = await self._members(event.room_id)
        if len(members) <= CREW_SIZE_LIMIT:
            return
        if await self.notices.first_time(f"crew-size:{event.room_id}"):
            await self.gateway.send_event(
                event.room_id,
                EventType.MESSAGE,
                notice(
                    f"**{place.crew.name}** now has {len(members)} members. Crews work best with "
                    "3–8 people; consider splitting in two at the end of the cycle "
                    "(`!crew new <name> @…` calls the second crew)."
                ),
                f"cohost-crew-size-{event.room_id}",
            )
