"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from handlers.community.house import House
from handlers.congregations.commands import CongregationCommands
from handlers.congregations.engine import CREATE, Congregations, Creating, rebuild_congregations
from handlers.congregations.welcome import WELCOME, Welcome, Welcoming
from handlers.framework.types import IncomingMember
from handlers.membership.engine import Membership


class WelcomeSettings(BaseModel):
    # Where a newcomer is welcomed: in the Lobby, or in a direct message.
    welcome_in: Literal["lobby", "dm"] = "lobby"


def install(house: House) -> None:
    congregations = house.provide(
        Congregations(
            house.directory,
            house.runner,
            house.clock,
            house.config.creators,
            house.config.limits,
        )
    )
    house.runner.register(
        CREATE, Creating, congregations.perform_create, congregations.report_failure
    )
    house.registry.collect(CongregationCommands(congregations, house.engine(Membership)))
    welcome = Welcome(
        house.directory,
        house.stores.notices,
        house.runner,
        house.direct_rooms,
        house.settings(WelcomeSettings).welcome_in,
    )
    house.runner.register(WELCOME, Welcoming, welcome.perform, welcome.report_failure)
    house.subscriptions.on(IncomingMember, welcome.on_member)
    house.on_resync(rebuild_congregations)
