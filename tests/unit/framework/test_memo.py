"""The checks before a command (released? who answers? where and by whom?) read where
the room belongs once; the command itself reads afresh."""

from __future__ import annotations

from sqlalchemy import event

from handlers.framework.memo import forgetting, remembered, remembering
from tests.unit.world import World


async def test_a_command_reads_its_rooms_place_once(world: World) -> None:
    space = await world.congregation("Riverside")
    hosts = world.hosts_room(space)
    reads: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "FROM indexed_room" in statement:
            reads.append(statement)

    event.listen(world.engine.sync_engine, "before_cursor_execute", seen)
    try:
        assert "Pong" in await world.say("!ping")
        assert len(reads) == 1, reads  # released, and who answers: one read
        reads.clear()
        assert "Riverside" in await world.say("!congregation info", room=hosts)
        checks = len(reads)
    finally:
        event.remove(world.engine.sync_engine, "before_cursor_execute", seen)
    # released, who answers and the preconditions share one read; the command reads
    # for itself (at most as often as it did before).
    assert 1 <= checks <= 3, reads


async def test_remembered_only_inside_and_never_for_what_runs_forgetting() -> None:
    calls: list[int] = []

    async def read() -> int:
        calls.append(1)
        return len(calls)

    assert await remembered("k", read) == 1
    assert await remembered("k", read) == 2  # nothing remembered outside
    with remembering():
        assert await remembered("k", read) == 3
        assert await remembered("k", read) == 3
        with forgetting():
            assert await remembered("k", read) == 4
        assert await remembered("k", read) == 3
