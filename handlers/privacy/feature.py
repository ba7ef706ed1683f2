"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.community.house import House
from handlers.decisions.engine import Decisions
from handlers.privacy.commands import PrivacyCommands
from handlers.rhythm.engine import Rhythm
from handlers.rounds.engine import Rounds


def install(house: House) -> None:
    house.registry.collect(
        PrivacyCommands(
            house.engine(Decisions),
            house.engine(Rhythm),
            house.stores.feedback,
            house.stores.people,
            house.engine(Rounds),
            house.commands,
        )
    )
