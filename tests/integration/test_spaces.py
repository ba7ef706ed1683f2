"""Crews, congregations and the network as co-owned Matrix spaces, on a real Synapse."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import create_congregation, create_crew, let_in, linked_room
from tests.integration.conftest import unique
from tests.integration.matrix_user import User

pytestmark = pytest.mark.integration


async def person(hs: Homeserver, tmp_path: Path, name: str) -> User:
    # Crew rooms are end-to-end encrypted: every person here has a device with keys.
    return await User.create(hs, unique(name), store=tmp_path / f"{name}-crypto")


async def test_the_hierarchy_and_ownership_as_members_see_them(
    homeserver: Homeserver, cohost: CohostProcess, tmp_path: Path
) -> None:
    alice, bob, carol = [await person(homeserver, tmp_path, n) for n in ("alice", "bob", "carol")]
    try:
        riverside = await create_congregation(alice, cohost, "Riverside", [bob])
        crew = await create_crew(
            alice,
            cohost,
            riverside.lobby,
            f"!crew new Walkers {bob.user_id} intention: walk and talk",
        )
        await bob.join(crew)
        reply = await alice.ask(riverside.hosts_room, "!network create Rivers")
        assert "on its way" in reply
        network = linked_room(
            await alice.wait_for_notice(riverside.hosts_room, cohost.user_id, "is ready: ")
        )
        await alice.join(network)

        # The whole tree, from the network down to the crews, through /hierarchy.
        status, tree = await alice.api(
            "GET", f"/_matrix/client/v1/rooms/{quote(network)}/hierarchy"
        )
        assert status == 200, tree
        seen = {room["room_id"]: room for room in tree["rooms"]}
        expected = {
            network,
            riverside.space,
            riverside.lobby,
            riverside.announcements,
            riverside.hosts_room,
            crew,
        }
        assert expected <= set(seen)
        assert (
            seen[network]["room_type"] == "m.space"
            and seen[riverside.space]["room_type"] == "m.space"
        )
        assert seen[crew]["join_rule"] == "knock"
        assert seen[riverside.space]["join_rule"] == "knock"
        assert seen[riverside.lobby]["join_rule"] == "restricted"
        children = {c["state_key"]: c["content"] for c in seen[riverside.space]["children_state"]}
        assert children[crew]["via"] and children[crew]["order"].startswith("50-")
        assert await alice.state(crew, "m.space.parent", riverside.space) == {
            "via": [cohost.user_id.split(":", 1)[1]],
            "canonical": True,
        }

        # Ownership: the founding humans are co-creators; cohost is never alone at the top.
        for room, founders in (
            (riverside.space, {alice.user_id, bob.user_id}),
            (riverside.announcements, {alice.user_id, bob.user_id}),
            (crew, {alice.user_id, bob.user_id}),
            (network, {alice.user_id, bob.user_id}),
        ):
            create = await alice.state(room, "m.room.create")
            assert create is not None and create["room_version"] == "12"
            assert set(create["additional_creators"]) == founders
            power = await alice.state(room, "m.room.power_levels")
            assert power is not None and power["users"] == {}
        announcements_power = await alice.state(riverside.announcements, "m.room.power_levels")
        assert announcements_power is not None and announcements_power["events_default"] == 100
        assert await alice.state(crew, "m.room.encryption") == {"algorithm": "m.megolm.v1.aes-sha2"}

        # Someone outside the crew cannot read it.
        status, body = await carol.api(
            "GET", f"/_matrix/client/v3/rooms/{quote(crew)}/messages?dir=b"
        )
        assert status == 403, body

        # Answers in an encrypted crew room.
        info = await bob.ask(crew, "!crew info")
        assert "**Walkers** — called by" in info and "Intention: “walk and talk”" in info
    finally:
        for user in (alice, bob, carol):
            await user.close()


async def test_bad_input_gets_a_clear_reply_and_changes_nothing(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    alice, mallory, outsider = [
        await person(homeserver, tmp_path, n) for n in ("alice", "mallory", "outsider")
    ]
    # Only alice may create congregations on this cohost.
    bot = CohostProcess(
        homeserver, unique("strict"), tmp_path / "strict", creators=f'["{alice.user_id}"]'
    )
    bot.start()
    try:
        riverside = await create_congregation(alice, bot, "Bad Input Town")
        await create_crew(alice, bot, riverside.lobby, "!crew new Walkers")
        # Mallory becomes a member and is even let into the Hosts room, but is no host.
        for room in (riverside.space, riverside.hosts_room):
            status, _ = await alice.api(
                "POST",
                f"/_matrix/client/v3/rooms/{quote(room)}/invite",
                {"user_id": mallory.user_id},
            )
            assert status == 200
            await mallory.join(room)
        await mallory.join(riverside.lobby)
        mallory_dm = await mallory.create_dm(bot.user_id, encrypted=False)
        outsider_dm = await outsider.create_dm(bot.user_id, encrypted=False)
        cases = [
            (alice, riverside.lobby, '!crew new ""', "Give the crew a name"),
            (alice, riverside.lobby, "!crew new " + "n" * 65, "keep it to 64"),
            (alice, riverside.lobby, "!crew new walkers", "already has a crew called"),
            (alice, riverside.lobby, "!crew new Bakers @bob", "not a Matrix user id"),
            (alice, riverside.lobby, "!crew new Bakers @bob:", "not a Matrix user id"),
            (outsider, outsider_dm, "!crew new Outsiders", "not a member of any congregation"),
            (mallory, mallory_dm, "!congregation create Mine", "setting `creators`"),
            (mallory, riverside.hosts_room, "!network create Mine", "Only the hosts"),
            (mallory, riverside.lobby, "!network create Mine", "Hosts room"),
            (mallory, mallory_dm, "!frobnicate", "`!help`"),
            (alice, riverside.lobby, "!proposal", "Did you mean `!proposals`?"),
        ]
        for user, room, command, expected in cases:
            assert expected in await user.ask(room, command), command
        # Help fits the room and the asker; cohost answers when addressed by name.
        lobby_help = await mallory.ask(riverside.lobby, "!help")
        assert "`!crew new" in lobby_help and "`!congregation create" not in lobby_help
        assert "`!host add" not in lobby_help and "`!help all`" in lobby_help
        assert "Pong" in await alice.ask(riverside.lobby, "!cohost ping")
        # Another bot's command in a room shared with people is left to that bot.
        roll = await alice.send(riverside.lobby, "!roll 2d6")
        assert await alice.replies_to(riverside.lobby, roll, within=5) == []
        # Nothing changed: still one crew, no network, no new invitation.
        listing = await alice.ask(riverside.lobby, "!crew list")
        assert listing.count("called by") == 1
        assert "not part of a network" in await alice.ask(riverside.lobby, "!network info")
        for user in (alice, mallory, outsider):
            await user.sync(0)
            assert not user.client.invited_rooms
    finally:
        for user in (alice, mallory, outsider):
            await user.close()
        bot.kill()


async def test_release_leaves_the_crew_governing_itself(
    homeserver: Homeserver, cohost: CohostProcess, tmp_path: Path
) -> None:
    alice, bob, dave, erin = [
        await person(homeserver, tmp_path, n) for n in ("alice", "bob", "dave", "erin")
    ]
    try:
        riverside = await create_congregation(alice, cohost, "Release Valley")
        await let_in(alice, riverside.space, bob)
        crew = await create_crew(alice, cohost, riverside.lobby, f"!crew new Walkers {bob.user_id}")
        await bob.join(crew)
        # Dave joins later, through an invitation from a member: no founder's rank.
        status, _ = await bob.api(
            "POST", f"/_matrix/client/v3/rooms/{quote(crew)}/invite", {"user_id": dave.user_id}
        )
        assert status == 200
        await dave.join(crew)

        reply = await bob.ask(crew, "!release")
        assert "Releasing the crew **Walkers**" in reply
        await bob.wait_for_member(crew, bob.user_id)
        for _ in range(60):
            member = await bob.state(crew, "m.room.member", cohost.user_id)
            if member and member["membership"] == "leave":
                break
            await bob.sync(500)
        assert member and member["membership"] == "leave"
        released = await bob.state(crew, "cc.microsolidarity.release", cohost.user_id)
        assert released is not None and released["released_by"] == bob.user_id

        # A member without a founder's rank governs with the others.
        status, body = await dave.api(
            "PUT",
            f"/_matrix/client/v3/rooms/{quote(crew)}/state/m.room.topic/",
            {"topic": "our own now"},
        )
        assert status == 200, body
        status, body = await dave.api(
            "POST", f"/_matrix/client/v3/rooms/{quote(crew)}/invite", {"user_id": erin.user_id}
        )
        assert status == 200, body
        # The crew still shows as released in the congregation.
        assert "released" in await alice.ask(riverside.lobby, "!crew list")
    finally:
        for user in (alice, bob, dave, erin):
            await user.close()


async def test_when_cohost_vanishes_the_founders_hold_every_power(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    bot = CohostProcess(homeserver, unique("vanishing"), tmp_path / "vanishing")
    bot.start()
    alice, bob = [await person(homeserver, tmp_path, n) for n in ("alice", "bob")]
    try:
        riverside = await create_congregation(alice, bot, "Vanishing Point")
        await let_in(alice, riverside.space, bob)
        crew = await create_crew(alice, bot, riverside.lobby, f"!crew new Walkers {bob.user_id}")
        await bob.join(crew)
        bot.kill()  # gone for good

        status, body = await bob.api(
            "PUT",
            f"/_matrix/client/v3/rooms/{quote(crew)}/state/m.room.topic/",
            {"topic": "still here"},
        )
        assert status == 200, body
        status, body = await alice.api(
            "PUT",
            f"/_matrix/client/v3/rooms/{quote(riverside.space)}/state/m.room.name/",
            {"name": "Vanishing Point, hosted by us"},
        )
        assert status == 200, body
        # A founder upgrades the crew to a room cohost is not in.
        status, body = await alice.api(
            "POST", f"/_matrix/client/v3/rooms/{quote(crew)}/upgrade", {"new_version": "12"}
        )
        assert status == 200, body
        new_room = body["replacement_room"]
        status, members = await alice.api(
            "GET", f"/_matrix/client/v3/rooms/{quote(new_room)}/joined_members"
        )
        assert status == 200 and bot.user_id not in members["joined"]
    finally:
        await alice.close()
        await bob.close()
        bot.kill()


async def test_resync_rebuilds_the_same_answers_after_the_database_is_lost(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    bot = CohostProcess(homeserver, unique("forgetful"), tmp_path / "forgetful")
    bot.start()
    alice, bob = [await person(homeserver, tmp_path, n) for n in ("alice", "bob")]
    try:
        riverside = await create_congregation(alice, bot, "Memory Lane", [bob])
        await create_crew(
            alice, bot, riverside.lobby, f"!crew new Walkers {bob.user_id} intention: remember"
        )
        await create_crew(bob, bot, riverside.lobby, "!crew new Bakers")
        questions = ["!crew list", "!crew info Walkers", "!crew info Bakers", "!congregation info"]
        before = [await alice.ask(riverside.lobby, q) for q in questions]

        bot.stop()
        (bot.dir / "data" / "cohost.db").unlink()
        result = subprocess.run(
            [sys.executable, "-m", "service.cli", "resync"],
            env=bot.env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=os.getcwd(),
        )
        assert result.returncode == 0, result.stderr
        assert "1 congregation(s), 2 crew(s)" in result.stdout
        bot.start()
        after = [await alice.ask(riverside.lobby, q) for q in questions]
        assert after == before
    finally:
        await alice.close()
        await bob.close()
        bot.kill()


async def test_rooms_upgraded_by_their_founder_are_followed(
    homeserver: Homeserver, cohost: CohostProcess, tmp_path: Path
) -> None:
    """Alice upgrades the crew room and the Lobby, as Element does (the old room's members
    invited to the new one; cohost named a creator): cohost follows both, the proposal
    open in the crew goes on and passes there, and the space lists the new rooms."""
    alice, bob = [await person(homeserver, tmp_path, n) for n in ("alice", "bob")]
    try:
        riverside = await create_congregation(alice, cohost, "Upgrade Hill")
        await let_in(alice, riverside.space, bob)
        crew = await create_crew(alice, cohost, riverside.lobby, f"!crew new Walkers {bob.user_id}")
        await bob.join(crew)
        assert "Proposal #1 is open" in await alice.ask(crew, "!propose We meet outside")
        successors = {}
        for old in (crew, riverside.lobby):
            status, body = await alice.api(
                "POST",
                f"/_matrix/client/v3/rooms/{quote(old)}/upgrade",
                {"new_version": "12", "additional_creators": [cohost.user_id]},
            )
            assert status == 200, body
            new = successors[old] = body["replacement_room"]
            for member in (bob.user_id, cohost.user_id):
                status, body = await alice.api(
                    "POST", f"/_matrix/client/v3/rooms/{quote(new)}/invite", {"user_id": member}
                )
                # cohost may have joined already, following the tombstone.
                assert status == 200 or "already in the room" in body.get("error", ""), body
            await bob.join(new)
        new_crew, new_lobby = successors[crew], successors[riverside.lobby]
        await alice.wait_for_notice(new_crew, cohost.user_id, "continues the one", within=60)
        await alice.wait_for_notice(new_lobby, cohost.user_id, "continues the one", within=60)
        carried = await bob.wait_for_notice(new_crew, cohost.user_id, "Carried over")
        assert "Proposal #1:" in carried
        assert "Walkers" in await bob.ask(new_crew, "!crew info")
        assert "recorded" in await bob.ask(new_crew, "!consent 1")
        await alice.wait_for_notice(new_crew, cohost.user_id, "Proposal #1 passed")
        assert "Walkers" in await bob.ask(new_lobby, "!crew list")
        status, body = await alice.api(
            "GET", f"/_matrix/client/v1/rooms/{quote(riverside.space)}/hierarchy"
        )
        assert status == 200, body
        listed = {r["room_id"] for r in body["rooms"]}
        assert {new_crew, new_lobby} <= listed and not {crew, riverside.lobby} & listed
    finally:
        for user in (alice, bob):
            await user.close()
