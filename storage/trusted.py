"""The trusted version of each shared fact, kept once read (see models.TrustedFact)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.models import TrustedFact
from storage.unit import Store


class TrustedFactStore(Store):
    async def kept(self, room_id: str, event_type: str, state_key: str) -> TrustedFact | None:
        async with self._unit("kept") as s:
            return await s.get(TrustedFact, (room_id, event_type, state_key))

    async def keep(self, room_id: str, event: dict[str, Any], at: datetime) -> None:
        """The version a trusted writer wrote, replacing what was kept for that fact."""
        key = (room_id, str(event["type"]), str(event["state_key"]))
        async with self._unit("keep") as s:
            row = await s.get(TrustedFact, key)
            if row is None:
                row = TrustedFact(room_id=key[0], event_type=key[1], state_key=key[2])
                s.add(row)
            row.event_id = str(event.get("event_id"))
            row.sender = str(event["sender"])
            row.content = dict(event.get("content") or {})
            row.kept_at = at
