"""How the feature is installed into the house (see handlers.community.house)."""

from __future__ import annotations

from handlers.announcements.commands import AnnouncementCommands
from handlers.announcements.engine import Announcements
from handlers.announcements.schema import ORIGIN
from handlers.community.house import House
from handlers.framework.types import IncomingMessage
from handlers.network.membership import NetworkMembership


def install(house: House) -> None:
    announcements = house.provide(Announcements(house.directory, house.engine(NetworkMembership)))
    house.subscriptions.on(IncomingMessage, announcements.relay)
    house.passive(ORIGIN)  # a network announcement, to relay
    house.registry.collect(AnnouncementCommands(announcements))
