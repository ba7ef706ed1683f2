"""`cohost resync`: rebuild the database index from Matrix state alone."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.congregations import index_congregation
from handlers.crews import index_crew
from handlers.decisions import restore, restore_acts
from handlers.errors import UserError
from handlers.facts import (
    CongregationFacts,
    CrewFacts,
    CycleRecord,
    NetworkFacts,
    ReleaseRecord,
    RoomMarker,
    SharedFacts,
    number_key,
)
from handlers.gateway import MatrixGateway
from handlers.network import index_network
from handlers.network_membership import application_row
from handlers.rhythm import restore_cycle
from handlers.state import CONGREGATION_SPACE, NETWORK_SPACE
from storage.community import CommunityRepository
from storage.decisions import OPEN, DecisionRepository
from storage.network import ApplicationRepository
from storage.rhythm import RhythmRepository

log = structlog.get_logger(__name__)


@dataclass
class ResyncSummary:
    rooms: int = 0
    congregations: int = 0
    crews: int = 0
    networks: int = 0
    proposals: int = 0
    cycles: int = 0
    applications: int = 0


async def rebuild_index(
    gateway: MatrixGateway, sessions: async_sessionmaker[AsyncSession]
) -> ResyncSummary:
    """Facts count only from their writers (handlers.facts): state set by anyone else
    is reported in the log, not indexed."""
    facts = SharedFacts(gateway)
    me = gateway.user_id
    rooms = await gateway.joined_rooms()
    summary = ResyncSummary()
    async with sessions.begin() as s:
        repo = CommunityRepository(s)
        await repo.clear()
        for room in rooms:
            marker = await facts.get(room, RoomMarker)
            if marker is None:
                continue
            released = await facts.own(room, ReleaseRecord, me) is not None
            summary.rooms += 1
            if marker.kind == CONGREGATION_SPACE:
                congregation = await facts.get(room, CongregationFacts)
                if congregation is None:
                    continue
                await index_congregation(
                    repo,
                    room,
                    congregation.content(),
                    released=released or congregation.released,
                )
                summary.congregations += 1
                if congregation.application and not congregation.network:
                    await ApplicationRepository(s).put(
                        application_row(room, congregation.application)
                    )
                    summary.applications += 1
                for key, crew in (await facts.all(room, CrewFacts)).items():
                    if key:
                        await index_crew(repo, key, room, crew.content())
                        summary.crews += 1
            elif marker.kind == NETWORK_SPACE:
                network = await facts.get(room, NetworkFacts)
                if network is not None:
                    await index_network(repo, room, network.content())
                    summary.networks += 1
    async with sessions.begin() as s:
        decisions = DecisionRepository(s)
        for room in rooms:
            for number, (sender, record) in (await facts.proposals(room)).items():
                if record.status != OPEN:
                    continue
                try:
                    proposal = restore(room, number, sender, record.content())
                except (KeyError, TypeError, ValueError):
                    log.warning("proposal_record_unreadable", room_id=room, number=number)
                    continue
                if await decisions.by_number(room, number) or await decisions.by_opening(
                    proposal.opening_key
                ):
                    continue  # still known: the database was not lost
                await decisions.adopt(proposal)
                for ballot in restore_acts(proposal.id, record):
                    await decisions.add_ballot(ballot)
                summary.proposals += 1
    async with sessions.begin() as s:
        rhythm = RhythmRepository(s)
        for room in rooms:
            for key, cycle_record in (await facts.all(room, CycleRecord)).items():
                cycle_number = number_key(key)
                if cycle_number is None or not cycle_record.schedule:
                    continue  # recorded before cycles kept their schedule in state
                try:
                    cycle, meetings = restore_cycle(room, cycle_number, cycle_record)
                except UserError:
                    log.warning("cycle_record_unreadable", room_id=room, number=cycle_number)
                    continue
                if await rhythm.restore(cycle, meetings):
                    summary.cycles += 1
    log.info("index_rebuilt", **summary.__dict__)
    return summary
