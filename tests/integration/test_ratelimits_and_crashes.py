"""cohost under Synapse's rate limits, and killed in the middle of a creation."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import pytest

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import create_congregation, let_in, linked_room
from tests.integration.conftest import unique
from tests.integration.matrix_user import User

pytestmark = pytest.mark.integration

# Synapse's default limits, with two rates sped up so the suite stays within its time
# budget: room creation (default 0.016/s, i.e. one a minute after a burst of 10) and
# messages (default 0.2/s). Burst sizes, invites, joins and logins keep their defaults.
# COHOST_TEST_TRUE_DEFAULTS=1 runs Synapse's defaults unchanged (about ten minutes).
SPEED_UP = 1 if os.environ.get("COHOST_TEST_TRUE_DEFAULTS") else 10
LIMITS = f"""
rc_room_creation: {{per_second: {0.016 * SPEED_UP}, burst_count: 10}}
rc_message: {{per_second: {0.2 * SPEED_UP}, burst_count: 10}}
"""
CREWS = 15


def notices(history: list[dict[str, Any]], sender: str) -> list[str]:
    return [
        str(e["content"]["body"])
        for e in history
        if e["sender"] == sender and e.get("content", {}).get("msgtype") == "m.notice"
    ]


def replied_to(event: dict[str, Any]) -> str | None:
    return event.get("content", {}).get("m.relates_to", {}).get("m.in_reply_to", {}).get("event_id")


@pytest.mark.long(90)
async def test_fifteen_crews_in_a_row_complete_on_a_rate_limited_homeserver(tmp_path: Path) -> None:
    hs = Homeserver(tmp_path / "synapse", ratelimits=LIMITS)
    hs.start()
    bot = CohostProcess(hs, "cohost", tmp_path / "cohost")
    users: list[User] = []
    try:
        bot.start()
        alice = await User.create(hs, "alice")
        users.append(alice)
        riverside = await create_congregation(alice, bot, "Busy Town")
        # A crew formation round: fifteen members each call a crew at once.
        callers = [await User.create(hs, f"caller{i}") for i in range(CREWS)]
        users += callers
        for caller in callers:
            await let_in(alice, riverside.space, caller)
            await caller.join(riverside.lobby)
        commands = [
            await caller.send(riverside.lobby, f"!crew new Crew{i:02d}")
            for i, caller in enumerate(callers)
        ]

        deadline = time.monotonic() + 600
        ready: list[str] = []
        while len(ready) < CREWS and time.monotonic() < deadline:
            await asyncio.sleep(2)
            history = await alice.history(riverside.lobby)
            ready = [bodies for bodies in notices(history, bot.user_id) if "is ready: " in bodies]
        assert len(ready) == CREWS, f"{len(ready)} of {CREWS} crews ready"
        for command in commands:
            replies = [e for e in history if replied_to(e) == command]
            assert len(replies) == 1 and "on its way" in replies[0]["content"]["body"]
        rooms = {linked_room(text) for text in ready}
        assert len(rooms) == CREWS
        listing = await alice.ask(riverside.lobby, "!crew list", within=120)
        assert listing.count("called by") == CREWS
        assert any(r.get("event") == "rate_limited" for r in bot.log_records()), (
            "cohost never had to wait"
        )
        metrics = bot.scrape()
        assert metrics[("cohost_rate_limit_waits_total", ())] > 0
        assert metrics[("cohost_rooms_hosted", (("kind", "crew"),))] == CREWS
    finally:
        for user in users:
            await user.close()
        bot.kill()
        hs.stop()


async def test_killed_in_the_middle_of_a_creation_it_finishes_without_duplicates(
    homeserver: Homeserver, tmp_path: Path
) -> None:
    bot = CohostProcess(homeserver, unique("crashy"), tmp_path / "crashy")
    bot.start()
    alice = await User.create(homeserver, unique("alice"))
    people = [await User.create(homeserver, unique("friend")) for _ in range(7)]
    try:
        riverside = await create_congregation(alice, bot, "Crash Course")
        for member in people:
            await let_in(alice, riverside.space, member)
        named = " ".join(p.user_id for p in people)
        sent = await alice.send(riverside.lobby, f"!crew new Survivors {named}")
        # Killed as soon as the caller's invitation arrives: the room exists, the
        # invitations of the others and the ready report are still to come.
        deadline = time.monotonic() + 60
        while not alice.client.invited_rooms and time.monotonic() < deadline:
            await alice.sync(200)
        bot.kill()
        bot.start()

        crew = linked_room(await alice.wait_for_notice(riverside.lobby, bot.user_id, "is ready: "))
        await alice.quiet_for(3)
        lobby = await alice.history(riverside.lobby)
        assert len([n for n in notices(lobby, bot.user_id) if "Survivors** is ready: " in n]) == 1
        assert len([e for e in lobby if replied_to(e) == sent]) == 1
        listing = await alice.ask(riverside.lobby, "!crew list")
        assert listing.count("Survivors") == 1
        # The restarted cohost really picked up an unfinished operation.
        assert any(r.get("event") == "operations_resumed" for r in bot.log_records())
        # Exactly one crew room, and each person invited to it exactly once.
        await alice.join(crew)
        timeline = await alice.history(crew)
        for person in (alice, *people):
            invites = [
                e
                for e in timeline
                if e["type"] == "m.room.member"
                and e["state_key"] == person.user_id
                and e["content"]["membership"] == "invite"
            ]
            assert len(invites) == 1, person.user_id
        for person in people:
            await person.sync(0)
            survivors = [
                room_id
                for room_id, room in person.client.invited_rooms.items()
                if room.name == "Survivors"
            ]
            assert survivors == [crew]
    finally:
        for user in (alice, *people):
            await user.close()
        bot.kill()
        await asyncio.sleep(0)
