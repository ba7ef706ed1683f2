"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel

from handlers.community.house import House
from handlers.framework.types import (
    IncomingMember,
    IncomingPollResponse,
    IncomingReaction,
    IncomingRedaction,
)
from handlers.rhythm.engine import Rhythm, rebuild_cycles


class RhythmSettings(BaseModel):
    crew_window: timedelta = timedelta(days=2)  # how long a retrospective stays open
    # How late a network crew's reminder may be before another cohost takes over
    # keeping its rhythm (and how far apart the others' turns are).
    rhythm_takeover_after: timedelta = timedelta(minutes=1)


def install(house: House) -> None:
    rhythm = house.provide(
        Rhythm(
            house.directory,
            house.stores.rhythm,
            house.stores.notices,
            house.clock,
            house.settings(RhythmSettings).crew_window,
            house.settings(RhythmSettings).rhythm_takeover_after,
        )
    )
    house.subscriptions.on(IncomingMember, rhythm.on_member)
    house.subscriptions.on(IncomingReaction, rhythm.on_reaction)
    house.subscriptions.on(IncomingPollResponse, rhythm.on_poll_response)
    house.subscriptions.on(IncomingRedaction, rhythm.on_redaction)
    house.every_tick(rhythm.tick)
    house.on_resync(rebuild_cycles, after_index=True)
