"""Accepts invitations from allowed inviters, and those a cohost decision asked for;
declines the rest."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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
        released: RoomFilter = never,
    ) -> None:
        self._gateway = gateway
        self._allowed = allowed_inviters
        self._released = released
        self._expected: list[Expected] = []

    def expect(self, expected: Expected) -> None:
        self._expected.append(expected)

    async def on_invite(self, invite: IncomingInvite) -> None:
        if await self._released(invite.room_id):
            log.info("invite_to_released_room_declined", room_id=invite.room_id)
            await self._gateway.leave_room(invite.room_id)
            return
        expecting = [e for e in self._expected if await e.accepts(invite)]
        if self._allowed.allows(invite.inviter) or expecting:
            log.info("invite_accepted", room_id=invite.room_id, inviter=invite.inviter)
            await self._gateway.join_room(invite.room_id, [server_of(invite.inviter)])
            for expected in expecting:
                await expected.after_join(invite)
        elif [e for e in self._expected if await e.pending(invite)]:
            # Joined later, once a trusted fact names the room (a network's Commons).
            log.info("invite_left_pending", room_id=invite.room_id, inviter=invite.inviter)
        else:
            log.info("invite_declined", room_id=invite.room_id, inviter=invite.inviter)
            await self._gateway.leave_room(invite.room_id)
