"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.community.house import House
from handlers.decisions.engine import Decisions
from handlers.framework.types import IncomingMember
from handlers.membership.engine import Membership


def install(house: House) -> None:
    decisions = house.engine(Decisions)
    config = house.config
    membership = house.provide(
        Membership(
            house.directory,
            decisions,
            config.crew_window,
            config.congregation_window,
            config.membership_decided_by,
        )
    )
    for kind, spec in membership.kinds().items():
        decisions.register_kind(kind, spec)
    house.subscriptions.on(IncomingMember, membership.on_member)
