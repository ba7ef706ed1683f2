"""Who is allowed: lists of MXIDs and `*:server.name` patterns (settings `creators`,
`allowed_inviters`), and the word `members`: the members of the congregations this
cohost hosts, on whatever homeserver their accounts are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from handlers.framework.types import UserId


def server_of(user_id: str) -> str:
    return user_id.split(":", 1)[1] if ":" in user_id else ""


MEMBERS = "members"


@dataclass(frozen=True)
class UserPatterns:
    exact: frozenset[str]
    servers: frozenset[str]
    members: bool = False  # also whoever belongs to a congregation cohost hosts

    @classmethod
    def parse(cls, patterns: Iterable[str]) -> UserPatterns:
        exact: set[str] = set()
        servers: set[str] = set()
        members = False
        for pattern in patterns:
            if pattern == MEMBERS:
                members = True
            elif pattern.startswith("*:"):
                servers.add(pattern[2:])
            else:
                exact.add(pattern)
        return cls(frozenset(exact), frozenset(servers), members)

    def allows(self, user_id: UserId) -> bool:
        return user_id in self.exact or server_of(user_id) in self.servers
