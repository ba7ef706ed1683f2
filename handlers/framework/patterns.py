"""Who is allowed: lists of MXIDs and `*:server.name` patterns (settings `creators`,
`allowed_inviters`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from handlers.framework.types import UserId


def server_of(user_id: str) -> str:
    return user_id.split(":", 1)[1] if ":" in user_id else ""


@dataclass(frozen=True)
class UserPatterns:
    exact: frozenset[str]
    servers: frozenset[str]

    @classmethod
    def parse(cls, patterns: Iterable[str]) -> UserPatterns:
        exact: set[str] = set()
        servers: set[str] = set()
        for pattern in patterns:
            if pattern.startswith("*:"):
                servers.add(pattern[2:])
            else:
                exact.add(pattern)
        return cls(frozenset(exact), frozenset(servers))

    def allows(self, user_id: UserId) -> bool:
        return user_id in self.exact or server_of(user_id) in self.servers
