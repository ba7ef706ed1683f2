"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.community.house import House
from handlers.framework.types import IncomingMember, IncomingReaction, IncomingRedaction
from handlers.rhythm.engine import Rhythm, rebuild_cycles


def install(house: House) -> None:
    rhythm = house.provide(
        Rhythm(
            house.directory,
            house.stores.rhythm,
            house.stores.notices,
            house.clock,
            house.config.crew_window,
            house.config.rhythm_takeover_after,
        )
    )
    house.subscriptions.on(IncomingMember, rhythm.on_member)
    house.subscriptions.on(IncomingReaction, rhythm.on_reaction)
    house.subscriptions.on(IncomingRedaction, rhythm.on_redaction)
    house.every_tick(rhythm.tick)
    house.on_resync(rebuild_cycles, after_index=True)
