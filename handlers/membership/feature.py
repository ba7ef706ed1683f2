"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel

from handlers.community.house import House
from handlers.decisions.engine import Decisions
from handlers.framework.types import IncomingMember
from handlers.membership.engine import Membership


class MembershipSettings(BaseModel):
    """Who decides who joins, and for how long a decision stays open."""

    crew_window: timedelta = timedelta(days=2)
    congregation_window: timedelta = timedelta(days=7)
    # Its hosts (in the Hosts room) or its members (in the Lobby).
    membership_decided_by: Literal["hosts", "members"] = "hosts"


def install(house: House) -> None:
    decisions = house.engine(Decisions)
    settings = house.settings(MembershipSettings)
    membership = house.provide(
        Membership(
            house.directory,
            decisions,
            settings.crew_window,
            settings.congregation_window,
            settings.membership_decided_by,
        )
    )
    for kind, spec in membership.kinds().items():
        decisions.register_kind(kind, spec)
    house.subscriptions.on(IncomingMember, membership.on_member)
