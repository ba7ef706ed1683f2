"""Members on another homeserver: two Synapses federating over loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from service.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import create_congregation, create_crew
from tests.integration.matrix_user import User

pytestmark = pytest.mark.integration


@pytest.fixture
def two_homeservers(tmp_path: Path) -> Iterator[tuple[Homeserver, Homeserver]]:
    first = Homeserver(tmp_path / "first", federation=True)
    second = Homeserver(tmp_path / "second", federation=True)
    first.start()
    second.start()
    yield first, second
    first.stop()
    second.stop()


async def test_a_member_from_another_homeserver_joins_by_consent_and_calls_a_crew(
    two_homeservers: tuple[Homeserver, Homeserver], tmp_path: Path
) -> None:
    home, away = two_homeservers
    bot = CohostProcess(home, "cohost", tmp_path / "cohost")
    bot.start()
    alice = await User.create(home, "alice", store=tmp_path / "alice")
    rémi = await User.create(away, "remi", store=tmp_path / "remi")
    friend = await User.create(away, "friend", store=tmp_path / "friend")
    try:
        riverside = await create_congregation(alice, bot, "Two Towns")
        # Rémi, on the other homeserver, knocks on the congregation's space.
        status, body = await rémi.api(
            "POST",
            f"/_matrix/client/v3/knock/{quote(riverside.space)}?server_name={home.server_name}",
            {"reason": "I run a crew in the next town"},
        )
        assert status == 200, body
        proposal = await alice.wait_for_notice(riverside.hosts_room, bot.user_id, "Proposal #1:")
        assert rémi.user_id in proposal and "I run a crew in the next town" in proposal
        assert "recorded" in await alice.ask(riverside.hosts_room, "!consent 1")
        deadline = time.monotonic() + 60
        while riverside.space not in rémi.client.invited_rooms and time.monotonic() < deadline:
            await rémi.sync(1000)
        await rémi.join(riverside.space, via=home.server_name)
        await rémi.join(riverside.lobby, via=home.server_name)

        # A member like any other: calls a crew with someone from home.
        crew = await create_crew(
            rémi, bot, riverside.lobby, f"!crew new Bridges {friend.user_id} intention: cross"
        )
        await friend.join(crew, via=home.server_name)
        info = await rémi.ask(crew, "!crew info")
        assert f"called by {rémi.user_id}" in info and "Members (2)" in info

        # Taking a host's display name gives no host's rights.
        status, _ = await rémi.api(
            "PUT",
            f"/_matrix/client/v3/profile/{quote(rémi.user_id)}/displayname",
            {"displayname": "alice"},
        )
        assert status == 200
        status, _ = await alice.api(
            "POST",
            f"/_matrix/client/v3/rooms/{quote(riverside.hosts_room)}/invite",
            {"user_id": rémi.user_id},
        )
        assert status == 200
        await rémi.join(riverside.hosts_room, via=home.server_name)
        assert "Only the hosts" in await rémi.ask(riverside.hosts_room, "!announce I am alice now")
    finally:
        for user in (alice, rémi, friend):
            await user.close()
        bot.kill()
