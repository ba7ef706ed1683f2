"""One seam: a feature from the test tree, installed through `install(house)` alone, is
answered, resumed after a restart and rebuilt by `cohost resync`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from handlers.community.state import LOBBY
from handlers.features import FEATURES
from handlers.membership.feature import MembershipSettings
from handlers.resync import rebuild_index
from handlers.rhythm.feature import RhythmSettings
from storage.database import make_engine, make_sessionmaker, migrate
from tests.unit.community import toy_feature
from tests.unit.community.toy_feature import Planted, Toys
from tests.unit.world import ALICE, make_world


async def test_a_toy_feature_is_answered_resumed_and_resynced(tmp_path: Path) -> None:
    world = await make_world(tmp_path, features=(*FEATURES, toy_feature.install))
    try:
        await world.congregation()
        [lobby] = world.rooms_of_kind(LOBBY)
        assert "`!toy plant" in await world.say("!help toy", ALICE, lobby)
        assert "Planting **acorn**" in await world.say("!toy plant acorn", ALICE, lobby)
        await world.settle()
        assert world.gateway.rooms[lobby].content(Planted.TYPE, ALICE) is None  # not yet

        await world.restart()  # cohost stops in the middle; the operation is resumed
        world.clock.advance(timedelta(minutes=2))
        await world.cohost.runner.resume_pending()
        await world.settle()
        assert world.gateway.rooms[lobby].content(Planted.TYPE, ALICE) == {"word": "acorn"}
        assert world.gateway.notices_in(lobby).count("**acorn** grew.") == 1

        engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        await migrate(engine)
        house = world.house_over(make_sessionmaker(engine))
        counts = await rebuild_index(house)
        assert counts["toys"] == 1 and house.engine(Toys).rebuilt == {ALICE: "acorn"}
        await engine.dispose()
    finally:
        await world.engine.dispose()


async def test_a_feature_reads_its_own_settings_section(tmp_path: Path) -> None:
    """Sections are read by name from the operator's settings, with their defaults."""
    world = await make_world(tmp_path, crew_window="P3D", membership_decided_by="members")
    try:
        house = world.cohost.house
        membership = house.settings(MembershipSettings)
        assert membership.crew_window == timedelta(days=3)
        assert membership.membership_decided_by == "members"
        assert house.settings(RhythmSettings).rhythm_takeover_after == timedelta(minutes=1)
    finally:
        await world.engine.dispose()
