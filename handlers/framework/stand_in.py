"""Nobody left without an answer in a room several cohosts share.

There one cohost answers each command (the network says which: a crew's keeper, the
sender's own cohost). When that one is gone (its homeserver down, its process
stopped), the others stand in: each waits for its place in the turn order, and
answers only if by then no cohost has. Whether one has is seen in the room: a notice
from a cohost that replies to the command settles the wait. The answering cohost
itself, catching up on a command older than a turn (it was away), waits one turn too,
so that a stand-in's answer that came meanwhile is seen before it answers again.

A wait is a persisted operation: a restart resumes it. It carries the command's text
until it is settled, then forgets it; a stand-in gives up on commands older than
GIVE_UP (an answer hours late would confuse more than it helps)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from pydantic import BaseModel, Field

from handlers.framework.clock import Clock
from handlers.framework.errors import NotYet
from handlers.framework.language import _
from handlers.framework.matrix_names import IN_REPLY_TO, MENTIONS, RELATES_TO
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.types import EventId, IncomingMessage, RoomId, UserId

log = structlog.get_logger(__name__)

STAND_IN = "stand_in"
# What of a command's content says which people it names (handlers.framework.pills).
PICKED = ("format", "formatted_body", MENTIONS)
# Long enough that an answering cohost slowed by rate limits is rarely taken for gone
# (it would then be answered for, and a command that acts would act twice).
TURN = timedelta(minutes=1)
GIVE_UP = timedelta(hours=1)
KEPT = timedelta(days=1)  # a settled wait's record (its text already forgotten)

# Answers a command on behalf of the cohost that did not: with the reply worked out
# when it arrived (a vote every cohost counted), or by running it now.
Answer = Callable[[IncomingMessage, str | None], Awaitable[None]]
IsCohost = Callable[[RoomId, UserId], Awaitable[bool]]


@dataclass(frozen=True)
class Turn:
    """Who answers a command: this cohost at once, or, in a room several cohosts
    share, as a stand-in at `place` of their order (0 first) if nobody has answered."""

    now: bool
    shared: bool = False
    place: int | None = None


AT_ONCE = Turn(now=True)  # a room this cohost alone answers in


def op_id(event_id: str) -> str:
    return f"stand-in-{event_id}"


class Waiting(BaseModel):
    """A command kept until a cohost answers it, or this one stands in."""

    room: RoomId
    event: EventId
    sender: UserId
    body: str
    # How people were picked (pills), read again when standing in.
    picked: dict[str, Any] = Field(default_factory=dict)
    encrypted: bool = False
    ts: int = 0
    thread: EventId | None = None
    place: int = 0
    seen: datetime | None = None  # when this cohost read it (older waits: none)
    due: datetime
    reply: str | None = None


class StandIns:
    def __init__(
        self, runner: OperationRunner, clock: Clock, answer: Answer, is_cohost: IsCohost
    ) -> None:
        self._runner = runner
        self._clock = clock
        self._answer = answer
        self._is_cohost = is_cohost
        runner.register(STAND_IN, Waiting, self._perform, self._failed)

    def late(self, message: IncomingMessage) -> bool:
        """Read on return from an absence: a stand-in may have answered it meanwhile."""
        return message.caught_up

    async def wait(self, message: IncomingMessage, place: int, reply: str | None) -> None:
        """Answer later unless a cohost has by then; `place` 0 is the answering cohost
        catching up, stand-ins come after it. Turns count from when this cohost read
        the command (SPEC §3.11): a sender's clock, early or late, moves nobody's turn."""
        now = self._clock.now()
        due = now + max(place, 1) * TURN  # place 0: time for what it missed to arrive
        params = Waiting(
            room=message.room_id,
            event=message.event_id,
            sender=message.sender,
            body=message.body,
            picked={k: message.content[k] for k in PICKED if k in message.content},
            encrypted=message.encrypted,
            ts=message.origin_server_ts,
            thread=message.thread,
            place=place,
            seen=now,
            due=due,
            reply=reply,
        )
        await self._runner.start(op_id(message.event_id), STAND_IN, params)

    async def answered(self, notice: IncomingMessage) -> None:
        """A notice that replies to a command: if a cohost sent it, nobody need stand in."""
        relation = notice.content.get(RELATES_TO)
        reply = relation.get(IN_REPLY_TO) if isinstance(relation, dict) else None
        target = reply.get("event_id") if isinstance(reply, dict) else None
        if not isinstance(target, str) or not await self._is_cohost(notice.room_id, notice.sender):
            return
        if await self._runner.settle(op_id(target)):
            log.info("stand_in_not_needed", room_id=notice.room_id)

    async def _perform(self, run: Run[Waiting]) -> None:
        p = run.params
        now = self._clock.now()
        due = p.due
        if now < due:
            raise NotYet(
                _("a cohost before this one may still answer"), (due - now).total_seconds()
            )
        message = IncomingMessage(
            p.room,
            p.event,
            p.sender,
            p.body,
            p.encrypted,
            p.ts,
            p.picked,
            thread=p.thread,
        )
        seen = p.seen or p.due
        if p.place > 0 and now - seen > GIVE_UP:
            log.info("stand_in_given_up", room_id=message.room_id)
        else:
            if p.place > 0:
                log.info("standing_in", room_id=message.room_id, place=p.place)
            await run.step("answered", lambda: self._answer(message, p.reply))
        await self._runner.settle(run.id)

    async def forget(self, user: UserId) -> dict[str, int]:
        """`!forget me`: the person's commands waiting for a stand-in are given up,
        their text forgotten."""
        given_up = 0
        for p in await self._runner.pending(STAND_IN, Waiting):
            if p.sender == user and await self._runner.settle(op_id(p.event)):
                given_up += 1
        return {"commands kept for stand-ins": given_up}

    async def prune(self) -> None:
        """Every command in a shared room leaves a settled wait with each cohost that
        did not answer it: forgotten after a day."""
        removed = await self._runner.prune(STAND_IN, KEPT)
        if removed:
            log.info("stand_ins_pruned", count=removed)

    async def _failed(self, run: Run[Waiting], reason: str) -> None:
        log.warning("stand_in_failed", reason=reason)
