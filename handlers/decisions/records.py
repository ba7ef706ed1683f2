"""Proposals in room state (state key: the number), read and written through the one
reader of shared facts: each record counts only from its writer, and a large one is
read back with its parts (see ProposalRecord.split)."""

from __future__ import annotations

import structlog

from handlers.community.facts import SharedFacts
from handlers.decisions.schema import ProposalPart, ProposalRecord
from handlers.framework.types import RoomId, UserId

log = structlog.get_logger(__name__)

MAX_PARTS = 200  # a record's parts read back: far more than any group's deciders need
Recorded = tuple[UserId, ProposalRecord]  # a record, with who wrote it


class ProposalRecords:
    def __init__(self, reader: SharedFacts) -> None:
        self.reader = reader

    async def all(self, room: RoomId) -> dict[int, Recorded]:
        """Trusted proposal records by number."""
        found: dict[int, Recorded] = {}
        for number, (sender, record) in (await self.reader.numbered(room, ProposalRecord)).items():
            joined = await self._joined(room, number, sender, record)
            if joined is not None:
                found[number] = (sender, joined)
        return found

    async def one(self, room: RoomId, number: int) -> Recorded | None:
        """One proposal's record, when its writer is trusted."""
        event = await self.reader.gateway.state_event(room, ProposalRecord.TYPE, str(number))
        if event is None:
            return None
        trusted = await self.reader.trusted_version(room, event, await self.reader.writers(room))
        record = self.reader.parse(room, trusted, ProposalRecord) if trusted else None
        if trusted is None or record is None:
            return None
        sender = UserId(trusted["sender"])
        joined = await self._joined(room, number, sender, record)
        return None if joined is None else (sender, joined)

    async def write(self, room: RoomId, record: ProposalRecord, number: int) -> None:
        """A proposal's record; a large one with its deciders and acts in parts, each
        written only when it changed (a vote changes the last one)."""
        head, parts = record.split()
        for index, part in enumerate(parts):
            key = f"{number}/{index}"
            current = await self.reader.gateway.state_event(room, ProposalPart.TYPE, key)
            if current is None or current.get("content") != part.content():
                await self.reader.write(room, part, key)
        await self.reader.write(room, head, str(number))

    async def _joined(
        self, room: RoomId, number: int, sender: UserId, record: ProposalRecord
    ) -> ProposalRecord | None:
        """A record with its parts read back (from its own writer), if it has parts."""
        if not record.parts:
            return record
        parts = []
        for index in range(min(record.parts, MAX_PARTS)):
            key = f"{number}/{index}"
            event = await self.reader.gateway.state_event(room, ProposalPart.TYPE, key)
            trusted = await self.reader.trusted_version(room, event, {sender}) if event else None
            part = self.reader.parse(room, trusted, ProposalPart) if trusted else None
            if part is None:
                log.warning("proposal_part_missing", room_id=room, number=number, part=index)
                return None
            parts.append(part)
        record.joined(parts)
        return record
