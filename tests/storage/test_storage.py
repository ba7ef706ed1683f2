from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine

from service.metrics import Metrics
from storage.community import Place
from storage.database import check_schema, make_engine, make_sessionmaker, migrate
from storage.models import Congregation, Crew, IndexedRoom, Proposal
from storage.moves import RoomMoves
from storage.operations import DONE, NewOperation, OperationStore
from storage.repositories import NEXT_BATCH, HandledEventRepository, SyncStateRepository
from storage.stores import Stores
from storage.trusted import TrustedFactStore

T0 = datetime(2026, 11, 27, tzinfo=UTC)


async def test_migrations_apply_to_an_empty_database_and_match_the_models(
    engine: AsyncEngine,
) -> None:
    await migrate(engine)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"sync_state", "handled_event", "alembic_version"} <= tables
    await check_schema(engine)  # raises on drift between models and migrations


async def test_migrating_twice_is_harmless(engine: AsyncEngine) -> None:
    await migrate(engine)
    await migrate(engine)
    await check_schema(engine)


async def test_sync_position_is_stored_and_replaced(engine: AsyncEngine) -> None:
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as s:
        assert await SyncStateRepository(s).get(NEXT_BATCH) is None
        await SyncStateRepository(s).put(NEXT_BATCH, "s1")
    async with sessions.begin() as s:
        await SyncStateRepository(s).put(NEXT_BATCH, "s2")
    async with sessions.begin() as s:
        assert await SyncStateRepository(s).get(NEXT_BATCH) == "s2"


async def test_a_rolled_back_unit_of_work_leaves_nothing(engine: AsyncEngine) -> None:
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    try:
        async with sessions.begin() as s:
            await HandledEventRepository(s).mark("$e", "!r", T0)
            raise RuntimeError("crash inside the unit of work")
    except RuntimeError:
        pass
    async with sessions.begin() as s:
        assert not await HandledEventRepository(s).seen("$e")


async def test_handled_events_are_remembered_once_and_pruned_by_age(engine: AsyncEngine) -> None:
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as s:
        repo = HandledEventRepository(s)
        await repo.mark("$old", "!r", T0)
        await repo.mark("$new", "!r", T0 + timedelta(days=40))
    async with sessions.begin() as s:
        await HandledEventRepository(s).mark("$old", "!r", T0)  # marking again is a no-op
    async with sessions.begin() as s:
        repo = HandledEventRepository(s)
        assert await repo.seen("$old") and await repo.seen("$new")
        assert await repo.prune(T0 + timedelta(days=10)) == 1
    async with sessions.begin() as s:
        repo = HandledEventRepository(s)
        assert not await repo.seen("$old")
        assert await repo.seen("$new")


async def test_the_schema_check_fails_on_a_database_that_is_behind(engine: AsyncEngine) -> None:
    import pytest
    from alembic.util.exc import CommandError

    with pytest.raises(CommandError):
        await check_schema(engine)


async def test_sqlite_commits_to_a_write_ahead_log_that_survives_the_process(
    tmp_path: Path,
) -> None:
    """WAL with synchronous=NORMAL: what was committed is there for the next process,
    which finds it without the first having closed anything (a crash)."""
    url = f"sqlite:///{tmp_path / 'cohost.db'}"
    first = make_engine(url)
    await migrate(first)
    async with first.begin() as conn:
        mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
        level = (await conn.exec_driver_sql("PRAGMA synchronous")).scalar()
        await conn.exec_driver_sql(
            "INSERT INTO sync_state (key, value) VALUES ('crash-test', 'kept')"
        )
    assert (mode, level) == ("wal", 1)  # 1 is NORMAL
    second = make_engine(url)
    async with second.connect() as conn:
        kept = (
            await conn.exec_driver_sql("SELECT value FROM sync_state WHERE key = 'crash-test'")
        ).scalar()
    assert kept == "kept"
    await second.dispose()
    await first.dispose()


async def test_settled_operations_are_pruned_by_kind_and_age_pending_ones_never(
    engine: AsyncEngine,
) -> None:
    await migrate(engine)
    store = OperationStore(make_sessionmaker(engine))
    then = datetime(2026, 11, 1, tzinfo=UTC)
    for op_id, kind in (("old", "stand_in"), ("open", "stand_in"), ("other", "create_crew")):
        assert await store.add(NewOperation(op_id, kind, {"body": "!crew info"}), then)
    assert await store.settle("old", then)
    assert not await store.settle("old", then)  # settled once
    await store.save("other", {}, DONE, then)
    assert (await store.get("old")).params == {}  # type: ignore[union-attr]
    assert await store.prune("stand_in", then + timedelta(days=2)) == 1
    assert await store.get("old") is None
    assert await store.get("open") is not None and await store.get("other") is not None


async def test_a_room_upgraded_moves_in_every_row_that_names_it(engine: AsyncEngine) -> None:
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as s:
        s.add(
            Crew(
                room_id="!old",
                congregation_id="!space",
                name="Walkers",
                name_key="walkers",
                caller="@a:x",
                created_at=T0,
            )
        )
        s.add(IndexedRoom(room_id="!old", kind="crew", congregation_id="!space"))
        s.add(IndexedRoom(room_id="!other", kind="crew", congregation_id="!space"))
        s.add(
            Proposal(
                room_id="!old",
                number=1,
                kind="agreement",
                subject="s",
                scope="!old",
                deciders=["@a:x"],
                opened_at=T0,
                closes_at=T0,
                status="open",
                opening_key="k",
            )
        )
    await RoomMoves(sessions).move("!old", "!new")
    async with sessions.begin() as s:
        assert await s.get(Crew, "!new") is not None and await s.get(Crew, "!old") is None
        assert await s.get(IndexedRoom, "!new") is not None
        assert await s.get(IndexedRoom, "!other") is not None  # others stay
        [proposal] = (await s.scalars(select(Proposal))).all()
        assert proposal.room_id == "!new"


async def test_a_trusted_fact_is_kept_and_replaced_by_its_next_version(engine: AsyncEngine) -> None:
    await migrate(engine)
    store = TrustedFactStore(make_sessionmaker(engine))
    first = {"type": "cc.microsolidarity.congregation", "state_key": "", "sender": "@cohost:x",
             "content": {"name": "Riverside", "hosts": ["@a:x"]}, "event_id": "$v1"}  # fmt: skip
    await store.keep("!space", first, T0)
    await store.keep("!space", {**first, "event_id": "$v2", "content": {"name": "R2"}}, T0)
    kept = await store.kept("!space", "cc.microsolidarity.congregation", "")
    assert kept is not None and (kept.event_id, kept.content) == ("$v2", {"name": "R2"})
    assert await store.kept("!space", "cc.microsolidarity.crew", "") is None


async def test_each_unit_of_work_is_timed_under_its_name(engine: AsyncEngine) -> None:
    """`cohost_db_unit_seconds{unit}`: every unit is observed once, by its intention,
    also when it fails and is rolled back."""
    await migrate(engine)
    metrics = Metrics()
    stores = Stores.over(make_sessionmaker(engine), metrics.db_unit)
    assert await stores.operations.add(NewOperation("op", "create_crew", {}), T0)
    assert not await stores.operations.add(NewOperation("op", "create_crew", {}), T0)
    await stores.operations.get("op")
    count = "cohost_db_unit_seconds_count"
    add, get = "OperationStore.add", "OperationStore.get"
    assert metrics.value(count, unit=add) == 2 and metrics.value(count, unit=get) == 1
    with contextlib.suppress(Exception):
        await stores.operations.add(NewOperation("bad", "x", {"not": object()}), T0)
    assert metrics.value(count, unit=add) == 3
    body, _ = await metrics.render()
    assert b'cohost_db_unit_seconds_bucket{le="0.001",unit="OperationStore.add"}' in body


async def test_a_rooms_place_is_its_row_its_congregation_and_its_crew(engine: AsyncEngine) -> None:
    """Read in one query (every event handled asks it): each part, or none of them."""
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    async with sessions.begin() as s:
        s.add(
            Congregation(
                space_id="!space", name="Riverside", lobby_id="!lobby",
                announcements_id="!ann", hosts_room_id="!hosts", hosts=["@a:x"], created_at=T0,
            )
        )  # fmt: skip
        s.add(
            Crew(room_id="!crew", congregation_id="!space", name="Walkers",
                 name_key="walkers", caller="@a:x", created_at=T0)
        )  # fmt: skip
        s.add(IndexedRoom(room_id="!crew", kind="crew", congregation_id="!space"))
        s.add(IndexedRoom(room_id="!hosts", kind="hosts", congregation_id="!space"))
        s.add(IndexedRoom(room_id="!net-ann", kind="network_announcements", network_id="!net"))
    community = Stores.over(sessions).community
    crew = await community.place("!crew")
    assert crew.room is not None and crew.room.kind == "crew"
    assert crew.congregation is not None and crew.congregation.name == "Riverside"
    assert crew.crew is not None and crew.crew.name == "Walkers"
    hosts = await community.place("!hosts")
    assert hosts.room is not None and hosts.congregation is not None and hosts.crew is None
    network = await community.place("!net-ann")
    assert network.room is not None and network.room.network_id == "!net"
    assert network.congregation is None and network.crew is None
    assert await community.place("!unknown") == Place(None, None, None)
