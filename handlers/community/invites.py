"""Accepts invitations from allowed inviters, and those a cohost decision asked for;
declines the rest.

Accepting is a persisted operation: a join over federation can be refused for a few
seconds after the invitation arrived ("You are not invited to this room", while the
inviting server has not yet taken in its own invitation), and a restart must not lose
an accepted invitation either. The join is retried until JOIN_PATIENCE has passed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from pydantic import BaseModel

from handlers.framework.clock import Clock
from handlers.framework.dispatch import RoomFilter, never
from handlers.framework.errors import MatrixError, NotYet
from handlers.framework.gateway import MatrixGateway
from handlers.framework.language import _
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.patterns import UserPatterns, server_of
from handlers.framework.speech import tell
from handlers.framework.types import IncomingInvite, RoomId, UserId

log = structlog.get_logger(__name__)

ACCEPT = "accept_invite"
GREET = "greet_direct_message"
JOIN_PATIENCE = timedelta(minutes=2)

InviteHook = Callable[[IncomingInvite], Awaitable[bool]]
AfterJoin = Callable[[IncomingInvite], Awaitable[None]]


async def unexpected(invite: IncomingInvite) -> bool:
    return False


async def nothing(invite: IncomingInvite) -> None:
    return None


async def nobody_is(user: UserId) -> bool:
    return False


class Accepting(BaseModel):
    """Joining a room cohost was invited into (and was allowed, or expected, to join)."""

    room: RoomId
    inviter: UserId
    reason: str | None = None
    direct: bool = False
    since: datetime


class Greeting(BaseModel):
    """Saying hello in a direct room someone opened with cohost."""

    room: RoomId
    inviter: UserId


@dataclass(frozen=True)
class Expected:
    """Invitations a feature's decisions ask for: accepted (then `after_join`), or left
    pending to be joined later (`pending`)."""

    accepts: InviteHook
    after_join: AfterJoin = nothing
    pending: InviteHook = unexpected


class InviteHandler:
    def __init__(
        self,
        gateway: MatrixGateway,
        allowed_inviters: UserPatterns,
        runner: OperationRunner,
        clock: Clock,
        released: RoomFilter = never,
        member: Callable[[UserId], Awaitable[bool]] = nobody_is,
    ) -> None:
        self._gateway = gateway
        self._allowed = allowed_inviters
        self._member = member
        self._runner = runner
        self._clock = clock
        self._released = released
        self._expected: list[Expected] = []
        runner.register(ACCEPT, Accepting, self._accept, self._accept_failed)
        runner.register(GREET, Greeting, self._greet, self._greet_failed)

    def expect(self, expected: Expected) -> None:
        self._expected.append(expected)

    async def on_invite(self, invite: IncomingInvite) -> None:
        if await self._released(invite.room_id):
            log.info("invite_to_released_room_declined", room_id=invite.room_id)
            await self._gateway.leave_room(invite.room_id)
            return
        if await self._allows(invite.inviter) or await self._expecting(invite):
            log.info("invite_accepted", room_id=invite.room_id, inviter=invite.inviter)
            now = self._clock.now()
            params = Accepting(
                room=invite.room_id,
                inviter=invite.inviter,
                reason=invite.reason,
                direct=invite.direct,
                since=now,
            )
            op_id = f"accept-{invite.room_id}-{int(now.timestamp() * 1000)}"
            await self._runner.start_now(op_id, ACCEPT, params)
        elif [e for e in self._expected if await e.pending(invite)]:
            # Joined later, once a trusted fact names the room (a network's Commons).
            log.info("invite_left_pending", room_id=invite.room_id, inviter=invite.inviter)
        else:
            log.info("invite_declined", room_id=invite.room_id, inviter=invite.inviter)
            await self._gateway.leave_room(invite.room_id)

    async def _allows(self, inviter: UserId) -> bool:
        if self._allowed.allows(inviter):
            return True
        return self._allowed.members and await self._member(inviter)

    async def _expecting(self, invite: IncomingInvite) -> list[Expected]:
        return [e for e in self._expected if await e.accepts(invite)]

    async def _accept(self, run: Run[Accepting]) -> None:
        p = run.params
        invite = IncomingInvite(p.room, p.inviter, p.reason)
        await run.step("join", lambda: self._join(invite, p.since))
        expecting = await self._expecting(invite)
        for expected in expecting:
            await expected.after_join(invite)
        if not expecting and p.direct:
            # Off the sync path: the message waits for the room to arrive by sync.
            greeting = Greeting(room=p.room, inviter=p.inviter)
            await self._runner.start(f"greet-{invite.room_id}", GREET, greeting)

    async def _greet(self, run: Run[Greeting]) -> None:
        """A direct message someone opened with cohost: it says hello and where to
        start (a room cohost shares with more people waits to be asked)."""
        invite = IncomingInvite(run.params.room, run.params.inviter)
        try:
            present = await self._gateway.joined_members(invite.room_id)
        except MatrixError as err:
            log.info("greeting_skipped", room_id=invite.room_id, errcode=err.errcode)
            return
        if present != {self._gateway.user_id, invite.inviter}:
            return
        await tell(
            self._gateway,
            invite.room_id,
            _(
                "Hello {inviter}! I am cohost: I host microsolidarity crews and "
                "congregations here. Send `!help` to see what you can do, `!crew list` "
                "for the crews of your congregation, or `!pathway` for your own path "
                "so far.",
                inviter=invite.inviter,
            ),
            f"cohost-greet-{invite.room_id}",
        )

    async def _join(self, invite: IncomingInvite, since: datetime) -> None:
        try:
            await self._gateway.join_room(invite.room_id, [server_of(invite.inviter)])
        except MatrixError as err:
            if err.errcode == "M_FORBIDDEN" and self._clock.now() < since + JOIN_PATIENCE:
                raise NotYet(_("the inviting server does not know its invitation yet")) from err
            raise

    async def _greet_failed(self, run: Run[Greeting], reason: str) -> None:
        log.info("greeting_failed", room_id=run.params.room, reason=reason)

    async def _accept_failed(self, run: Run[Accepting], reason: str) -> None:
        log.warning("invite_join_failed", room_id=run.params.room, reason=reason)
