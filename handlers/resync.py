"""`cohost resync`: rebuild the database index from Matrix state alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.congregations import index_congregation
from handlers.crews import index_crew
from handlers.decisions import PROPOSAL_STATE, restore, restore_acts
from handlers.gateway import MatrixGateway
from handlers.network import MEMBER, index_network
from handlers.state import (
    CONGREGATION,
    CONGREGATION_SPACE,
    CREW,
    NETWORK,
    NETWORK_SPACE,
    RELEASE,
    ROOM,
)
from storage.community import CommunityRepository
from storage.decisions import OPEN, DecisionRepository

log = structlog.get_logger(__name__)


@dataclass
class ResyncSummary:
    rooms: int = 0
    congregations: int = 0
    crews: int = 0
    networks: int = 0
    proposals: int = 0


async def rebuild_index(
    gateway: MatrixGateway, sessions: async_sessionmaker[AsyncSession]
) -> ResyncSummary:
    """Facts are trusted only when cohost itself wrote them, or, in a network space,
    a cohost the network's register names: state set by anyone else is reported in the
    log, not indexed."""
    me = gateway.user_id
    states: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for joined in await gateway.joined_rooms():
        events = await gateway.room_state(joined)
        states[joined] = {(e["type"], e.get("state_key", "")): e for e in events}

    def register(room: str) -> set[str]:
        """The member cohosts a network space's register names."""
        return {
            e["sender"]
            for (t, _), e in states.get(room, {}).items()
            if t == MEMBER and e.get("sender") == (e.get("content") or {}).get("bot")
        }

    # The network a room belongs to (its Commons, its Announcements), as the network's
    # facts say, where this cohost or a registered one wrote them.
    network_of: dict[str, str] = {}
    for room_id, state in states.items():
        facts = state.get((NETWORK, ""))
        if facts is not None and facts.get("sender") in {me, *register(room_id)}:
            for member_room in (facts.get("content") or {}).get("rooms", {}).values():
                network_of[str(member_room)] = room_id

    def writers(room: str) -> set[str]:
        """Who may write facts here: this cohost, and the member cohosts of the network
        the room is (or belongs to)."""
        return {me, *register(room), *register(network_of.get(room, ""))}

    def trusted(room: str, event_type: str, key: str = "") -> dict[str, Any] | None:
        event = states[room].get((event_type, key))
        if event is None:
            return None
        if event.get("sender") not in writers(room):
            log.warning(
                "untrusted_state_ignored", room_id=room, type=event_type, sender=event.get("sender")
            )
            return None
        content: dict[str, Any] = event.get("content", {})
        return content

    summary = ResyncSummary()
    async with sessions.begin() as s:
        repo = CommunityRepository(s)
        await repo.clear()
        for room_id, state in states.items():
            marker = trusted(room_id, ROOM)
            if marker is None:
                continue
            released = (RELEASE, me) in state
            summary.rooms += 1
            kind = marker.get("kind", "")
            if kind == CONGREGATION_SPACE:
                facts = trusted(room_id, CONGREGATION)
                if facts is None:
                    continue
                await index_congregation(
                    repo, room_id, facts, released=released or bool(facts.get("released"))
                )
                summary.congregations += 1
                for event_type, key in state:
                    crew = trusted(room_id, CREW, key) if event_type == CREW and key else None
                    if crew is not None:
                        await index_crew(repo, key, room_id, crew)
                        summary.crews += 1
            elif kind == NETWORK_SPACE:
                facts = trusted(room_id, NETWORK)
                if facts is not None:
                    await index_network(repo, room_id, facts)
                    summary.networks += 1
    async with sessions.begin() as s:
        repo_d = DecisionRepository(s)
        for room_id, state in states.items():
            for event_type, key in state:
                if event_type != PROPOSAL_STATE or not key.isdigit():
                    continue
                content = trusted(room_id, PROPOSAL_STATE, key)
                if content is None or content.get("status") != OPEN:
                    continue
                sender = str(state[(event_type, key)]["sender"])
                proposal = restore(room_id, int(key), sender, content)
                if await repo_d.by_number(room_id, proposal.number) or await repo_d.by_opening(
                    proposal.opening_key
                ):
                    continue  # still known: the database was not lost
                await repo_d.adopt(proposal)
                for ballot in restore_acts(proposal.id, content):
                    await repo_d.add_ballot(ballot)
                summary.proposals += 1
    log.info("index_rebuilt", **summary.__dict__)
    return summary
