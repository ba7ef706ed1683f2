"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.community.house import House
from handlers.rounds.commands import RoundCommands
from handlers.rounds.engine import OPEN, Opening, Rounds, rebuild_rounds


def install(house: House) -> None:
    rounds = house.provide(Rounds(house.directory, house.stores.rounds, house.runner, house.clock))
    house.runner.register(OPEN, Opening, rounds.open_room, rounds.opening_failed)
    house.registry.collect(RoundCommands(rounds))
    house.every_tick(rounds.tick)
    house.on_resync(rebuild_rounds)
