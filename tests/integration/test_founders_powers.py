"""Founders' powers stay with founders (SPEC §3.8), on a real Synapse: someone who joined
a room later, at whatever level the room gives its members, cannot change its power
levels, history visibility, encryption or server ACLs, nor upgrade it; and rooms made
with a partial power map are repaired by `cohost repair`."""

from __future__ import annotations

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

ATTEMPTS: list[tuple[str, str, dict[str, object]]] = [
    ("PUT", "state/m.room.history_visibility/", {"history_visibility": "world_readable"}),
    ("PUT", "state/m.room.encryption/", {"algorithm": "m.megolm.v1.aes-sha2", "x": 1}),
    ("PUT", "state/m.room.server_acl/", {"allow": ["*"], "deny": ["evil.example"]}),
    ("POST", "upgrade", {"new_version": "12"}),
]


async def refused_everything(intruder: User, room: str) -> list[str]:
    """What the intruder managed to do in the room (nothing, if founders' powers hold)."""
    done = []
    power_path = f"/_matrix/client/v3/rooms/{quote(room)}/state/m.room.power_levels/"
    status, power = await intruder.api("GET", power_path)
    assert status == 200, power
    grab = {**power, "users": {**power.get("users", {}), intruder.user_id: 100}}
    status, _ = await intruder.api("PUT", power_path, grab)
    if status == 200:
        done.append("power_levels")
    for method, path, body in ATTEMPTS:
        status, _ = await intruder.api(
            method, f"/_matrix/client/v3/rooms/{quote(room)}/{path}", body
        )
        if status == 200:
            done.append(path)
    return done


async def test_later_members_cannot_take_founders_powers(
    homeserver: Homeserver, cohost: CohostProcess, tmp_path: Path
) -> None:
    alice, bob, dave = [
        await User.create(homeserver, unique(n), store=tmp_path / f"{n}-crypto")
        for n in ("alice", "bob", "dave")
    ]
    try:
        riverside = await create_congregation(alice, cohost, "Founders Keep")
        await let_in(alice, riverside.space, bob)
        crew = await create_crew(alice, cohost, riverside.lobby, f"!crew new Keepers {bob.user_id}")
        await bob.join(crew)
        reply = await alice.ask(riverside.hosts_room, "!network create Keep")
        assert "on its way" in reply
        network = linked_room(
            await alice.wait_for_notice(riverside.hosts_room, cohost.user_id, "is ready: ")
        )
        network_facts = await alice.state(network, "cc.microsolidarity.network")
        assert network_facts is not None
        # dave joins later: invited into the crew by a member (level 50 there), and into
        # the open rooms as anyone may (level 0).
        status, body = await bob.api(
            "POST", f"/_matrix/client/v3/rooms/{quote(crew)}/invite", {"user_id": dave.user_id}
        )
        assert status == 200, body
        await dave.join(crew)
        status, power = await dave.api(
            "GET", f"/_matrix/client/v3/rooms/{quote(crew)}/state/m.room.power_levels/"
        )
        assert power["users_default"] == 50  # a crew member's level, all peers
        await dave.join(network_facts["rooms"]["announcements"])

        assert await refused_everything(dave, crew) == []
        assert await refused_everything(dave, network_facts["rooms"]["announcements"]) == []
        # A crew member still renames the crew, as the README's table says.
        status, body = await dave.api(
            "PUT", f"/_matrix/client/v3/rooms/{quote(crew)}/state/m.room.topic/", {"topic": "us"}
        )
        assert status == 200, body

        # A room as an earlier cohost made it: an `events` map with the room's own entries
        # only. `cohost repair` puts the protected types back, once.
        status, power = await alice.api(
            "GET", f"/_matrix/client/v3/rooms/{quote(crew)}/state/m.room.power_levels/"
        )
        power["events"] = {"m.room.name": 50, "m.room.topic": 50}
        status, body = await alice.api(
            "PUT", f"/_matrix/client/v3/rooms/{quote(crew)}/state/m.room.power_levels/", power
        )
        assert status == 200, body
        status, _ = await dave.api(  # the old hole
            "PUT",
            f"/_matrix/client/v3/rooms/{quote(crew)}/state/m.room.history_visibility/",
            {"history_visibility": "shared"},
        )
        assert status == 200

        assert cohost.stop() == 0
        repair = [sys.executable, "-m", "service.cli", "repair"]
        first = subprocess.run(repair, env=cohost.env, capture_output=True, text=True, check=True)
        assert "1 room(s) repaired" in first.stdout, first.stdout + first.stderr
        again = subprocess.run(repair, env=cohost.env, capture_output=True, text=True, check=True)
        assert "0 room(s) repaired" in again.stdout
        cohost.start()
        assert await refused_everything(dave, crew) == []
    finally:
        for user in (alice, bob, dave):
            await user.close()
