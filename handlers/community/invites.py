"""Accepts invitations from allowed inviters, and those a cohost decision asked for;
declines the rest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from handlers.framework.dispatch import RoomFilter, never
from handlers.framework.gateway import MatrixGateway
from handlers.framework.patterns import UserPatterns, server_of
from handlers.framework.types import IncomingInvite

log = structlog.get_logger(__name__)

InviteHook = Callable[[IncomingInvite], Awaitable[bool]]
AfterJoin = Callable[[IncomingInvite], Awaitable[None]]


async def unexpected(invite: IncomingInvite) -> bool:
    return False


async def nothing(invite: IncomingInvite) -> None:
    return None


class InviteHandler:
    def __init__(
        self,
        gateway: MatrixGateway,
        allowed_inviters: UserPatterns,
        released: RoomFilter = never,
        expected: InviteHook = unexpected,
        after_join: AfterJoin = nothing,
        pending: InviteHook = unexpected,
    ) -> None:
        self._gateway = gateway
        self._allowed = allowed_inviters
        self._released = released
        self._expected = expected
        self._after_join = after_join
        self._pending = pending

    def expect(self, expected: InviteHook, after_join: AfterJoin, pending: InviteHook) -> None:
        """Also accept the invitations a feature's decision asked for (`expected`,
        then `after_join`), and leave pending those it will accept later."""
        self._expected, self._after_join, self._pending = expected, after_join, pending

    async def on_invite(self, invite: IncomingInvite) -> None:
        if await self._released(invite.room_id):
            log.info("invite_to_released_room_declined", room_id=invite.room_id)
            await self._gateway.leave_room(invite.room_id)
        elif self._allowed.allows(invite.inviter) or await self._expected(invite):
            log.info("invite_accepted", room_id=invite.room_id, inviter=invite.inviter)
            await self._gateway.join_room(invite.room_id, [server_of(invite.inviter)])
            await self._after_join(invite)
        elif await self._pending(invite):
            # Joined later, once a trusted fact names the room (a network's Commons).
            log.info("invite_left_pending", room_id=invite.room_id, inviter=invite.inviter)
        else:
            log.info("invite_declined", room_id=invite.room_id, inviter=invite.inviter)
            await self._gateway.leave_room(invite.room_id)
