"""A network in Matrix, typed: its facts in its space, the register of member
congregations, a congregation's application, and the two reasons that must carry
protocol data because a Matrix knock or invite carries nothing else.

Each is written and read here only; whose writing counts is decided by the one
reader (`handlers.community.facts`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from handlers.framework.names import MAX_NAME_LENGTH
from handlers.framework.text import one_line


class NetworkKind(StrEnum):
    """The network's decision to admit a congregation (its proposals' kind)."""

    NETWORK_JOIN = "network_join"


NETWORK_JOIN = NetworkKind.NETWORK_JOIN


# -- what a knock and an invitation say --------------------------------------------
# A knock and an invitation carry only a reason. The applicant's cohost writes its
# knock as "<name> asks to join this network · <space id>", and a network decision's
# invitation ends with its mark. Only `Knock` and the two functions below write and
# read them; what they read travels structured from then on.
_ASKS = " asks to join this network · "
_SPACE_AT_END = re.compile(r"· (![^\s]+)\s*$")
INVITE_MARK = "cohost:network:"


@dataclass(frozen=True)
class Knock:
    name: str | None
    space: str | None

    def reason(self) -> str:
        return f"{self.name}{_ASKS}{self.space}"

    @classmethod
    def read(cls, reason: str | None) -> Knock:
        text = reason or ""
        found = _SPACE_AT_END.search(text)
        name = text.split(" asks to join", 1)[0] if " asks to join" in text else ""
        return cls(one_line(name, MAX_NAME_LENGTH) or None, found.group(1) if found else None)

    def details(self) -> dict[str, str | None]:
        """As a proposal's structured details."""
        return {"space": self.space, "name": self.name}


def invitation_reason(network: str) -> str:
    return f"Welcome to the network. {INVITE_MARK}{network}"


def invited_to(reason: str | None) -> str | None:
    """The network named in an invitation a network decision sent."""
    if not reason or INVITE_MARK not in reason:
        return None
    rest = reason.split(INVITE_MARK, 1)[1].split()
    return rest[0] if rest else None
