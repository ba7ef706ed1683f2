"""The Matrix shape of cohost's rooms (SPEC §2) and their ownership (SPEC §3), as
createRoom requests. Pure functions: nothing here talks to a homeserver."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from handlers.framework.language import N_, _
from handlers.framework.matrix_names import (
    ENCRYPTION_ALGORITHM,
    RESTRICTED_BY_MEMBERSHIP,
    ROOM_TYPE_SPACE,
    EventType,
    JoinRule,
)
from handlers.framework.power import CREATOR_ROOM_VERSIONS, full_events
from handlers.framework.types import RoomId, UserId

# In CREATOR_ROOM_VERSIONS creators hold an unlimited, unchangeable power level and
# `additional_creators` makes the founding humans co-creators.

HOST_LEVEL = 100
CREW_MEMBER_LEVEL = 50

# Every room cohost makes says in its topic how to find out what cohost does there.
HELP_HINT = N_("Send !help to see what cohost can do here.")


@dataclass(frozen=True)
class RoomPlan:
    name: str
    topic: str
    join_rule: str  # public | knock | invite | restricted
    history: str = "shared"
    is_space: bool = False
    encrypted: bool = False
    restricted_to: RoomId | None = None  # the space whose members may join
    parent: RoomId | None = None
    power: dict[str, Any] = field(default_factory=dict)
    state: Sequence[tuple[str, str, dict[str, Any]]] = ()  # (type, state_key, content)
    # A room with one person: invited at creation, and marked direct for their client.
    direct_with: UserId | None = None


def create_request(
    plan: RoomPlan,
    *,
    bot: UserId,
    founders: Sequence[UserId],
    room_version: str,
    via: str,
) -> dict[str, Any]:
    """The bot is never a room's sole creator nor its sole top power: the founders
    share the top level with it."""
    humans = sorted({f for f in founders if f != bot})
    creation: dict[str, Any] = {}
    power: dict[str, Any] = {"users": {}, **plan.power}
    # The whole map, never only the room's own entries (see handlers.framework.power).
    power["events"] = full_events(room_version, plan.power.get("events", {}))
    if plan.is_space:
        creation["type"] = ROOM_TYPE_SPACE
        power.setdefault("state_default", HOST_LEVEL)  # only hosts arrange a space
    if room_version in CREATOR_ROOM_VERSIONS:
        creation["additional_creators"] = humans
    else:
        power["users"] = {bot: HOST_LEVEL, **{h: HOST_LEVEL for h in humans}}
    initial_state: list[dict[str, Any]] = [
        {
            "type": EventType.HISTORY_VISIBILITY,
            "state_key": "",
            "content": {"history_visibility": plan.history},
        },
        {"type": EventType.JOIN_RULES, "state_key": "", "content": join_rules(plan)},
        {"type": EventType.GUEST_ACCESS, "state_key": "", "content": {"guest_access": "forbidden"}},
    ]
    if plan.encrypted:
        initial_state.append(
            {
                "type": EventType.ENCRYPTION,
                "state_key": "",
                "content": {"algorithm": ENCRYPTION_ALGORITHM},
            }
        )
    if plan.parent:
        initial_state.append(
            {"type": EventType.SPACE_PARENT, "state_key": plan.parent, "content": space_parent(via)}
        )
    initial_state += [{"type": t, "state_key": k, "content": c} for t, k, c in plan.state]
    request: dict[str, Any] = {
        "name": plan.name,
        "topic": f"{plan.topic} · {_(HELP_HINT)}",
        "preset": "public_chat" if plan.join_rule == JoinRule.PUBLIC else "private_chat",
        "room_version": room_version,
        "creation_content": creation,
        "power_level_content_override": power,
        "initial_state": initial_state,
        "visibility": "private",
    }
    if plan.direct_with is not None:
        request |= {"is_direct": True, "invite": [plan.direct_with]}
    return request


def join_rules(plan: RoomPlan) -> dict[str, Any]:
    if plan.join_rule == JoinRule.RESTRICTED:
        assert plan.restricted_to is not None
        return {
            "join_rule": JoinRule.RESTRICTED,
            "allow": [{"type": RESTRICTED_BY_MEMBERSHIP, "room_id": plan.restricted_to}],
        }
    return {"join_rule": plan.join_rule}


def space_child(via: str, order: str, suggested: bool = False) -> dict[str, Any]:
    return {"via": [via], "order": order, "suggested": suggested}


def space_parent(via: str) -> dict[str, Any]:
    return {"via": [via], "canonical": True}


# -- the rooms, one function each ---------------------------------------------


def congregation_space(name: str, state: Sequence[tuple[str, str, dict[str, Any]]]) -> RoomPlan:
    return RoomPlan(
        name=name,
        topic=_("The {name} congregation: here crews form. Knock to ask to join.", name=name),
        join_rule=JoinRule.KNOCK,
        is_space=True,
        power={"invite": HOST_LEVEL, "kick": HOST_LEVEL, "ban": HOST_LEVEL},
        state=state,
    )


def lobby(name: str, space: RoomId, state: Sequence[tuple[str, str, dict[str, Any]]]) -> RoomPlan:
    return RoomPlan(
        name=_("{name} · Lobby", name=name),
        topic=_("Meet each other, introduce yourself, find crewmates."),
        join_rule=JoinRule.RESTRICTED,
        restricted_to=space,
        parent=space,
        power={"invite": HOST_LEVEL},
        state=state,
    )


def announcements(
    name: str, space: RoomId, state: Sequence[tuple[str, str, dict[str, Any]]]
) -> RoomPlan:
    return RoomPlan(
        name=_("{name} · Announcements", name=name),
        topic=_("News from the hosts. Only hosts and cohost post here."),
        join_rule=JoinRule.RESTRICTED,
        restricted_to=space,
        parent=space,
        power={"events_default": HOST_LEVEL, "invite": HOST_LEVEL},
        state=state,
    )


def hosts_room(
    name: str, space: RoomId, state: Sequence[tuple[str, str, dict[str, Any]]]
) -> RoomPlan:
    return RoomPlan(
        name=_("{name} · Hosts", name=name),
        topic=_("The hosts of the congregation: membership decisions and care."),
        join_rule=JoinRule.INVITE,
        parent=space,
        encrypted=True,
        power={"invite": HOST_LEVEL},
        state=state,
    )


def crew_room(
    name: str,
    intention: str | None,
    space: RoomId,
    state: Sequence[tuple[str, str, dict[str, Any]]],
) -> RoomPlan:
    # Crew members are peers: all of them may rename, set the topic and invite, and
    # none can remove another.
    return RoomPlan(
        name=name,
        topic=intention or _("A crew: a few people who meet in a rhythm for mutual support."),
        join_rule=JoinRule.KNOCK,
        parent=space,
        encrypted=True,
        power={
            "users_default": CREW_MEMBER_LEVEL,
            "invite": CREW_MEMBER_LEVEL,
            "events": {EventType.TOPIC: CREW_MEMBER_LEVEL, EventType.NAME: CREW_MEMBER_LEVEL},
        },
        state=state,
    )


# In the network's rooms level 100 (what later members get) may do all a creator may,
# upgrading the room included.
EQUAL_FOOTING = {EventType.TOMBSTONE: HOST_LEVEL}


def network_space(name: str, state: Sequence[tuple[str, str, dict[str, Any]]]) -> RoomPlan:
    return RoomPlan(
        name=name,
        topic=_("The {name} network of congregations, hosted together.", name=name),
        join_rule=JoinRule.KNOCK,
        history="world_readable",
        is_space=True,
        power={
            "invite": HOST_LEVEL,
            "kick": HOST_LEVEL,
            "ban": HOST_LEVEL,
            "events": EQUAL_FOOTING,
        },
        state=state,
    )


def network_announcements(
    name: str, space: RoomId, state: Sequence[tuple[str, str, dict[str, Any]]]
) -> RoomPlan:
    return RoomPlan(
        name=_("{name} · Announcements", name=name),
        topic=_("Network-wide news, relayed into every member congregation."),
        join_rule=JoinRule.PUBLIC,
        history="world_readable",
        parent=space,
        power={"events_default": HOST_LEVEL, "events": EQUAL_FOOTING},
        state=state,
    )


def commons(name: str, space: RoomId, state: Sequence[tuple[str, str, dict[str, Any]]]) -> RoomPlan:
    return RoomPlan(
        name=_("{name} · Commons", name=name),
        topic=_("Hosts of member congregations and their cohost bots: network decisions."),
        join_rule=JoinRule.INVITE,
        parent=space,
        power={"invite": HOST_LEVEL, "events": EQUAL_FOOTING},
        state=state,
    )


def direct_room(person: UserId, state: Sequence[tuple[str, str, dict[str, Any]]]) -> RoomPlan:
    return RoomPlan(
        name="cohost",
        topic=_("Between you and cohost: your practice pathway and the feedback you asked for."),
        join_rule=JoinRule.INVITE,
        encrypted=True,
        direct_with=person,
        state=state,
    )
