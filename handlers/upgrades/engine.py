"""A room cohost hosts, upgraded by its founders (a tombstone naming its successor):
cohost joins the successor, writes its facts there, moves the room's place in the
congregation's space and in its index, tells the room, and leaves the old one.

Only the successor the old room's own tombstone names, and whose creation names the
old room as its predecessor, is followed. cohost needs the power to write its facts
there: Synapse gives an upgraded room's creators every power, and nobody else more
than they had; cohost, a creator of the old room, is one in the new room only if the
upgrade named it (`additional_creators`), otherwise the founders must give it level
100. Until then it asks them once and waits. Spaces and the network's rooms are not
followed yet: what links to them (every crew's congregation) would move too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog
from pydantic import BaseModel

from handlers.community.directory import Directory
from handlers.community.facts import CongregationFacts, CrewFacts, SharedFacts
from handlers.community.shape import HOST_LEVEL
from handlers.community.state import ANNOUNCEMENTS, CREW_ROOM, HOSTS, LOBBY, PREFIX
from handlers.framework.clock import Clock
from handlers.framework.errors import MatrixError, NotYet, UserError
from handlers.framework.language import _
from handlers.framework.matrix_names import EventType
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.patterns import server_of
from handlers.framework.power import own_level
from handlers.framework.speech import ask_to_act, tell
from handlers.framework.types import IncomingTombstone, RoomId, UserId
from storage.moves import RoomMoves

log = structlog.get_logger(__name__)

FOLLOW = "follow_upgrade"
FOLLOWED = (CREW_ROOM, LOBBY, ANNOUNCEMENTS, HOSTS)
# How often cohost looks again whether the founders gave it the power it asked for.
POWER_WAIT = timedelta(minutes=1)
# After this, waiting for an invitation or for power is given up.
GIVE_UP = timedelta(days=2)

Moved = Callable[[RoomId, RoomId], Awaitable[None]]


class Following(BaseModel):
    """Following a room its founders upgraded into its successor."""

    old: RoomId
    new: RoomId
    by: UserId
    since: datetime | None = None  # when cohost saw the tombstone


class Upgrades:
    def __init__(
        self,
        directory: Directory,
        facts: SharedFacts,
        moves: RoomMoves,
        runner: OperationRunner,
        clock: Clock,
    ) -> None:
        self.clock = clock
        self.directory = directory
        self.gateway = directory.gateway
        self.facts = facts
        self.moves = moves
        self.runner = runner
        # What other features carry over once the room has moved (open proposals).
        self.moved: list[Moved] = []

    async def on_tombstone(self, event: IncomingTombstone) -> None:
        place = await self.directory.place(event.room_id)
        room, congregation = place.room, place.congregation
        if room is None or room.released or congregation is None or congregation.released:
            return
        if room.kind not in FOLLOWED:
            log.info("room_upgrade_not_followed", room_id=event.room_id, kind=room.kind)
            return
        log.info("room_upgrade_seen", room_id=event.room_id, replacement=event.replacement)
        await self.runner.start(
            f"follow-{event.room_id}",
            FOLLOW,
            Following(
                old=event.room_id, new=event.replacement, by=event.sender, since=self.clock.now()
            ),
        )

    async def follow(self, run: Run[Following]) -> None:
        old, new, by = run.params.old, run.params.new, run.params.by
        via = sorted({server_of(by), server_of(self.gateway.user_id)})
        since = run.params.since
        if since and self.clock.now() - since > GIVE_UP:
            # Never invited, or never given the power: the old room stays cohost's.
            raise UserError(_("the upgraded room was not opened to cohost in time"))
        await run.step("join", lambda: self._join(new, via))
        await run.step("predecessor", lambda: self._check_predecessor(old, new))
        if not await self._power(new):
            await run.step(
                "asked",
                lambda: ask_to_act(
                    self.gateway,
                    new,
                    _(
                        "{by}, I followed this room's upgrade, but I cannot keep its records "
                        "here without power: give me level {level} (Room settings → Roles & "
                        "Permissions), and I carry on here.",
                        by=by,
                        level=HOST_LEVEL,
                    ),
                    f"cohost-upgrade-power-{new}",
                    (by,),
                ),
            )
            raise NotYet(_("waiting for power in the upgraded room"), POWER_WAIT.total_seconds())
        await run.step("facts", lambda: self._copy_facts(old, new))
        await run.step("space", lambda: self._move_in_space(old, new))
        await run.step("index", lambda: self.moves.move(old, new))
        for carry_over in self.moved:
            await carry_over(old, new)
        await run.step(
            "tell",
            lambda: tell(
                self.gateway,
                new,
                _(
                    "This room continues the one its founders upgraded: I followed it, and "
                    "everything I keep for it (its place in the congregation, open "
                    "proposals, the crew's cycle) goes on here. Send `!help` to see what "
                    "you can do."
                ),
                f"cohost-upgraded-{new}",
            ),
        )
        await run.step("leave", lambda: self.gateway.leave_room(old))
        log.info("room_upgrade_followed", room_id=old, replacement=new)

    async def _join(self, new: RoomId, via: list[str]) -> None:
        """A successor that takes knocks or invitations (a crew's) is joined once its
        founders invite cohost, as Element's upgrade invites the old room's members."""
        try:
            await self.gateway.join_room(new, via)
        except MatrixError as err:
            if err.errcode != "M_FORBIDDEN":
                raise
            raise NotYet(_("waiting for an invitation into the upgraded room"), 10) from err

    async def _check_predecessor(self, old: RoomId, new: RoomId) -> None:
        create = await self.gateway.state_event(new, EventType.CREATE)
        content = (create or {}).get("content")
        predecessor = content.get("predecessor") if isinstance(content, dict) else None
        if not isinstance(predecessor, dict) or predecessor.get("room_id") != old:
            await self.gateway.leave_room(new)
            raise UserError(_("the room named by the tombstone does not continue this one"))

    async def _power(self, room: RoomId) -> bool:
        """Whether cohost may write state there as it did before: a creator, or level 100."""
        return await own_level(self.gateway, room) >= HOST_LEVEL

    async def _copy_facts(self, old: RoomId, new: RoomId) -> None:
        """Every fact cohost wrote in the old room, written again in the new one."""
        for event in await self.gateway.room_state(old):
            kind, key, content = event.get("type"), event.get("state_key"), event.get("content")
            if not isinstance(kind, str) or not kind.startswith(PREFIX) or not content:
                continue
            if event.get("sender") == self.gateway.user_id and isinstance(key, str):
                await self.gateway.put_state(new, kind, key, content)

    async def _move_in_space(self, old: RoomId, new: RoomId) -> None:
        """The congregation's space names the new room where it named the old one."""
        place = await self.directory.place(old)
        congregation = place.congregation
        assert congregation is not None and place.room is not None
        space = RoomId(congregation.space_id)
        child = await self.gateway.get_state(space, EventType.SPACE_CHILD, old)
        if child:
            await self.gateway.put_state(space, EventType.SPACE_CHILD, new, child)
            await self.gateway.put_state(space, EventType.SPACE_CHILD, old, {})
        parent = await self.gateway.get_state(old, EventType.SPACE_PARENT, space)
        if parent:
            await self.gateway.put_state(new, EventType.SPACE_PARENT, space, parent)
        if place.room.kind == CREW_ROOM:
            crew = await self.facts.get(space, CrewFacts, old)
            if crew is not None:
                await self.facts.write(space, crew, new)
                await self.facts.remove(space, CrewFacts, old)
            return

        def renamed(facts: CongregationFacts) -> None:
            facts.rooms = {k: (new if v == old else v) for k, v in facts.rooms.items()}

        await self.directory.update_facts(congregation, renamed)

    async def report_failure(self, run: Run[Following], reason: str) -> None:
        log.warning("room_upgrade_not_followed", room_id=run.params.old, reason=reason)
