"""A rogue peer cohost on its own homeserver (SPEC §3.10): a bot of the suite's own,
admitted to the network by a real decision, then writing what a member cohost can
write in the network's rooms. Riverside's cohost, on the other homeserver, believes
none of it: no forged vote, no admission nobody decided, no other congregation's entry
or network facts, and no flood of overwrites pushing a fact out of reach."""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import create_congregation, create_network
from tests.integration.matrix_user import User
from tests.integration.test_federation import two_homeservers  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration

PROPOSAL = "cc.microsolidarity.proposal"
MEMBER = "cc.microsolidarity.member"
NETWORK = "cc.microsolidarity.network"
_txn = itertools.count()


async def put_state(user: User, room: str, kind: str, key: str, content: dict[str, Any]) -> str:
    path = f"/_matrix/client/v3/rooms/{quote(room)}/state/{kind}/{quote(key, safe='')}"
    status, body = await user.api("PUT", path, content)
    assert status == 200, body
    return str(body["event_id"])


async def post(user: User, room: str, content: dict[str, Any]) -> str:
    path = f"/_matrix/client/v3/rooms/{quote(room)}/send/m.room.message/rogue{next(_txn)}"
    status, body = await user.api("PUT", path, content)
    assert status == 200, body
    return str(body["event_id"])


async def arrived(user: User, room: str, kind: str, key: str, content: dict[str, Any]) -> None:
    """Until the user's homeserver (cohost's too) holds this state, sent from the other."""
    deadline = time.monotonic() + 30
    while await user.state(room, kind, key) != content and time.monotonic() < deadline:
        await user.sync(300)
    assert await user.state(room, kind, key) == content


async def invited(user: User, room: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while room not in user.client.invited_rooms and time.monotonic() < deadline:
        await user.sync(500)
    assert room in user.client.invited_rooms, room


async def test_a_rogue_peer_cohost_changes_nothing(
    two_homeservers: tuple[Homeserver, Homeserver],  # noqa: F811
    tmp_path: Path,
) -> None:
    home, away = two_homeservers
    bot = CohostProcess(home, "cohost", tmp_path / "cohost")
    bot.start()
    alice = await User.create(home, "alice", store=tmp_path / "alice")
    rogue = await User.create(away, "rogue")
    try:
        riverside = await create_congregation(alice, bot, "Riverside")
        rivers = await create_network(alice, bot, riverside, "Rivers")
        network, commons = rivers.space, rivers.commons
        info = "!network info"

        # The rogue applies for a space of its own, and the network admits it.
        status, made = await rogue.api(
            "POST", "/_matrix/client/v3/createRoom", {"creation_content": {"type": "m.space"}}
        )
        assert status == 200, made
        hilltop = made["room_id"]
        status, body = await rogue.api(
            "POST",
            f"/_matrix/client/v3/knock/{quote(network)}?server_name={home.server_name}",
            {"reason": f"Hilltop asks to join this network · {hilltop}"},
        )
        assert status == 200, body
        await alice.wait_for_notice(commons, bot.user_id, "Proposal #1:")
        assert "recorded" in await alice.ask(commons, "!consent 1")
        for room in (network, commons):
            await invited(rogue, room)
            await rogue.join(room, home.server_name)
        entry = {"name": "Hilltop", "bot": rogue.user_id, "hosts": [rogue.user_id]}
        await put_state(rogue, network, MEMBER, hilltop, entry)
        await arrived(alice, network, MEMBER, hilltop, entry)
        assert "Congregations: **Hilltop**, **Riverside**" in await alice.ask(
            riverside.hosts_room, info
        )
        now = datetime.now(UTC)
        window = {"opened_at": now.isoformat(), "closes_at": (now + timedelta(days=7)).isoformat()}
        group = {
            "deciders": sorted([riverside.space, hilltop]),
            "voices": {alice.user_id: riverside.space, rogue.user_id: hilltop},
        }
        forged_consent = {"event": "$never-sent", "voter": alice.user_id, "act": "consent", "ts": 1}

        # 1. A proposal whose record lists a consent Alice never sent is not taken on.
        spec = {
            "kind": "network_join",
            "subject": "@mallory:evil.example",
            "scope": network,
            "proposer": None,
            "opening_key": "$rogue-opening",
            "details": {"space": "!evil:evil.example", "name": "Evil"},
            **group,
            **window,
        }
        await put_state(rogue, commons, PROPOSAL, "2", {**spec, "acts": [forged_consent]})
        await post(
            rogue,
            commons,
            {"msgtype": "m.text", "body": "Proposal #2", PROPOSAL: {**spec, "number": 2}},
        )
        refused = await alice.wait_for_notice(commons, bot.user_id, "do not show", within=60)
        assert "#2" in refused
        assert "No proposals are open" in await alice.ask(commons, "!proposals")

        # 2./3. An admission nobody decided (of itself, for Riverside's own space), then
        # Riverside's register entry and the network's facts rewritten as its own.
        admitted = {
            **spec,
            "subject": rogue.user_id,
            "details": {"space": riverside.space, "name": "Riverside"},
            "status": "passed",
            "acts": [forged_consent],
            "consents": [riverside.space, hilltop],
            "closed_at": now.isoformat(),
        }
        await put_state(rogue, commons, PROPOSAL, "3", admitted)
        await arrived(alice, commons, PROPOSAL, "3", admitted)
        taken = {"name": "Taken over", "bot": rogue.user_id, "hosts": [rogue.user_id]}
        await put_state(rogue, network, MEMBER, riverside.space, taken)
        facts = await alice.state(network, NETWORK)
        assert facts is not None
        rewritten = {**facts, "rooms": {"commons": hilltop}}
        await put_state(rogue, network, NETWORK, "", rewritten)
        await arrived(alice, network, MEMBER, riverside.space, taken)
        await arrived(alice, network, NETWORK, "", rewritten)
        reply = await alice.ask(riverside.hosts_room, info)
        assert "Congregations: **Hilltop**, **Riverside**" in reply, reply
        assert "Taken over" not in reply
        # Riverside's cohost wrote its own facts back, for every reader to see.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            restored = await alice.state(network, MEMBER, riverside.space)
            if restored and restored.get("bot") == bot.user_id:
                break
            await alice.sync(1000)
        assert restored and restored.get("name") == "Riverside", restored
        assert await alice.state(network, NETWORK) == facts

        # 4. Sixty overwrites push the rightful version beyond any look-back: still kept.
        for n in range(60):
            await put_state(rogue, network, MEMBER, riverside.space, {**taken, "name": f"T{n}"})
        await arrived(alice, network, MEMBER, riverside.space, {**taken, "name": "T59"})
        reply = await alice.ask(riverside.hosts_room, info)
        assert "Congregations: **Hilltop**, **Riverside**" in reply, reply
    finally:
        await alice.close()
        await rogue.close()
        bot.kill()
