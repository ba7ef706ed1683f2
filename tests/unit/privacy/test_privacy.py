"""Privacy as promised (SPEC §3.5): `!forget me` leaves no row about the person, the
data directory is cohost's user's alone, and logs never hold what people wrote."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from structlog.testing import capture_logs

from service.credentials import PICKLE_KEY_FILE, pickle_key, private_dir
from service.login import make_client
from service.settings import load_settings
from tests.unit.rhythm.test_rhythm import crew, run_until
from tests.unit.world import ALICE, BOB, World

TABLES = ("proposal", "ballot", "retro_answer", "meeting", "crew_cycle", "notified")


async def rows_naming(world: World, user: str) -> dict[str, int]:
    found = {}
    async with world.engine.connect() as conn:
        for table in TABLES:
            rows = (await conn.execute(text(f"SELECT * FROM {table}"))).all()  # noqa: S608
            hits = sum(1 for row in rows if any(user in str(value) for value in row))
            if hits:
                found[table] = hits
    return found


async def test_forget_me_leaves_no_row_about_the_person(world: World) -> None:
    room = await crew(world, BOB)
    await world.say("!crew invite @dave:example.org", BOB, room)  # BOB proposes, and decides
    await world.say("!crew cycle 1 meeting every Tuesday 19:00 UTC", room=room)
    await run_until(world, datetime(2026, 12, 1, 19, 30, tzinfo=UTC))
    await world.say("!crew retro continue", BOB, room)
    assert await rows_naming(world, BOB)  # there was something to forget

    reply = await world.say("!forget me", BOB, room)
    assert "What stays in Matrix" in reply and "outcomes of closed proposals" in reply
    assert await rows_naming(world, BOB) == {}
    # The open proposal in room state no longer names BOB either.
    state = world.gateway.rooms[room].content("cc.microsolidarity.proposal", "1") or {}
    assert BOB not in str(state.get("deciders")) and BOB not in str(state.get("acts"))
    assert await rows_naming(world, ALICE)  # nobody else was forgotten


async def test_logs_hold_the_kind_of_refusal_never_the_words(world: World) -> None:
    await world.congregation("Riverside")
    await world.say('!crew new "secret walkers"')
    with capture_logs() as logs:
        # Refusals that quote what the person wrote: the name taken, then bad input.
        await world.say('!crew new "secret walkers"')
        await world.say('!crew new "my secret circle" @x:example.org @y:example.org ' * 3)
        await world.say("!object 99 because of my secret")
    assert logs and not any("secret" in str(entry) for entry in logs)
    assert {"command_refused"} <= {str(e.get("event")) for e in logs}


def test_the_data_directory_is_cohosts_alone(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "crypto").mkdir(parents=True)
    (data / "left-over.db").write_text("")
    (data / "left-over.db").chmod(0o644)
    settings = load_settings(
        homeserver_url="http://hs.invalid",
        user_id="@cohost:example.org",
        password="pw-for-tests",
        data_dir=str(data),
    )
    make_client(settings)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "crypto").stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "left-over.db").stat().st_mode) == 0o600
    key_file = data / PICKLE_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()
    assert len(key) >= 40 and pickle_key(data) == key  # made once, then kept
    private_dir(data)
    assert key_file.read_text() == key
