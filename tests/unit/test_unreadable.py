"""A sender whose message cohost cannot read is told once per session of theirs, also
when cohost restarts in between (the record is in the database)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from service.unreadable import Unreadable
from tests.unit.world import World

ROOM = "!crew:example.org"


def unreadable(world: World) -> Unreadable:
    client: Any = SimpleNamespace(user_id=world.gateway.user_id)
    return Unreadable(client, world.gateway, redeliver, world.cohost.sessions, world.clock)


async def redeliver(room_id: str, event: object) -> None:
    raise AssertionError("nothing is read late here")


def undecryptable(sender: str, session: str) -> Any:
    return SimpleNamespace(sender=sender, session_id=session, event_id=f"${session}")


async def test_told_once_per_session_also_across_a_restart(world: World) -> None:
    await unreadable(world)._tell(ROOM, undecryptable("@ana:example.org", "s1"))
    await unreadable(world)._tell(ROOM, undecryptable("@ana:example.org", "s1"))
    await world.restart()
    await unreadable(world)._tell(ROOM, undecryptable("@ana:example.org", "s1"))
    assert len(world.gateway.notices_in(ROOM)) == 1
    assert "@ana:example.org, I could not read" in world.gateway.notices_in(ROOM)[0]
    # Another session of hers, or another person: told again.
    await unreadable(world)._tell(ROOM, undecryptable("@ana:example.org", "s2"))
    await unreadable(world)._tell(ROOM, undecryptable("@bo:example.org", "s1"))
    assert len(world.gateway.notices_in(ROOM)) == 3
