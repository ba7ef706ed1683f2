"""`cohost demo` as a newcomer runs it: it prints logins that work, and Ctrl-C stops
everything and removes its files."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from nio import AsyncClient, LoginResponse, RoomCreateResponse, RoomSendResponse

pytestmark = pytest.mark.integration


async def test_demo_prints_working_logins_and_stops_cleanly_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Press Ctrl-C" in line or not line:
                break
        text = "".join(lines)
        root = Path(re.search(r"Synapse in (\S+) ", text).group(1))  # type: ignore[union-attr]
        homeserver = re.search(r"Homeserver:\s+(http://\S+)", text).group(1)  # type: ignore[union-attr]
        user, password = re.search(r"(@alice:\S+)\s+password: (\S+)", text).groups()  # type: ignore[union-attr]
        bot = re.search(r"The bot:\s+(@\S+)", text).group(1)  # type: ignore[union-attr]

        client = AsyncClient(homeserver, user)
        assert isinstance(await client.login(password), LoginResponse)
        created = await client.room_create(is_direct=True, invite=[bot])
        assert isinstance(created, RoomCreateResponse)
        replied = False
        since = (await client.sync(timeout=0)).next_batch  # type: ignore[union-attr]
        for _ in range(60):
            members = await client.joined_members(created.room_id)
            if bot in [m.user_id for m in members.members]:  # type: ignore[union-attr]
                break
            time.sleep(0.2)
        sent = await client.room_send(
            created.room_id, "m.room.message", {"msgtype": "m.text", "body": "!ping"}
        )
        assert isinstance(sent, RoomSendResponse)
        for _ in range(30):
            resp = await client.sync(timeout=1000, since=since)
            since = resp.next_batch  # type: ignore[union-attr]
            room = resp.rooms.join.get(created.room_id)  # type: ignore[union-attr]
            if room and any(e.sender == bot for e in room.timeline.events):
                replied = True
                break
        await client.close()
        assert replied

        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
        assert "homeserver and demo data removed" in proc.stdout.read()
        assert not root.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
