"""Small idempotent actions on rooms, shared by the operations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import structlog
from pydantic import BaseModel

from handlers.community.facts import ReleaseRecord, RoomMarker, SharedFacts
from handlers.community.shape import RoomPlan, create_request, space_child, space_parent
from handlers.community.state import ROOM, room_marker
from handlers.framework.errors import MatrixError
from handlers.framework.gateway import MatrixGateway
from handlers.framework.language import _
from handlers.framework.matrix_names import EventType, Membership
from handlers.framework.operations import Run
from handlers.framework.power import repair
from handlers.framework.speech import tell
from handlers.framework.types import RoomId, UserId

log = structlog.get_logger(__name__)


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
    await tell(gateway, room_id, text, txn_id, (mention,))


async def report_unfinished(
    gateway: MatrixGateway, run: Run[Any], what: str, asked: Asked, reason: str
) -> None:
    """Tell whoever asked for a creation that it could not be finished."""
    await report(
        gateway,
        asked.reply_room,
        _(
            "I could not finish creating {what} ({reason}). The operator can find "
            "the details in cohost's log.",
            what=what,
            reason=reason,
        ),
        asked.requester,
        f"cohost-op-{run.id}-failed",
    )


class Asked(BaseModel):
    """Who asked for an operation, and where the answer goes."""

    requester: UserId
    reply_room: RoomId


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

    run: Run[Any]
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
        return await self.run.create_room(
            step,
            partial(self.gateway.create_room, request),
            partial(find_created_room, self.gateway, self.run.id, step),
        )


async def room_maker(
    run: Run[Any], gateway: MatrixGateway, founders: Sequence[UserId], via: str
) -> RoomMaker:
    return RoomMaker(run, gateway, founders, await gateway.default_room_version(), via)


async def find_created_room(gateway: MatrixGateway, op_id: str, step: str) -> RoomId | None:
    """The room an interrupted operation's step made, by the marker it carries."""
    facts = SharedFacts(gateway)
    for room_id in await gateway.joined_rooms():
        marker = await facts.own(room_id, RoomMarker)  # only a marker cohost wrote
        if marker and marker.operation == op_id and marker.step == step:
            return room_id
    return None


async def repair_rooms(gateway: MatrixGateway) -> int:
    """Repair the power levels of every room cohost made and still acts in (its own
    room marker, no release of its own); how many were changed."""
    facts = SharedFacts(gateway)
    repaired = 0
    for room in await gateway.joined_rooms():
        try:
            if (
                await facts.own(room, RoomMarker) is not None
                and await facts.own(room, ReleaseRecord, gateway.user_id) is None
                and await repair(gateway, room)
            ):
                repaired += 1
        except MatrixError as err:
            log.warning("power_levels_not_repaired", room_id=room, errcode=err.errcode)
    return repaired


def crew_order(created_at: str) -> str:
    """Space-child order for crews: after the congregation's own rooms, by age."""
    digits = "".join(ch for ch in created_at if ch.isdigit())[:14]
    return f"50-{digits}"
