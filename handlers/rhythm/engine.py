"""Crew life: cycles of meetings in a rhythm, a host named in rotation, reminders a day
and an hour before, and a retrospective at the last meeting (continue, adjust, split
or pause). Times are computed as local wall-clock times in the crew's time zone, so
they stay right across daylight-saving changes. In a network's crew one cohost keeps
the rhythm, and the others take over when it lets a reminder go unsent."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from handlers.community.directory import Directory
from handlers.community.rebuild import Rebuild
from handlers.community.state import NETWORK_CREW
from handlers.framework.arguments import parse_time
from handlers.framework.clock import Clock
from handlers.framework.errors import UserError
from handlers.framework.fact import number_key
from handlers.framework.gateway import MatrixGateway
from handlers.framework.language import N_, _, speaking
from handlers.framework.matrix_names import RELATES_TO, EventType, Membership, Poll
from handlers.framework.speech import ask_to_act, offer_reactions, tell
from handlers.framework.times import at
from handlers.framework.turns import turn_of
from handlers.framework.types import (
    IncomingMember,
    IncomingPollResponse,
    IncomingReaction,
    IncomingRedaction,
    RoomId,
    UserId,
)
from handlers.rhythm.arithmetic import (
    CHOICES,
    CREW_SIZE_LIMIT,
    DAY,
    HOUR,
    WEEKLY,
    choice_of,
    meeting_times,
    next_host,
    overdue_since,
    retro_result,
    rotation_with,
)
from handlers.rhythm.schema import CycleRecord
from storage.decisions import NoticeStore
from storage.models import Crew, CrewCycle, Meeting, RetroAnswer
from storage.rhythm import ACTIVE, ENDED, PAUSED, RETRO, RhythmStore

log = structlog.get_logger(__name__)


# A retrospective's choices as a poll names them (`!crew retro` takes the English words).
CHOICE_NAMES = {
    "continue": N_("continue"),
    "adjust": N_("adjust"),
    "split": N_("split"),
    "pause": N_("pause"),
}


def retro_poll() -> dict[str, Any]:
    """The retrospective as a poll (MSC3381): one answer each, results shown."""
    question = _("How does the crew go on?")
    answers = [
        {"id": choice, Poll.TEXT: f"{emoji} {_(CHOICE_NAMES[choice])}"}
        for choice, emoji in CHOICES.items()
    ]
    fallback = "\n".join([question, *(f"{i}. {a[Poll.TEXT]}" for i, a in enumerate(answers, 1))])
    return {
        Poll.START: {
            "kind": Poll.DISCLOSED,
            "max_selections": 1,
            "question": {Poll.TEXT: question},
            "answers": answers,
        },
        Poll.TEXT: fallback,
    }


def retro_poll_end(poll: str, outcome: str) -> dict[str, Any]:
    text = _("The retrospective chose: {outcome}", outcome=_(CHOICE_NAMES[outcome]))
    return {
        RELATES_TO: {"rel_type": Poll.REFERENCE, "event_id": poll},
        Poll.END: {},
        Poll.TEXT: text,
    }


class Rhythm:
    def __init__(
        self,
        directory: Directory,
        store: RhythmStore,
        notices: NoticeStore,
        clock: Clock,
        retro_window: timedelta,
        takeover_after: timedelta = timedelta(minutes=1),
    ) -> None:
        self.takeover_after = takeover_after
        self.directory = directory
        self.gateway: MatrixGateway = directory.gateway
        self.store = store
        self.notices = notices
        self.clock = clock
        self.retro_window = retro_window

    async def members(self, room: RoomId) -> set[str]:
        return set(await self.directory.people_in(room))

    def when(self, cycle: CrewCycle, moment: datetime) -> str:
        """A meeting's time in the crew's own zone, its abbreviation that day included."""
        return at(moment, ZoneInfo(cycle.timezone))

    async def next_meeting(self, room: RoomId) -> tuple[CrewCycle, Meeting]:
        now = self.clock.now()
        cycle = await self.store.current(room)
        if cycle is None or cycle.status != ACTIVE:
            raise UserError(_("This crew has no cycle running. Set one with `!crew cycle …`."))
        upcoming = [m for m in await self.store.meetings(cycle.id) if m.at > now]
        if not upcoming:
            raise UserError(_("The cycle's meetings are over; the retrospective is open."))
        return cycle, upcoming[0]

    async def host_of(self, cycle: CrewCycle, meeting: Meeting) -> str:
        """Name the meeting's host once; later changes of membership do not move it,
        unless the host has left the crew."""
        members = await self.members(RoomId(cycle.room_id))

        def chosen(rotation: list[str], hosted: Counter[str]) -> tuple[list[str], str | None]:
            order = rotation_with(rotation, members)
            return order, next_host(order, members, hosted)

        host = await self.store.assign_host(
            cycle, meeting.id, lambda host: host is not None and host in members, chosen
        )
        return host or _("nobody yet")

    async def start_cycle(
        self,
        crew: Crew,
        members: set[str],
        count: int,
        weekday: int,
        at: time,
        zone: ZoneInfo,
        pattern: str = WEEKLY,
    ) -> tuple[CrewCycle, datetime]:
        """A new cycle for the crew (the running one ends); with its first meeting."""
        room = crew.room_id
        times = meeting_times(self.clock.now(), count, weekday, at, zone, pattern)

        def make(previous: CrewCycle | None) -> CrewCycle:
            # The caller hosts first; the rotation then goes on from cycle to cycle.
            start = previous.rotation if previous else [crew.caller]
            return CrewCycle(
                room_id=room,
                number=0,
                meetings=count,
                weekday=weekday,
                local_time=f"{at:%H:%M}",
                timezone=zone.key,
                pattern=pattern,
                rotation=rotation_with(start, members),
                status=ACTIVE,
                created_at=self.clock.now(),
            )

        cycle = await self.store.start_cycle(room, times, make)
        await self._record_state(cycle)
        return cycle, times[0]

    async def pass_hosting(
        self, cycle: CrewCycle, meeting: Meeting, members: set[str]
    ) -> tuple[str, str | None]:
        """The meeting's host passes it on: (who passed, who hosts now)."""
        current = await self.host_of(cycle, meeting)

        def passed_on(rotation: list[str], hosted: Counter[str]) -> tuple[list[str], str | None]:
            order = rotation_with(rotation, members)
            if len(order) < 2:
                raise UserError(_("There is nobody else to pass hosting to yet."))
            # The passer moves to the end of the rotation: they host later, no face lost.
            if current in order:
                order.remove(current)
                order.append(current)
            return order, next_host(order, members, hosted)

        return current, await self.store.pass_hosting(cycle, meeting.id, passed_on)

    async def answer_retro(
        self, room: RoomId, event_id: str, voter: str, choice: str, ts: int
    ) -> None:
        cycle = await self.store.current(room)
        if cycle is None or cycle.status != RETRO:
            raise UserError(_("No retrospective is open in this crew."))
        await self._answer(cycle, event_id, voter, choice, ts)

    # -- time passing --------------------------------------------------------------
    async def tick(self) -> None:
        """At most one reminder per meeting per tick, and none that is stale: a day
        reminder whose hour has also come is dropped for the hour reminder."""
        now = self.clock.now()
        # Only a network's crews are shared: one index read, not one per cycle.
        shared = set(await self.directory.index.rooms_of_kind(NETWORK_CREW))
        for cycle in await self.store.by_status(ACTIVE, RETRO):
            if cycle.room_id in shared and not await self.keeps(RoomId(cycle.room_id)):
                await self.store.hand_over(cycle.id)  # another of the network's cohosts
                continue
            with speaking(await self.directory.language_of(RoomId(cycle.room_id))):
                if cycle.status == ACTIVE:
                    await self._remind(cycle, now)
                else:
                    await self._maybe_close_retro(cycle, now)
        await self._take_over_where_overdue(shared, now)

    # -- a network's crew: one cohost keeps the rhythm -----------------------------------
    async def keeps(self, room: RoomId) -> bool:
        """Whether this cohost keeps a crew's rhythm: always for a congregation's crew;
        for a network's crew, when it wrote the crew's latest cycle or, before any, when
        it made the crew's room."""
        place = await self.directory.place(room)
        if place.room is None or place.room.kind != NETWORK_CREW:
            return True
        return await self.keeper(room) == self.gateway.user_id

    async def keeper(self, room: RoomId) -> UserId | None:
        """Who keeps a network crew's rhythm: the writer of its latest cycle or, before
        any, the room's maker."""
        latest = await self.directory.shared.latest(room, CycleRecord)
        if latest is not None:
            return latest[0]
        create = await self.gateway.state_event(room, EventType.CREATE)
        sender = create.get("sender") if create is not None else None
        return UserId(sender) if isinstance(sender, str) else None

    async def _take_over_where_overdue(self, shared: set[str], now: datetime) -> None:
        """A network crew's keeper that lets a reminder go unsent is taken to be gone:
        the other cohosts take over in turns, each waiting for those before it, from
        the cycle as the keeper last recorded it. The first to act records the cycle,
        and so keeps it; a keeper that comes back finds that and hands over."""
        me = self.gateway.user_id
        for room in sorted(shared):
            found = await self.directory.shared.latest(RoomId(room), CycleRecord)
            if found is None or found[0] == me or found[2].status != ACTIVE:
                continue
            keeper, number, record = found
            due = overdue_since(record.schedule, now)
            if due is not None and record.created_at is not None:
                due = max(due, record.created_at)  # the keeper's time starts with the cycle
            cohosts = await self.directory.cohosts_in(RoomId(room)) - {keeper}
            rank = turn_of(f"{room}:{number}", cohosts, me)
            if due is None or rank is None or now < due + (rank + 1) * self.takeover_after:
                continue
            cycle = await self.store.take_over(*record.cycle(room, number))
            log.info("rhythm_taken_over", room_id=room, cycle=number)
            with speaking(await self.directory.language_of(RoomId(room))):
                await self._remind(cycle, now)

    async def _remind(self, cycle: CrewCycle, now: datetime) -> None:
        meetings = await self.store.meetings(cycle.id)
        for meeting in meetings:
            if meeting.at <= now:
                await self._mark(meeting.id, day="skipped", hour="skipped", only_unset=True)
                continue
            if now >= meeting.at - HOUR and meeting.hour_reminder is None:
                await self._mark(meeting.id, day="skipped", only_unset=True)
                await self._send_reminder(cycle, meeting, _("within the hour"), "hour")
            elif now >= meeting.at - DAY and meeting.day_reminder is None:
                await self._send_reminder(cycle, meeting, _("tomorrow"), "day")
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
        host = await self.host_of(cycle, meeting)
        text = _(
            "Reminder: meeting {index} of {meetings} is {when}, {at}. Hosting: {host}.",
            index=meeting.index,
            meetings=cycle.meetings,
            when=when,
            at=self.when(cycle, meeting.at),
            host=host,
        )
        # The host is asked to host, and the crew to come: each of them is notified.
        crew = sorted(await self.members(RoomId(cycle.room_id)))
        asked = [UserId(host)] if host.startswith("@") else []
        asked += [UserId(m) for m in crew if m != host]
        await ask_to_act(
            self.gateway, RoomId(cycle.room_id), text, f"cohost-meeting-{meeting.id}-{which}", asked
        )
        if which == "day":
            await self._mark(meeting.id, day="sent")
        else:
            await self._mark(meeting.id, hour="sent")
        await self._record_state(cycle)  # which reminders went out survives a lost index

    async def _open_retro(self, cycle: CrewCycle) -> None:
        options = ", ".join(f"{emoji} `{choice}`" for choice, emoji in CHOICES.items())
        text = _(
            "This is the last meeting of cycle {number}: time for the "
            "retrospective. How does the crew go on? React with {options}, or send "
            "`!crew retro <choice>`. Pausing or leaving at a cycle's end costs no "
            "face.",
            number=cycle.number,
            options=options,
        )
        crew = [UserId(m) for m in sorted(await self.members(RoomId(cycle.room_id)))]
        event_id = await ask_to_act(
            self.gateway, RoomId(cycle.room_id), text, f"cohost-retro-{cycle.id}", crew
        )
        await self.store.open_retro(cycle.id, event_id, self.clock.now())
        await self._record_state(cycle)
        # One click to answer; cohosts' reactions never count (they are not members).
        await offer_reactions(self.gateway, RoomId(cycle.room_id), event_id, CHOICES)
        poll = await self.gateway.send_event(
            RoomId(cycle.room_id), Poll.START, retro_poll(), f"cohost-retro-poll-{cycle.id}"
        )
        await self.store.set_retro_poll(cycle.id, poll)
        await self._record_state(cycle)
        log.info("retro_opened", room_id=cycle.room_id, cycle=cycle.number)

    # -- the retrospective ---------------------------------------------------------
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
            or sender not in await self.members(room_id)
        ):
            log.info("retro_reaction_ignored", room_id=room_id, known=cycle is not None)
            return
        await self._answer(cycle, event_id, sender, choice, ts)

    async def on_poll_response(self, response: IncomingPollResponse) -> None:
        """An answer given in the retrospective's poll counts as a reaction would: a
        member's, in the crew's own room, the latest one standing."""
        choice = next((a for a in response.answers if a in CHOICES), None)
        cycle = await self.store.by_retro_message(response.poll)
        if (
            choice is None
            or cycle is None
            or cycle.retro_poll_id != response.poll
            or cycle.status != RETRO
            or cycle.room_id != response.room_id
            or response.sender not in await self.members(response.room_id)
        ):
            log.info("retro_poll_answer_ignored", room_id=response.room_id)
            return
        await self._answer(
            cycle, response.event_id, response.sender, choice, response.origin_server_ts
        )

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
        members = await self.members(RoomId(cycle.room_id))
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
        counted = ", ".join(
            f"`{c}`: {n}" for c, n in sorted(Counter(answers.values()).items())
        ) or _("no answers")
        follow = {
            "continue": _("A new cycle starts with the same rhythm."),
            "adjust": _("Set the new rhythm with `!crew cycle …` when you are ready."),
            "split": _(
                "The caller (or anyone) can call a second crew with `!crew new <name> "
                "@…`; each of you chooses where to go."
            ),
            "pause": _("No more reminders until someone sets a new cycle. Thank you all."),
        }[outcome]
        await tell(
            self.gateway,
            room,
            _(
                "The retrospective of cycle {number} chose **{outcome}** ({counted}). {follow}",
                number=cycle.number,
                outcome=outcome,
                counted=counted,
                follow=follow,
            ),
            f"cohost-retro-outcome-{cycle.id}",
        )
        if cycle.retro_poll_id:  # the poll ends with the outcome, as Element shows it
            await self.gateway.send_event(
                room,
                Poll.END,
                retro_poll_end(cycle.retro_poll_id, outcome),
                f"cohost-retro-poll-end-{cycle.id}",
            )
        await self._record_state(cycle)
        if outcome == "continue":
            await self._continue(cycle)

    async def _continue(self, cycle: CrewCycle) -> None:
        zone = ZoneInfo(cycle.timezone)
        at = parse_time(cycle.local_time)
        times = meeting_times(
            self.clock.now(), cycle.meetings, cycle.weekday, at, zone, cycle.pattern or WEEKLY
        )

        def same_rhythm(previous: CrewCycle) -> CrewCycle:
            return CrewCycle(
                room_id=previous.room_id,
                number=0,
                meetings=previous.meetings,
                weekday=previous.weekday,
                local_time=previous.local_time,
                timezone=previous.timezone,
                pattern=previous.pattern,
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
        await self.directory.shared.write(
            RoomId(cycle.room_id), CycleRecord.of(row, meetings), str(cycle.number)
        )

    # -- crew size -------------------------------------------------------------------
    async def on_member(self, event: IncomingMember) -> None:
        if event.membership != Membership.JOIN:
            return
        place = await self.directory.place(event.room_id)
        if place.crew is None or place.crew.released:
            return
        members = await self.members(event.room_id)
        if len(members) <= CREW_SIZE_LIMIT:
            return
        if await self.notices.first_time(f"crew-size:{event.room_id}"):
            await tell(
                self.gateway,
                event.room_id,
                _(
                    "**{name}** now has {count} members. Crews work best with 3–8 people; "
                    "consider splitting in two at the end of the cycle (`!crew new <name> "
                    "@…` calls the second crew).",
                    name=place.crew.name,
                    count=len(members),
                ),
                f"cohost-crew-size-{event.room_id}",
            )


async def rebuild_cycles(rebuild: Rebuild) -> None:
    """`cohost resync`: each crew's cycles, with the schedule their records keep."""
    cycles = []
    for room in rebuild.rooms:
        for key, record in (await rebuild.facts.all(room, CycleRecord)).items():
            number = number_key(key)
            if number is None or not record.schedule:
                continue  # recorded before cycles kept their schedule in state
            try:
                cycles.append(record.cycle(room, number))
            except UserError:
                log.warning("cycle_record_unreadable", room_id=room, number=number)
    rebuild.counts["cycles"] = await rebuild.stores.rhythm.restore(cycles)
