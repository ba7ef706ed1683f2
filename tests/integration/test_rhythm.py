"""A crew's rhythm on a real Synapse: a reminder, then the retrospective answered by a
reaction in the clear and by an answer in its poll from Element (matrix-js-sdk), which
ends with the outcome; and a crew's calendar over HTTP."""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from service.admin.devserver import Homeserver
from tests.integration.cohost_process import CohostProcess
from tests.integration.community import create_congregation, create_crew, let_in
from tests.integration.conftest import unique
from tests.integration.matrix_user import User
from tests.integration.test_decisions import react_in_the_clear
from tests.integration.test_element import element_client

pytestmark = pytest.mark.integration


async def event_of_type(user: User, room: str, kind: str, within: float = 60) -> Any:
    """An event of a kind the user's client received (decrypted where the room is)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for event in user.seen.get(room, []):
            if event.source.get("type") == kind:
                return event
        await user.sync(1000)
    raise AssertionError(f"no {kind} in {room} within {within}s")


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js 20 and npm")
async def test_a_reminder_and_the_retrospective(homeserver: Homeserver, tmp_path: Path) -> None:
    """Bob is on Element (matrix-js-sdk): he reads the retrospective's poll in Element's
    poll model and answers it there; Alice reacts 🔁 and then, in the Lobby, answers the
    poll with `pause`: an answer from another room, which must not count."""
    bot = CohostProcess(homeserver, unique("rhythmic"), tmp_path / "rhythmic")
    bot.start()
    alice = await User.create(homeserver, unique("alice"), store=tmp_path / "alice")
    bob = homeserver.register(unique("bob"))
    try:
        riverside = await create_congregation(alice, bot, "Rhythm Ridge")
        await let_in(alice, riverside.space, bob)
        crew = await create_crew(alice, bot, riverside.lobby, f"!crew new Walkers {bob.user_id}")
        # Bob's Element joins once invited, waits for Alice's signal, answers the poll.
        on_element = asyncio.create_task(
            asyncio.to_thread(
                element_client, homeserver, bot, "all", "wait:Pong", "poll:continue",
                "pollend", room=crew, account=bob, timeout=600,
            )
        )  # fmt: skip
        await alice.wait_for_member(crew, bob.user_id, within=120)

        # One meeting, two to three minutes from now: its hour reminder is due at once,
        # and the retrospective opens when it starts.
        meeting = (datetime.now(UTC) + timedelta(minutes=2)).replace(second=0, microsecond=0)
        command = f"!crew cycle 1 meeting every {meeting:%A} {meeting:%H:%M} UTC"
        assert "Cycle 1: 1 meeting" in await alice.ask(crew, command)
        reminder = await alice.wait_for_notice(
            crew, bot.user_id, "Reminder: meeting 1 of 1", within=90
        )
        assert "within the hour" in reminder and f"{meeting:%H:%M} UTC" in reminder
        assert "Hosting: @alice" in reminder  # the caller hosts first

        wait = (meeting - datetime.now(UTC)).total_seconds() + 90
        await alice.wait_for_notice(crew, bot.user_id, "time for the retrospective", within=wait)
        retro = next(
            e.event_id
            for e in alice.notices(crew, bot.user_id)
            if "time for the retrospective" in e.source["content"]["body"]
        )
        await react_in_the_clear(alice, crew, retro, "🔁")
        poll = await event_of_type(alice, crew, "org.matrix.msc3381.poll.start")
        await alice.client.room_send(
            riverside.lobby,
            "org.matrix.msc3381.poll.response",
            {
                "m.relates_to": {"rel_type": "m.reference", "event_id": poll.event_id},
                "org.matrix.msc3381.poll.response": {"answers": ["pause"]},
            },
            ignore_unverified_devices=True,
        )
        await alice.quiet_for(2)
        assert "Pong" in await alice.ask(crew, "!ping")  # Bob's turn

        outcome = await alice.wait_for_notice(crew, bot.user_id, "chose **continue**", within=90)
        assert "`continue`: 2" in outcome  # Alice's 🔁 and Bob's answer; not the Lobby's
        end = await event_of_type(alice, crew, "org.matrix.msc3381.poll.end")
        assert end.source["content"]["m.relates_to"]["event_id"] == poll.event_id
        _, answered, ended = await on_element
        assert answered["question"] == "How does the crew go on?", answered
        assert answered["answers"] == ["continue", "adjust", "split", "pause"], answered
        assert answered["encrypted"] and "disclosed" in answered["kind"], answered
        # Element accepts the end (it comes from the poll's sender) and shows the outcome.
        assert ended["ended"] and "continue" in ended["end_text"], ended
        assert ended["counted"] == {"continue": 1}, ended  # the poll's own answers
        deadline = time.monotonic() + 30
        state = None
        while time.monotonic() < deadline:
            state = await alice.state(crew, "cc.microsolidarity.cycle", "2")
            if state is not None:
                break
            await alice.sync(500)
        assert state is not None and state["status"] == "active"
    finally:
        await alice.close()
        bot.kill()


async def test_a_crews_calendar_over_http(homeserver: Homeserver, tmp_path: Path) -> None:
    """`!crew calendar`: the address comes in a new encrypted direct room (readable
    once the person joins), the feed is served over
    HTTP as text/calendar with the crew's meetings, a wrong address gets 404."""
    import re
    import urllib.error
    import urllib.request

    from icalendar import Calendar

    bot = CohostProcess(homeserver, unique("calendared"), tmp_path / "calendared")
    bot.start()
    alice = await User.create(homeserver, unique("alice"), store=tmp_path / "alice")
    try:
        congregation = await create_congregation(alice, bot, "Calendar Creek")
        crew = await create_crew(alice, bot, congregation.lobby, "!crew new Walkers")
        cycle = "!crew cycle 4 meetings every Tuesday 19:00 Europe/Berlin"
        assert "Cycle 1: 4 meetings" in await alice.ask(crew, cycle)
        known = set(alice.client.rooms) | set(alice.client.invited_rooms)
        assert "direct room" in await alice.ask(crew, "!crew calendar")
        deadline = time.monotonic() + 60
        while not set(alice.client.invited_rooms) - known and time.monotonic() < deadline:
            await alice.sync(500)
        [direct] = set(alice.client.invited_rooms) - known
        await alice.join(direct)
        # Sent while she was only invited, in an encrypted room: readable once she joins.
        told = await alice.wait_for_notice(direct, bot.user_id, "/calendar/", within=60)
        [url] = re.findall(r"http://\S+\.ics", told)
        assert url.startswith(f"http://127.0.0.1:{bot.http_port}/calendar/")
        with urllib.request.urlopen(url, timeout=10) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"].startswith("text/calendar")
            calendar = Calendar.from_ical(resp.read())
        events = calendar.walk("VEVENT")
        assert len(events) == 4 and str(events[0]["SUMMARY"]) == "Walkers: meeting 1 of 4"
        assert events[0]["DTSTART"].dt.strftime("%A %H:%M") == "Tuesday 19:00"
        wrong = url.replace(".ics", "x.ics")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(wrong, timeout=10)
        assert refused.value.code == 404 and refused.value.read() == b"Not found"

        # After a restart (which reads no room's full state), the new address goes to the
        # same encrypted direct room, quiet since before it: sent there, and readable.
        assert bot.stop() == 0
        bot.start()
        assert "new address" in await alice.ask(crew, "!crew calendar reset")
        deadline = time.monotonic() + 60
        addresses: list[str] = []
        while len(addresses) < 2 and time.monotonic() < deadline:
            await alice.sync(500)
            addresses = [
                a
                for e in alice.notices(direct, bot.user_id)
                for a in re.findall(r"http://\S+\.ics", e.source["content"].get("body", ""))
            ]
        assert len(addresses) == 2 and addresses[0] == url and addresses[1] != url, addresses
        assert not set(alice.client.invited_rooms) - known - {direct}  # no second room
    finally:
        await alice.close()
        bot.kill()
