"""`cohost resync`: rebuild the database index from Matrix state alone."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from handlers.community.facts import (
    TO_THE_END,
    CongregationFacts,
    CrewFacts,
    ReleaseRecord,
    RoomMarker,
    SharedFacts,
)
from handlers.community.state import CONGREGATION_SPACE, NETWORK_SPACE
from handlers.congregations.engine import congregation_entries
from handlers.crews.engine import crew_entries
from handlers.framework.errors import UserError
from handlers.framework.fact import number_key
from handlers.framework.gateway import MatrixGateway
from handlers.network.crews import crew_entries as network_crew_entries
from handlers.network.engine import network_entries
from handlers.network.schema import NetworkFacts
from handlers.rhythm.schema import CycleRecord
from storage.community import IndexEntries
from storage.decisions import OPEN
from storage.stores import Stores

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


async def rebuild_index(gateway: MatrixGateway, stores: Stores) -> ResyncSummary:
    """Facts count only from their writers (handlers.community.facts): state set by anyone else
    is reported in the log, not indexed. Matrix is read first; the index is then
    replaced in one transaction."""
    facts = SharedFacts(gateway, stores.trusted, look_back=TO_THE_END, decided=stores.decisions)
    me = gateway.user_id
    rooms = await gateway.joined_rooms()
    summary = ResyncSummary()
    entries = IndexEntries()
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
            entries.extend(
                congregation_entries(room, congregation, released=released or congregation.released)
            )
            summary.congregations += 1
            if congregation.application and not congregation.network:
                entries.applications.append(congregation.application.row(room))
                summary.applications += 1
            for key, crew in (await facts.all(room, CrewFacts)).items():
                if key:
                    entries.extend(crew_entries(key, room, crew))
                    summary.crews += 1
        elif marker.kind == NETWORK_SPACE:
            network = await facts.get(room, NetworkFacts)
            if network is not None:
                entries.extend(network_entries(room, network))
                summary.networks += 1
                for key, crew in (await facts.all(room, CrewFacts)).items():
                    if key:  # the network's crews
                        entries.extend(network_crew_entries(key, crew))
                        summary.crews += 1
    await stores.community.replace_index(entries)
    for room in rooms:
        for number, (sender, record) in (await facts.proposals(room)).items():
            if record.status != OPEN:
                continue
            try:
                proposal = record.proposal(room, number, sender)
            except ValueError:
                log.warning("proposal_record_unreadable", room_id=room, number=number)
                continue
            # Known already (the database was not lost): left as it is.
            if await stores.decisions.adopt(proposal, record.ballots()) == "adopted":
                summary.proposals += 1
    cycles = []
    for room in rooms:
        for key, cycle_record in (await facts.all(room, CycleRecord)).items():
            cycle_number = number_key(key)
            if cycle_number is None or not cycle_record.schedule:
                continue  # recorded before cycles kept their schedule in state
            try:
                cycles.append(cycle_record.cycle(room, cycle_number))
            except UserError:
                log.warning("cycle_record_unreadable", room_id=room, number=cycle_number)
    summary.cycles = await stores.rhythm.restore(cycles)
    log.info("index_rebuilt", **summary.__dict__)
    return summary
