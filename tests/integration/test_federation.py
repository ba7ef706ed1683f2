"""Members on another homeserver: two Synapses federating over loopback."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import (
    create_congregation,
    create_crew,
    let_in,
    linked_room,
)
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
        # Before he is a member, a DM he opens with cohost is declined, as a stranger's.
        status, body = await rémi.api(
            "POST", "/_matrix/client/v3/createRoom", {"is_direct": True, "invite": [bot.user_id]}
        )
        assert status == 200, body
        too_early = body["room_id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            member = await rémi.state(too_early, "m.room.member", bot.user_id)
            if member is not None and member.get("membership") == "leave":
                break
            await rémi.sync(500)
        assert member is not None and member.get("membership") == "leave", member
        await rémi.join(riverside.space, via=home.server_name)
        await rémi.join(riverside.lobby, via=home.server_name)

        # A member from another homeserver: welcomed in the Lobby by a mention, and an
        # encrypted DM he opens with cohost is greeted and answered.
        welcome = await alice.wait_for_notice(riverside.lobby, bot.user_id, "Welcome to")
        assert rémi.user_id in welcome, welcome
        dm = await rémi.create_dm(bot.user_id, encrypted=True, within=60)
        assert "Pong" in await rémi.ask(dm, "!ping")
        assert await rémi.wait_for_notice(dm, bot.user_id, "I am cohost")

        # A member like any other: calls a crew with a friend, who joined the
        # congregation too.
        await let_in(alice, riverside.space, friend, via=home.server_name)
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


async def announcements_seen(user: User, room: str, text: str) -> int:
    history = await user.history(room)
    return sum(1 for e in history if text in str(e.get("content", {}).get("body", "")))


async def wait_until_seen(user: User, room: str, text: str, within: float = 60) -> int:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        count = await announcements_seen(user, room, text)
        if count:
            return count
        await user.sync(500)
    return 0


async def test_a_congregation_on_another_homeserver_joins_the_network_and_announcements_cross(
    two_homeservers: tuple[Homeserver, Homeserver], tmp_path: Path
) -> None:
    home, away = two_homeservers
    bot_a = CohostProcess(home, "cohost", tmp_path / "cohost-a")
    bot_b = CohostProcess(away, "cohost", tmp_path / "cohost-b")
    bot_a.start()
    bot_b.start()
    alice = await User.create(home, "alice", store=tmp_path / "alice")
    bea = await User.create(away, "bea", store=tmp_path / "bea")
    try:
        riverside = await create_congregation(alice, bot_a, "Riverside")
        hilltop = await create_congregation(bea, bot_b, "Hilltop")
        assert "on its way" in await alice.ask(riverside.hosts_room, "!network create Rivers")
        network = linked_room(
            await alice.wait_for_notice(riverside.hosts_room, bot_a.user_id, "is ready: ")
        )
        facts = await alice.state(riverside.space, "cc.microsolidarity.congregation")
        assert facts is not None and facts["network"] == network
        await alice.join(network)
        network_facts = await alice.state(network, "cc.microsolidarity.network")
        assert network_facts is not None
        commons = network_facts["rooms"]["commons"]
        await alice.join(commons)

        link = f"https://matrix.to/#/{network}?via={home.server_name}"
        assert "I knocked" in await bea.ask(hilltop.hosts_room, f"!network join {link}")
        proposal = await alice.wait_for_notice(commons, bot_a.user_id, "Proposal #1:")
        assert (
            "which it calls “Hilltop”" in proposal
            and "the 1 member congregation, its voice given by any of its hosts" in proposal
        )
        assert "recorded" in await alice.ask(commons, "!consent 1")
        await bea.wait_for_notice(
            hilltop.hosts_room, bot_b.user_id, "is now a member of the network", within=90
        )

        # Hilltop is linked into the network, its cohost holds the hosts' level there.
        child = await alice.state(network, "m.space.child", hilltop.space)
        assert child is not None and child["via"]
        for room in (network, commons, network_facts["rooms"]["announcements"]):
            power = await alice.state(room, "m.room.power_levels")
            assert power is not None and power["users"].get(bot_b.user_id) == 100, room
        info = await bea.ask(hilltop.hosts_room, "!network info")
        assert "**Rivers**" in info and "Congregations: **Hilltop**, **Riverside**" in info

        # The network decides about anything: Bea proposes in the Commons (her cohost
        # opens it, Riverside's adopts it), Alice consents, the outcome is posted once.
        await bea.join(commons, home.server_name)
        reply = await bea.ask(commons, "!propose The network meets on the first Monday")
        assert "Proposal #2 is open" in reply
        await alice.wait_for_notice(commons, bot_b.user_id, "Proposal #2:")
        assert "recorded" in await alice.ask(commons, "!consent 2")
        agreed = "Proposal #2 passed: “The network meets on the first Monday”"
        await alice.wait_for_notice(commons, bot_b.user_id, agreed)
        await alice.quiet_for(3)
        outcomes = [
            e
            for bot in (bot_a.user_id, bot_b.user_id)
            for e in alice.notices(commons, bot)
            if str(e.source["content"]["body"]).startswith("Proposal #2 passed")
        ]
        assert len(outcomes) == 1
        listed = await alice.ask(commons, "!decisions")  # answered by Riverside's cohost
        assert "#2" in listed and "The network meets on the first Monday" in listed
        # One tally everywhere: nobody consented to their own proposal, and each cohost,
        # answering its own congregation's host, reads the same.
        for person in (alice, bea):
            assert "No proposals are open" in await person.ask(commons, "!proposals")
            agreed_here = await person.ask(commons, "!decisions")
            assert "The network meets on the first Monday" in agreed_here, agreed_here

        # Bea, a host with level 100 in the network space on the other homeserver, forges
        # the register: an entry naming herself as a congregation's cohost, and Riverside's
        # entry taken over by Hilltop's cohost name. Neither counts, on either side.
        member = "cc.microsolidarity.member"
        await bea.join(network, home.server_name)
        for key, entry in (
            ("!forged:elsewhere", {"name": "Forged", "bot": bea.user_id, "hosts": [bea.user_id]}),
            (riverside.space, {"name": "Riverside", "bot": bot_b.user_id, "hosts": []}),
        ):
            path = f"/_matrix/client/v3/rooms/{quote(network)}/state/{member}/{quote(key)}"
            status, body = await bea.api("PUT", path, entry)
            assert status == 200, body  # Matrix lets her: only cohost's reading refuses it
        announcements = network_facts["rooms"]["announcements"]
        await bea.join(announcements, home.server_name)
        status, body = await bea.api(
            "PUT",
            f"/_matrix/client/v3/rooms/{quote(announcements)}/send/m.room.message/forged1",
            {
                "msgtype": "m.text",
                "body": "Forged: the network is closing",
                "cc.microsolidarity.origin": {"name": "Forged", "text": "the network is closing"},
            },
        )
        assert status == 200, body
        for person, room in ((alice, riverside.hosts_room), (bea, hilltop.hosts_room)):
            info = await person.ask(room, "!network info")
            assert "Congregations: **Hilltop**, **Riverside**" in info, info
        assert "Posted to the network" in await alice.ask(
            riverside.hosts_room, "!announce network Still ours"
        )
        assert await wait_until_seen(bea, hilltop.announcements, "From Riverside: Still ours") == 1
        assert await announcements_seen(alice, riverside.announcements, "closing") == 0
        assert await announcements_seen(bea, hilltop.announcements, "closing") == 0

        # A network announcement from Hilltop reaches both congregations once.
        assert "Posted to the network" in await bea.ask(
            hilltop.hosts_room, "!announce network Picnic on Sunday"
        )
        assert (
            await wait_until_seen(alice, riverside.announcements, "From Hilltop: Picnic on Sunday")
            == 1
        )
        assert (
            await wait_until_seen(bea, hilltop.announcements, "From Hilltop: Picnic on Sunday") == 1
        )

        # The away homeserver is down while Riverside announces: Hilltop catches up, once.
        away.stop()
        assert "Posted to the network" in await alice.ask(
            riverside.hosts_room, "!announce network Rain plan: the barn"
        )
        away.start()
        seen = await wait_until_seen(
            bea, hilltop.announcements, "From Riverside: Rain plan", within=120
        )
        await bea.quiet_for(3)
        assert seen == 1
        assert (
            await announcements_seen(bea, hilltop.announcements, "From Riverside: Rain plan") == 1
        )
        assert await announcements_seen(alice, riverside.announcements, "From Hilltop: Picnic") == 1

        # Hilltop's cohost loses its database and rebuilds the network picture from Matrix.
        before = await bea.ask(hilltop.hosts_room, "!network info")
        bot_b.stop()
        (bot_b.dir / "data" / "cohost.db").unlink()
        result = subprocess.run(
            [sys.executable, "-m", "service.cli", "resync"],
            env=bot_b.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert "1 network(s)" in result.stdout
        bot_b.start()
        assert await bea.ask(hilltop.hosts_room, "!network info") == before
        theirs = await alice.ask(riverside.hosts_room, "!network info")
        assert before.splitlines()[:2] == theirs.splitlines()[:2]  # name, congregations

        # Hilltop leaves: out of the register and the space, its cohost out of the rooms.
        assert "is leaving" in await bea.ask(hilltop.hosts_room, "!network leave")
        await bea.wait_for_notice(hilltop.hosts_room, bot_b.user_id, "has left the network")
        assert not await bea.state(hilltop.space, "m.space.parent", network)
        announcements = network_facts["rooms"]["announcements"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, joined = await alice.api(
                "GET", f"/_matrix/client/v3/rooms/{quote(announcements)}/joined_members"
            )
            entry = await alice.state(network, "cc.microsolidarity.member", hilltop.space)
            if bot_b.user_id not in joined["joined"] and not entry:
                break
            await alice.sync(500)
        assert bot_b.user_id not in joined["joined"] and not entry
        assert not await alice.state(network, "m.space.child", hilltop.space)
        assert "Congregations: **Riverside**\n" in await alice.ask(
            riverside.hosts_room, "!network info"
        )
        assert "not part of a network" in await bea.ask(hilltop.hosts_room, "!network info")
    finally:
        await alice.close()
        await bea.close()
        bot_a.kill()
        bot_b.kill()
