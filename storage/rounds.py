"""Get-to-know-you rounds: who takes part, and who met whom (one transaction each)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from storage.models import RoundGroup, RoundMember, RoundRhythm
from storage.unit import Store


class RoundStore(Store):
    async def join(self, space_id: str, user_id: str) -> bool:
        """True when the member was not taking part yet."""
        async with self._unit("join") as s:
            if await s.get(RoundMember, (space_id, user_id)) is not None:
                return False
            s.add(RoundMember(space_id=space_id, user_id=user_id))
            return True

    async def leave(self, space_id: str, user_id: str) -> bool:
        async with self._unit("leave") as s:
            gone = await s.execute(
                delete(RoundMember).where(
                    RoundMember.space_id == space_id, RoundMember.user_id == user_id
                )
            )
            return bool(getattr(gone, "rowcount", 0))

    async def members(self, space_id: str) -> list[str]:
        async with self._unit("members") as s:
            found = await s.scalars(
                select(RoundMember.user_id).where(RoundMember.space_id == space_id)
            )
            return sorted(found)

    async def set_rhythm(
        self, space_id: str, weekday: int, pattern: str, next_at: datetime | None
    ) -> None:
        """Rounds on a rhythm from `next_at`; None: no more rounds by themselves."""
        async with self._unit("set_rhythm") as s:
            row = await s.get(RoundRhythm, space_id)
            if next_at is None:
                if row is not None:
                    await s.delete(row)
                return
            if row is None:
                s.add(
                    RoundRhythm(
                        space_id=space_id, weekday=weekday, pattern=pattern, next_at=next_at
                    )
                )
            else:
                row.weekday, row.pattern, row.next_at = weekday, pattern, next_at

    async def rhythm(self, space_id: str) -> RoundRhythm | None:
        async with self._unit("rhythm") as s:
            return await s.get(RoundRhythm, space_id)

    async def spaces_of(self, user_id: str) -> list[str]:
        """The congregations whose rounds the person takes part in."""
        async with self._unit("spaces_of") as s:
            found = await s.scalars(
                select(RoundMember.space_id).where(RoundMember.user_id == user_id)
            )
            return sorted(found)

    async def groups_with(self, user_id: str) -> list[RoundGroup]:
        async with self._unit("groups_with") as s:
            return [g for g in await s.scalars(select(RoundGroup)) if user_id in g.members]

    async def restore(
        self,
        members: dict[str, list[str]],
        rhythms: list[RoundRhythm],
        groups: list[RoundGroup],
    ) -> int:
        """`cohost resync`: who takes part, the rhythms and the groups, as Matrix keeps
        them (into an empty database); how many groups."""
        async with self._unit("restore") as s:
            for space_id, users in members.items():
                s.add_all(RoundMember(space_id=space_id, user_id=u) for u in sorted(set(users)))
            s.add_all(rhythms)
            s.add_all(groups)
            return len(groups)

    async def due(self, now: datetime) -> list[RoundRhythm]:
        async with self._unit("due") as s:
            return list(await s.scalars(select(RoundRhythm).where(RoundRhythm.next_at <= now)))

    async def move_on(self, space_id: str, was: datetime, then: datetime) -> bool:
        """The rhythm's next round moves from `was` to `then`; True only for the call
        that moved it (a round is held once for each date)."""
        async with self._unit("move_on") as s:
            row = await s.get(RoundRhythm, space_id)
            if row is None or row.next_at != was:
                return False
            row.next_at = then
            return True

    async def groups(self, space_id: str) -> list[RoundGroup]:
        async with self._unit("groups") as s:
            return list(await s.scalars(select(RoundGroup).where(RoundGroup.space_id == space_id)))

    async def add_round(
        self, space_id: str, grouping: list[list[str]], at: datetime
    ) -> tuple[int, list[RoundGroup]]:
        """The next round's groups, numbered after the congregation's last round."""
        async with self._unit("add_round") as s:
            last = await s.scalar(
                select(func.max(RoundGroup.number)).where(RoundGroup.space_id == space_id)
            )
            number = (last or 0) + 1
            rows = [
                RoundGroup(space_id=space_id, number=number, members=g, again=[], created_at=at)
                for g in grouping
            ]
            s.add_all(rows)
            await s.flush()
            return number, rows

    async def group(self, group_id: int) -> RoundGroup | None:
        async with self._unit("group") as s:
            return await s.get(RoundGroup, group_id)

    async def set_room(self, group_id: int, room_id: str) -> None:
        async with self._unit("set_room") as s:
            row = await s.get(RoundGroup, group_id)
            if row is not None:
                row.room_id = room_id

    async def by_room(self, room_id: str) -> RoundGroup | None:
        async with self._unit("by_room") as s:
            return await s.scalar(select(RoundGroup).where(RoundGroup.room_id == room_id))

    async def would_meet_again(self, group_id: int, user_id: str) -> tuple[RoundGroup, bool]:
        """Note the member's wish; True the first time everyone of the group said it."""
        async with self._unit("would_meet_again") as s:
            row = await s.get(RoundGroup, group_id)
            assert row is not None
            if user_id not in row.again:
                row.again = sorted({*row.again, user_id})
            everyone = set(row.again) >= set(row.members)
            first = everyone and not row.suggested
            if first:
                row.suggested = True
            return row, first

    async def forget(self, user_id: str) -> dict[str, int]:
        """The person's taking part and their place in every round met (pairs with
        them are then forgotten too)."""
        async with self._unit("forget") as s:
            gone = await s.execute(delete(RoundMember).where(RoundMember.user_id == user_id))
            groups = 0
            for row in await s.scalars(select(RoundGroup)):
                if user_id in row.members:
                    row.members = [m for m in row.members if m != user_id]
                    row.again = [m for m in row.again if m != user_id]
                    groups += 1
            return {
                "rounds taken part in": int(getattr(gone, "rowcount", 0) or 0),
                "round groups": groups,
            }
