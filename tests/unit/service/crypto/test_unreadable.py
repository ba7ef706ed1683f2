"""A sender whose message cohost cannot read is told once per session of theirs and
once a day per room, also when cohost restarts in between (the record is in the
database)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from service.crypto.unreadable import Unreadable
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
    # Another person: told. Sessions made up by the hundred the same day: told once.
    await unreadable(world)._tell(ROOM, undecryptable("@bo:example.org", "s1"))
    for n in range(100):
        await unreadable(world)._tell(ROOM, undecryptable("@ana:example.org", f"made-up{n}"))
    assert len(world.gateway.notices_in(ROOM)) == 2
    # Another session of hers on another day: told again.
    world.clock.advance(timedelta(days=1))
    await unreadable(world)._tell(ROOM, undecryptable("@ana:example.org", "s2"))
    assert len(world.gateway.notices_in(ROOM)) == 3
