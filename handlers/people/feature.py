"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.community.house import House
from handlers.people.commands import PeopleCommands


def install(house: House) -> None:
    house.registry.collect(PeopleCommands(house.stores.people, house.clock))
