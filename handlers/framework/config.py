"""What the operator's settings say to the features: built once by the composition
root from the service's settings, so that no feature reads settings of its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from handlers.framework.limits import Limits
from handlers.framework.patterns import UserPatterns

NOBODY = UserPatterns(frozenset(), frozenset())


@dataclass(frozen=True)
class Config:
    crew_window: timedelta = timedelta(days=2)
    congregation_window: timedelta = timedelta(days=7)
    network_window: timedelta = timedelta(days=7)
    # How late a network crew's reminder may be before another cohost takes over
    # keeping its rhythm (and how far apart the others' turns are).
    rhythm_takeover_after: timedelta = timedelta(minutes=1)
    # Who decides who joins a congregation: its hosts (Hosts room) or its members (Lobby).
    membership_decided_by: Literal["hosts", "members"] = "hosts"
    # Where a newcomer to a congregation is welcomed: in its Lobby, or in a direct message.
    welcome_in: Literal["lobby", "dm"] = "lobby"
    # Where a congregation has chosen no zone, the one its times are shown in.
    zone: str = "UTC"
    limits: Limits = field(default_factory=Limits)
    creators: UserPatterns = NOBODY
    allowed_inviters: UserPatterns = NOBODY
