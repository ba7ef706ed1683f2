"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.community.house import House
from handlers.general.commands import GeneralCommands


def install(house: House) -> None:
    house.registry.collect(GeneralCommands(house.registry, house.commands.permitted))
