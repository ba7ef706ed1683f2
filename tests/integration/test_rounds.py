"""A get-to-know-you round on a real Synapse: five members take part; a round gives a
two and a three, each room made once with everyone of its group invited, nobody in
two groups."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import create_congregation, let_in
from tests.integration.conftest import unique
from tests.integration.matrix_user import User

pytestmark = pytest.mark.integration


async def test_a_round_of_five(homeserver: Homeserver, tmp_path: Path) -> None:
    bot = CohostProcess(homeserver, unique("rounder"), tmp_path / "rounder")
    bot.start()
    people = [
        await User.create(homeserver, unique(n), store=tmp_path / n)
        for n in ("ana", "bo", "cy", "dee", "eve")
    ]
    host = people[0]
    try:
        congregation = await create_congregation(host, bot, "Round Ridge")
        for person in people[1:]:
            await let_in(host, congregation.space, person)
            await person.join(congregation.lobby)
        for person in people:
            assert "get-to-know-you" in await person.ask(congregation.lobby, "!rounds join")
        assert "Round 1: 2 groups" in await host.ask(congregation.hosts_room, "!rounds now")
        invited: dict[str, set[str]] = {}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            invited = {}
            for person in people:
                await person.sync(300)
                for room in person.client.invited_rooms:
                    invited.setdefault(room, set()).add(person.user_id)
            if sum(len(g) for g in invited.values()) >= 5:
                break
        groups = sorted(len(g) for g in invited.values())
        assert groups == [2, 3], invited  # a two and a three, two rooms
        assert set().union(*invited.values()) == {p.user_id for p in people}  # nobody twice
        room, group = next((r, g) for r, g in invited.items() if len(g) == 2)
        members = [p for p in people if p.user_id in group]
        for member in members:
            await member.join(room)
        prompt = await members[0].wait_for_notice(room, bot.user_id, "Welcome to round 1")
        assert "`!rounds again`" in prompt
        assert "When everyone" in await members[0].ask(room, "!rounds again")
        assert "call a crew together" in await members[1].ask(room, "!rounds again")
    finally:
        for person in people:
            await person.close()
        bot.kill()
