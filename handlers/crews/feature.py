"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.community.house import House
from handlers.crews.commands import CrewCommands
from handlers.crews.engine import CREATE, Creating, Crews, rebuild_crews
from handlers.membership.engine import Membership
from handlers.network.crews import NetworkCrews
from handlers.rhythm.engine import Rhythm


def install(house: House) -> None:
    crews = house.provide(Crews(house.directory, house.runner, house.clock, house.config.limits))
    house.runner.register(CREATE, Creating, crews.perform_create, crews.report_failure)
    house.registry.collect(
        CrewCommands(
            crews, house.engine(Membership), house.engine(Rhythm), house.engine(NetworkCrews)
        )
    )
    house.on_resync(rebuild_crews)
