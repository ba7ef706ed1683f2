"""Accepts invitations from allowed inviters and declines the rest."""

from __future__ import annotations

import structlog

from handlers.gateway import MatrixGateway
from handlers.messages import RoomFilter, never
from handlers.patterns import UserPatterns
from handlers.types import IncomingInvite

log = structlog.get_logger(__name__)


class InviteHandler:
    def __init__(
        self, gateway: MatrixGateway, allowed_inviters: UserPatterns, released: RoomFilter = never
    ) -> None:
        self._gateway = gateway
        self._allowed = allowed_inviters
        self._released = released

    async def on_invite(self, invite: IncomingInvite) -> None:
        if await self._released(invite.room_id):
            log.info("invite_to_released_room_declined", room_id=invite.room_id)
            await self._gateway.leave_room(invite.room_id)
        elif self._allowed.allows(invite.inviter):
            log.info("invite_accepted", room_id=invite.room_id, inviter=invite.inviter)
            await self._gateway.join_room(invite.room_id)
        else:
            log.info("invite_declined", room_id=invite.room_id, inviter=invite.inviter)
            await self._gateway.leave_room(invite.room_id)
