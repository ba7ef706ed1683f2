"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.community.house import House
from handlers.decisions.commands import DecisionCommands
from handlers.decisions.engine import Decisions
from handlers.framework.types import IncomingMessage, IncomingReaction, IncomingRedaction


def install(house: House) -> None:
    decisions = house.provide(
        Decisions(
            house.gateway,
            house.directory.shared,
            house.stores.decisions,
            house.stores.notices,
            house.runner,
            house.clock,
            house.config.limits,
        )
    )
    DecisionCommands(decisions).declare(house.registry)
    house.subscriptions.on(IncomingReaction, decisions.on_reaction)
    house.subscriptions.on(IncomingRedaction, decisions.on_redaction)
    # Proposals opened by the other cohosts of a shared room, also from before this
    # cohost was asked in: those still open are taken on.
    house.subscriptions.on(IncomingMessage, decisions.adopt, history=True)
    house.every_tick(decisions.tick)
