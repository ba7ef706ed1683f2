"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.community.house import House
from handlers.pathway.commands import PathwayCommands
from handlers.pathway.engine import Pathways


def install(house: House) -> None:
    pathways = house.provide(Pathways(house.directory, house.stores.pathway, house.clock))
    house.registry.collect(PathwayCommands(pathways))
