"""Small idempotent actions on rooms, shared by the operations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from handlers.errors import MatrixError
from handlers.gateway import MatrixGateway
from handlers.matrix_names import EventType, Membership
from handlers.operations import Run
from handlers.replies import notice
from handlers.shape import RoomPlan, create_request, space_child, space_parent
from handlers.state import ROOM, room_marker
from handlers.types import RoomId, UserId


async def invite_once(
    gateway: MatrixGateway, room_id: RoomId, user_id: UserId, reason: str | None = None
) -> bool:
    """Invite unless already invited or joined; True when an invite was sent."""
    member = await gateway.get_state(room_id, EventType.MEMBER, user_id)
    if member and member.get("membership") in (Membership.INVITE, Membership.JOIN):
        return False
    await gateway.invite(room_id, user_id, reason)
    return True


async def link(gateway: MatrixGateway, parent: RoomId, child: RoomId, order: str, via: str) -> None:
    """Both directions: m.space.child in the parent, canonical m.space.parent in the child."""
    await gateway.put_state(parent, EventType.SPACE_CHILD, child, space_child(via, order))
    await gateway.put_state(child, EventType.SPACE_PARENT, parent, space_parent(via))


async def report(
    gateway: MatrixGateway, room_id: RoomId, text: str, mention: UserId, txn_id: str
) -> None:
    await gateway.send_event(room_id, EventType.MESSAGE, notice(text, (mention,)), txn_id)


async def report_unfinished(
    gateway: MatrixGateway, run: Run, what: str, requester: str, reason: str
) -> None:
    """Tell whoever asked for a creation that it could not be finished."""
    await report(
        gateway,
        RoomId(run.params["reply_room"]),
        f"I could not finish creating {what} ({reason}). "
        "The operator can find the details in cohost's log.",
        UserId(run.params[requester]),
        f"cohost-op-{run.id}-failed",
    )


async def creators(gateway: MatrixGateway, room_id: RoomId) -> set[UserId]:
    """Who shares the top level of a room: in room version 12 its creators. Nobody,
    cohost included, can remove them."""
    create = await gateway.state_event(room_id, EventType.CREATE)
    if create is None:
        return set()
    content = create.get("content", {})
    return {UserId(create["sender"]), *(UserId(u) for u in content.get("additional_creators", []))}


async def kick_quietly(
    gateway: MatrixGateway, room_id: RoomId, user_id: UserId, reason: str
) -> None:
    """Remove someone who asked to leave; a founder (whom cohost cannot remove) was told
    to leave by themselves."""
    try:
        await gateway.kick(room_id, user_id, reason)
    except MatrixError as err:
        if err.errcode != "M_FORBIDDEN":
            raise


@dataclass(frozen=True)
class RoomMaker:
    """Creates the rooms of one operation: the founders share the top level with cohost,
    and every room carries the marker by which a resumed operation finds it."""

    run: Run
    gateway: MatrixGateway
    founders: Sequence[UserId]
    room_version: str
    via: str

    def marker(
        self, kind: str, step: str, *, congregation: str | None = None, network: str | None = None
    ) -> list[tuple[str, str, dict[str, Any]]]:
        content = room_marker(
            kind, congregation=congregation, network=network, operation=self.run.id, step=step
        )
        return [(ROOM, "", content)]

    async def create(self, step: str, plan: RoomPlan) -> RoomId:
        request = create_request(
            plan,
            bot=self.gateway.user_id,
            founders=self.founders,
            room_version=self.room_version,
            via=self.via,
        )
        return await self.run.create_room(step, self.gateway, request)


async def room_maker(
    run: Run, gateway: MatrixGateway, founders: Sequence[UserId], via: str
) -> RoomMaker:
    return RoomMaker(run, gateway, founders, await gateway.default_room_version(), via)


def crew_order(created_at: str) -> str:
    """Space-child order for crews: after the congregation's own rooms, by age."""
    digits = "".join(ch for ch in created_at if ch.isdigit())[:14]
    return f"50-{digits}"
