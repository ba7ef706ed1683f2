"""Get-to-know-you rounds: members opt in; a round groups them in twos and threes
(handlers.rounds.grouping: new people first, crewmates apart), opens a small encrypted
room per group with a prompt for a first conversation, and, where everyone of a group
says they would meet again (`!rounds again`), suggests calling a crew together."""

from __future__ import annotations

from datetime import datetime, time
from functools import partial

import structlog
from pydantic import BaseModel

from handlers.community.directory import Directory
from handlers.community.rebuild import Rebuild
from handlers.community.rooms import invite_once, room_maker
from handlers.community.shape import RoomPlan
from handlers.community.state import CONGREGATION_SPACE
from handlers.framework.clock import Clock
from handlers.framework.errors import MatrixError, UserError
from handlers.framework.language import _, _n, speaking
from handlers.framework.matrix_names import JoinRule
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.patterns import server_of
from handlers.framework.speech import ask_to_act
from handlers.framework.types import RoomId, UserId
from handlers.rhythm.arithmetic import WEEKLY, meeting_times
from handlers.rounds.grouping import groups, pairs_of
from handlers.rounds.schema import ROUND_GROUP, RoundGroupRecord, RoundsRecord
from storage.models import Congregation, RoundGroup, RoundRhythm
from storage.rounds import RoundStore

log = structlog.get_logger(__name__)

OPEN = "round_room"
ROUND_TIME = time(10, 0)  # in the congregation's zone
ROUND_ROOM = "round"  # a room's kind in cohost's marker


class Opening(BaseModel):
    """Opening one group's room (the group: its id)."""

    group: int


class Rounds:
    def __init__(
        self, directory: Directory, store: RoundStore, runner: OperationRunner, clock: Clock
    ) -> None:
        self.directory = directory
        self.gateway = directory.gateway
        self.store = store
        self.runner = runner
        self.clock = clock

    # -- who takes part ----------------------------------------------------------------
    async def join(self, space: RoomId, person: UserId) -> None:
        await self.store.join(space, person)
        await self._record(space)

    async def leave(self, space: RoomId, person: UserId) -> None:
        await self.store.leave(space, person)
        await self._record(space)

    async def forget(self, person: UserId) -> dict[str, int]:
        """`!forget me`: the database's rows, and the person out of the records in
        Matrix too (so that `cohost resync` does not bring them back)."""
        spaces = await self.store.spaces_of(person)
        rooms = {g.id for g in await self.store.groups_with(person)}
        counts = await self.store.forget(person)
        for space in spaces:
            await self._record(RoomId(space))
        for group_id in rooms:
            group = await self.store.group(group_id)
            if group is not None:
                await self._record_group(group)
        return counts

    # -- the records in Matrix -------------------------------------------------------
    async def _record(self, space: RoomId) -> None:
        rhythm = await self.store.rhythm(space)
        record = RoundsRecord(
            taking_part=await self.store.members(space),
            weekday=rhythm.weekday if rhythm else None,
            pattern=rhythm.pattern if rhythm else None,
            next_at=rhythm.next_at if rhythm else None,
        )
        await self._write(space, record)

    async def _record_group(self, group: RoundGroup) -> None:
        if group.room_id is not None:
            await self._write(RoomId(group.room_id), group_record(group))

    async def _write(self, room: RoomId, record: RoundsRecord | RoundGroupRecord) -> None:
        """The database stays what counts here; a record that cannot be written now
        (the homeserver away) is written again with the next change."""
        try:
            await self.directory.shared.write(room, record)
        except MatrixError as err:
            log.warning("rounds_record_not_written", room_id=room, error=err.errcode)

    # -- rounds ------------------------------------------------------------------------
    async def hold(self, congregation: Congregation, key: str) -> tuple[int, int]:
        """A round now: (its number, how many groups). Only members still in the
        congregation's space take part; crewmates are kept apart while others are left."""
        space = RoomId(congregation.space_id)
        present = await self.gateway.joined_members(space)
        taking_part = [m for m in await self.store.members(space) if m in present]
        if len(taking_part) < 2:
            raise UserError(
                _("A round needs two members who joined (`!rounds join`); there are fewer.")
            )
        met = {p for g in await self.store.groups(space) for p in pairs_of(g.members)}
        apart = set()
        for crew in await self.directory.index.crews(space):
            if not crew.released:
                apart |= pairs_of(await self.directory.people_in(RoomId(crew.room_id)))
        number_hint = len({g.number for g in await self.store.groups(space)}) + 1
        grouping = groups(taking_part, met, apart, f"{space}:{number_hint}")
        number, rows = await self.store.add_round(space, grouping, self.clock.now())
        for row in rows:
            await self.runner.start(f"{key}:{row.id}", OPEN, Opening(group=row.id))
        return number, len(rows)

    async def every(
        self, congregation: Congregation, weekday: int, pattern: str | None
    ) -> datetime | None:
        """Rounds by themselves, at ten in the congregation's zone on that weekday
        (every week, or every other); None stops them. The first one's time."""
        space = RoomId(congregation.space_id)
        if pattern is None:
            await self.store.set_rhythm(space, weekday, WEEKLY, None)
            await self._record(space)
            return None
        first = await self._next(space, weekday, WEEKLY, self.clock.now())  # the next one
        await self.store.set_rhythm(space, weekday, pattern, first)
        await self._record(space)
        return first

    async def _next(self, space: RoomId, weekday: int, pattern: str, after: datetime) -> datetime:
        zone = await self.directory.zone_of(space)
        [at] = meeting_times(after, 1, weekday, ROUND_TIME, zone, pattern)
        return at

    async def tick(self) -> None:
        """A round for each congregation whose rhythm is due, once per date (the next
        date is set before the round is held: a crash skips a round, never doubles it)."""
        now = self.clock.now()
        for rhythm in await self.store.due(now):
            space = RoomId(rhythm.space_id)
            then = await self._next(space, rhythm.weekday, WEEKLY, max(now, rhythm.next_at))
            if rhythm.pattern != WEEKLY:  # every other week: two weeks on from this one
                then = await self._next(space, rhythm.weekday, WEEKLY, then)
            if not await self.store.move_on(space, rhythm.next_at, then):
                continue
            await self._record(space)
            place = await self.directory.place(space)
            if place.congregation is None or place.congregation.released:
                continue
            with speaking(await self.directory.language_of(space)):
                try:
                    await self.hold(place.congregation, f"round-{space}-{rhythm.next_at:%Y%m%d}")
                except UserError:
                    log.info("round_skipped", space=space)  # fewer than two take part

    async def open_room(self, run: Run[Opening]) -> None:
        group = await self.store.group(run.params.group)
        if group is None or not group.members:
            return
        people = [UserId(m) for m in group.members]
        make = await room_maker(run, self.gateway, people, server_of(self.gateway.user_id))
        plan = RoomPlan(
            name=_("Round {number}", number=group.number),
            topic=_("A first conversation: get to know each other, no crew asked of anyone."),
            join_rule=JoinRule.INVITE,
            encrypted=True,
            state=[
                *make.marker(ROUND_ROOM, "room", congregation=group.space_id),
                (ROUND_GROUP, "", group_record(group).content()),
            ],
        )
        room = await make.create("room", plan)
        await self.store.set_room(group.id, room)
        for person in people:
            await run.step(f"invite:{person}", partial(invite_once, self.gateway, room, person))
        prompt = _n(
            "Welcome to round {number}: {count} person, to get to know each other. Meet "
            "within the week, here or in person: what brought you to the congregation, and "
            "what would you want from a crew? If you would like to meet again, each of you "
            "says `!rounds again` here.",
            "Welcome to round {number}: {count} people, to get to know each other. Meet "
            "within the week, here or in person: what brought you to the congregation, and "
            "what would you want from a crew? If you would like to meet again, each of you "
            "says `!rounds again` here.",
            len(people),
            number=group.number,
        )
        told = partial(ask_to_act, self.gateway, room, prompt, f"cohost-round-{group.id}", people)
        await run.step("told", told)

    async def opening_failed(self, run: Run[Opening], reason: str) -> None:
        return None  # the group keeps its place; the hosts may hold another round

    async def again(self, room: RoomId, person: UserId) -> str:
        group = await self.store.by_room(room)
        if group is None or person not in group.members:
            raise UserError(_("Send `!rounds again` in the room of a round you took part in."))
        group, everyone = await self.store.would_meet_again(group.id, person)
        await self._record_group(group)
        if everyone:
            return _(
                "You all would meet again: call a crew together with `!crew new <name> @…` "
                "in your congregation's Lobby, if you like."
            )
        return _("Noted: you would meet again. When everyone here says so, I say it too.")


def group_record(group: RoundGroup) -> RoundGroupRecord:
    return RoundGroupRecord(
        congregation=group.space_id,
        number=group.number,
        members=list(group.members),
        again=list(group.again),
        suggested=group.suggested,
        created_at=group.created_at,
    )


async def rebuild_rounds(rebuild: Rebuild) -> None:
    """`cohost resync`: who takes part and the rhythm, from each congregation's record;
    the groups met, from their rooms' records (each only as this cohost wrote it)."""
    members: dict[str, list[str]] = {}
    rhythms: list[RoundRhythm] = []
    for space in rebuild.rooms_of(CONGREGATION_SPACE):
        record = await rebuild.facts.own(space, RoundsRecord)
        if record is None:
            continue
        members[space] = record.taking_part
        if record.next_at is not None and record.weekday is not None and record.pattern:
            rhythms.append(
                RoundRhythm(
                    space_id=space,
                    weekday=record.weekday,
                    pattern=record.pattern,
                    next_at=record.next_at,
                )
            )
    found: list[RoundGroup] = []
    for room in rebuild.rooms_of(ROUND_ROOM):
        group = await rebuild.facts.own(room, RoundGroupRecord)
        if group is None:
            continue
        found.append(
            RoundGroup(
                space_id=group.congregation,
                number=group.number,
                members=group.members,
                again=group.again,
                room_id=room,
                suggested=group.suggested,
                created_at=group.created_at,
            )
        )
    rebuild.counts["round groups"] = await rebuild.stores.rounds.restore(members, rhythms, found)
