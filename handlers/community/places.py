"""The community's places and roles, as commands declare them: where a command may be
sent, who may send it, and what its preconditions found there (the congregation it acts
for, the crew whose room it was sent in, the network). The framework's registry holds
them opaquely; `handlers.community.preconditions` checks them from Matrix state."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from handlers.framework.language import N_
from handlers.framework.registry import CommandContext
from handlers.framework.types import RoomId
from storage.models import Congregation, Crew


class Where(Enum):
    """Where a command may be sent; checked before its handler runs (declaring none:
    anywhere)."""

    DM = N_("a direct message with cohost")
    # A room of the congregation, or a DM when the sender belongs to one congregation.
    CONGREGATION = N_("a room of the congregation")
    HOSTS_ROOM = N_("the congregation's Hosts room")
    CREW_ROOM = N_("the crew's room")
    CREW_OR_HOSTS_ROOM = N_("a crew's room or the Hosts room")
    COMMONS = N_("the network's Commons")
    # For what exists in both: a congregation's crews, and the network's.
    CONGREGATION_OR_COMMONS = N_("a room of the congregation, or the network's Commons")


class Who(Enum):
    """Who may send it there; checked from Matrix state, never from display names
    (declaring none: anyone)."""

    MEMBER = N_("a member of the congregation (in the Commons: a host of a member congregation)")
    HOST = N_("a host of the congregation")
    CREW_MEMBER = N_("a member of the crew")
    # The crew's members in its room, the hosts in the Hosts room.
    RESPONSIBLE = N_("the crew's members or the hosts")
    NETWORK_HOST = N_("a host of one of the network's congregations")


@dataclass(frozen=True)
class Context(CommandContext):
    """The message a command came in, and what its preconditions found: the
    congregation it acts for and the crew whose room it was sent in."""

    found_congregation: Congregation | None = None
    found_crew: Crew | None = None
    found_network: RoomId | None = None

    @property
    def congregation(self) -> Congregation:
        """Declared by `where`: a command may only use it when its place has one."""
        assert self.found_congregation is not None, "command declares no congregation"
        return self.found_congregation

    @property
    def network(self) -> RoomId:
        assert self.found_network is not None, "command declares no network"
        return self.found_network

    @property
    def crew(self) -> Crew:
        assert self.found_crew is not None, "command declares no crew"
        return self.found_crew
