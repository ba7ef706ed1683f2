"""Rounds in Matrix, so that `cohost resync` takes them up again: one record in the
congregation's space (who takes part, the hosts' rhythm and the next round's time) and
one in each group's room (its round, its people, who would meet again). Each is
rewritten whole whenever it changes."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from handlers.community.state import PREFIX
from handlers.framework.fact import Fact

ROUNDS = PREFIX + "rounds"
ROUND_GROUP = PREFIX + "round"


class RoundsRecord(Fact):
    """In the congregation's space (state key "")."""

    TYPE = ROUNDS
    taking_part: list[str] = Field(default_factory=list)
    weekday: int | None = None
    pattern: str | None = None
    next_at: datetime | None = None  # None: no rounds by themselves


class RoundGroupRecord(Fact):
    """In a group's room (state key "")."""

    TYPE = ROUND_GROUP
    congregation: str
    number: int
    members: list[str]
    again: list[str] = Field(default_factory=list)
    suggested: bool = False
    created_at: datetime
