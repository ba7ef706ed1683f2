"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.community.house import House
from handlers.decisions.engine import Decisions
from handlers.framework.types import IncomingTombstone
from handlers.upgrades.engine import FOLLOW, Following, Upgrades


def install(house: House) -> None:
    upgrades = house.provide(
        Upgrades(
            house.directory, house.directory.shared, house.stores.moves, house.runner, house.clock
        )
    )
    upgrades.moved.append(house.engine(Decisions).carry_over)
    house.runner.register(FOLLOW, Following, upgrades.follow, upgrades.report_failure)
    house.subscriptions.on(IncomingTombstone, upgrades.on_tombstone)
