"""A person's pathway, gathered from the index, the rhythm's bookkeeping and the
shared facts; nothing is stored for it."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.community.directory import Directory
from handlers.framework.clock import Clock
from handlers.framework.language import _
from handlers.framework.types import RoomId, UserId
from storage.pathway import PathwayStore, RhythmRecord


@dataclass
class Pathway:
    crews_called: list[str] = field(default_factory=list)
    crews_joined: list[str] = field(default_factory=list)
    rhythm: RhythmRecord = field(default_factory=lambda: RhythmRecord(0, 0, 0))
    hosting: list[str] = field(default_factory=list)  # congregations
    network_hosting: list[str] = field(default_factory=list)  # "<network> (for <congregation>)"


class Pathways:
    def __init__(self, directory: Directory, store: PathwayStore, clock: Clock) -> None:
        self.directory = directory
        self.store = store
        self.clock = clock

    async def of(self, person: UserId) -> Pathway:
        index, gateway = self.directory.index, self.directory.gateway
        pathway = Pathway()
        pathway.crews_called = [c.name for c in await index.crews_called_by(person)]
        for crew in await index.all_crews():
            if not crew.released and person in await gateway.joined_members(RoomId(crew.room_id)):
                pathway.crews_joined.append(crew.name)
        pathway.rhythm = await self.store.rhythm_of(person, self.clock.now())
        for congregation in await index.congregations():
            if congregation.released:
                continue
            if person in await self.directory.hosts(congregation):
                pathway.hosting.append(congregation.name)
            if congregation.network_space_id:
                network = await index.network(congregation.network_space_id)
                members = await self.directory.shared.members(RoomId(congregation.network_space_id))
                for entry in members.values():
                    if person in entry.hosts and network is not None:
                        pathway.network_hosting.append(
                            _(
                                "{network} (for {congregation})",
                                network=network.name,
                                congregation=entry.name,
                            )
                        )
        pathway.network_hosting = sorted(set(pathway.network_hosting))
        return pathway
