"""Consent decisions end to end on a real Synapse: members decide from their clients."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import create_congregation, create_crew, let_in
from tests.integration.conftest import unique
from tests.integration.matrix_user import User

pytestmark = pytest.mark.integration


async def person(hs: Homeserver, tmp_path: Path, name: str) -> User:
    return await User.create(hs, unique(name), store=tmp_path / f"{name}-crypto")


async def proposal_message(user: User, room: str, bot: str, number: int) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for event in user.notices(room, bot):
            if str(event.source["content"]["body"]).startswith(f"Proposal #{number}:"):
                return str(event.event_id)
        await user.sync(1000)
    raise AssertionError(f"proposal #{number} never appeared")


async def react_in_the_clear(user: User, room: str, target: str, key: str) -> None:
    """As Element Web does: a plain m.reaction, even in an encrypted room."""
    content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": key}}
    status, body = await user.api(
        "PUT", f"/_matrix/client/v3/rooms/{quote(room)}/send/m.reaction/{uuid.uuid4().hex}", content
    )
    assert status == 200, body


async def react_encrypted(user: User, room: str, target: str, key: str) -> None:
    """As Element X does: the reaction encrypted like any event of the room."""
    if user.client.should_query_keys:
        await user.client.keys_query()
    await user.client.room_send(
        room,
        "m.reaction",
        {"m.relates_to": {"rel_type": "m.annotation", "event_id": target, "key": key}},
        ignore_unverified_devices=True,
    )


async def test_a_knock_becomes_a_member_by_consent_across_a_restart(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    bot = CohostProcess(homeserver, unique("decider"), tmp_path / "decider")
    bot.start()
    alice, bob, carol, dave = [
        await person(homeserver, tmp_path, n) for n in ("alice", "bob", "carol", "dave")
    ]
    try:
        riverside = await create_congregation(alice, bot, "Consent Creek")
        await let_in(alice, riverside.space, bob)
        crew = await create_crew(alice, bot, riverside.lobby, f"!crew new Walkers {bob.user_id}")
        await bob.join(crew)

        # Dave is a member of the congregation (a host let him into the space), and
        # knocks on the crew: crews form among the congregation's members.
        await let_in(alice, riverside.space, dave)
        status, body = await dave.api(
            "POST", f"/_matrix/client/v3/knock/{quote(crew)}", {"reason": "hello"}
        )
        assert status == 200, body
        message = await proposal_message(alice, crew, bot.user_id, 1)
        await react_in_the_clear(alice, crew, message, "👍")

        bot.stop()
        await react_encrypted(bob, crew, message, "👍")  # cast while cohost is down
        bot.start()

        await alice.wait_for_notice(crew, bot.user_id, "Proposal #1 passed")
        deadline = time.monotonic() + 60
        while crew not in dave.client.invited_rooms and time.monotonic() < deadline:
            await dave.sync(1000)
        await dave.join(crew)
        info = await alice.ask(crew, "!crew info")
        assert dave.user_id in info and "Members (3)" in info
        outcome = await alice.state(crew, "cc.microsolidarity.proposal", "1")
        assert outcome is not None and outcome["status"] == "passed"
        assert outcome["consents"] == sorted([alice.user_id, bob.user_id])

        # A second proposal opens; then Bob invites Carol directly: noted once, not
        # undone, and Carol, who came after #2 opened, does not decide it.
        erin = f"@erin:{homeserver.server_name}"
        assert "Proposal #2 is open" in await alice.ask(crew, f"!crew invite {erin}")
        status, _ = await bob.api(
            "POST", f"/_matrix/client/v3/rooms/{quote(crew)}/invite", {"user_id": carol.user_id}
        )
        assert status == 200
        await alice.wait_for_notice(crew, bot.user_id, f"invited {carol.user_id} directly")
        await carol.join(crew)
        assert "your vote does not count" in await carol.ask(crew, "!consent 2")
        await alice.quiet_for(2)
        noted = [
            e for e in alice.notices(crew, bot.user_id) if "directly" in e.source["content"]["body"]
        ]
        assert len(noted) == 1
        member = await alice.state(crew, "m.room.member", carol.user_id)
        assert member is not None and member["membership"] == "join"
    finally:
        for user in (alice, bob, carol, dave):
            await user.close()
        bot.kill()


async def test_an_objection_blocks_until_withdrawn_and_a_new_host_gets_the_power(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    bot = CohostProcess(homeserver, unique("hostly"), tmp_path / "hostly")
    bot.start()
    alice, bob, carol = [await person(homeserver, tmp_path, n) for n in ("alice", "bob", "carol")]
    try:
        riverside = await create_congregation(alice, bot, "Hosting Hills", [bob])
        status, _ = await alice.api(
            "POST",
            f"/_matrix/client/v3/rooms/{quote(riverside.space)}/invite",
            {"user_id": carol.user_id},
        )
        assert status == 200
        await carol.join(riverside.space)
        hosts = riverside.hosts_room

        assert "Proposal #1 is open" in await alice.ask(hosts, f"!host add {carol.user_id}")
        assert "needs a reason" in await bob.ask(hosts, "!object 1")
        assert "blocks it" in await bob.ask(hosts, "!object 1 let us talk first")
        listing = await alice.ask(hosts, "!proposals")
        assert "1 of 2 consented" in listing and f"objections from {bob.user_id}" in listing
        assert "withdrawn" in await bob.ask(hosts, "!withdraw 1")
        assert "recorded" in await bob.ask(hosts, "!consent 1")
        await alice.wait_for_notice(hosts, bot.user_id, "Proposal #1 passed")

        # Carried out: carol hosts, with the hosts' power level where she is no creator.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            facts = await alice.state(riverside.space, "cc.microsolidarity.congregation")
            if facts and carol.user_id in facts["hosts"]:
                break
            await alice.sync(500)
        for room in (riverside.space, riverside.lobby, riverside.announcements, hosts):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                power = await alice.state(room, "m.room.power_levels")
                if power and power["users"].get(carol.user_id) == 100:
                    break
                await alice.sync(300)
            assert power is not None and power["users"].get(carol.user_id) == 100, room
        while hosts not in carol.client.invited_rooms:
            await carol.sync(500)
        await carol.join(hosts)
        assert "Proposal #2 is open" in await carol.ask(hosts, f"!host remove {bob.user_id}")
        assert "no proposal #9" in await alice.ask(hosts, "!consent 9")
        assert "is closed (passed)" in await alice.ask(hosts, "!consent 1")
    finally:
        for user in (alice, bob, carol):
            await user.close()
        bot.kill()


async def test_a_crew_agrees_on_anything_and_lists_it(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    bot = CohostProcess(homeserver, unique("agreeing"), tmp_path / "agreeing")
    bot.start()
    alice, bob = [await person(homeserver, tmp_path, n) for n in ("alice", "bob")]
    try:
        riverside = await create_congregation(alice, bot, "Agreeable Acres")
        await let_in(alice, riverside.space, bob)
        crew = await create_crew(alice, bot, riverside.lobby, f"!crew new Walkers {bob.user_id}")
        await bob.join(crew)
        assert "Proposal #1 is open" in await bob.ask(crew, "!propose We meet on Tuesdays")
        message = await proposal_message(alice, crew, bot.user_id, 1)
        await react_encrypted(alice, crew, message, "👍")
        await alice.wait_for_notice(crew, bot.user_id, "Proposal #1 passed: “We meet on Tuesdays”")
        record = await alice.state(crew, "cc.microsolidarity.proposal", "1")
        assert record is not None and record["details"] == {"text": "We meet on Tuesdays"}
        assert "We meet on Tuesdays" in await bob.ask(crew, "!decisions")
    finally:
        for user in (alice, bob):
            await user.close()
        bot.kill()
