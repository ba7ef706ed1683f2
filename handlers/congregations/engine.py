"""Congregations: making a congregation's space and rooms, finding it by name, and a host
stepping back (its commands are in commands.py)."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from handlers.community.directory import Directory, room_link
from handlers.community.facts import CongregationFacts
from handlers.community.rebuild import Rebuild
from handlers.community.rooms import (
    Asked,
    invite_once,
    link,
    report,
    report_unfinished,
    room_maker,
)
from handlers.community.shape import (
    announcements,
    congregation_space,
    hosts_room,
    lobby,
)
from handlers.community.state import (
    ANNOUNCEMENTS,
    CONGREGATION_SPACE,
    HOSTS,
    LOBBY,
)
from handlers.framework.clock import Clock
from handlers.framework.errors import UserError
from handlers.framework.language import _
from handlers.framework.limits import Limits
from handlers.framework.names import name_key
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.patterns import UserPatterns
from handlers.framework.types import RoomId, UserId
from storage.community import IndexEntries
from storage.models import Congregation, IndexedRoom

CREATE = "create_congregation"
# Hosts get invitations to the space and the Hosts room; Lobby and Announcements are
# open to every member of the space, so no invitation (and no rate limit) is spent.
INVITED_ROOMS = ("space", "hosts")


class Creating(Asked):
    """Making a congregation's space and rooms."""

    name: str
    hosts: list[UserId]
    created_at: datetime


class Congregations:
    def __init__(
        self,
        directory: Directory,
        runner: OperationRunner,
        clock: Clock,
        creators: UserPatterns,
        limits: Limits | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.directory = directory
        self.gateway = directory.gateway
        self.runner = runner
        self.clock = clock
        self.creators = creators

    # -- create ----------------------------------------------------------------
    async def create(
        self, op_id: str, name: str, hosts: list[UserId], requester: UserId, reply_room: RoomId
    ) -> None:
        """Start making the congregation's space and rooms (a resumable operation)."""
        params = Creating(
            name=name,
            hosts=hosts,
            requester=requester,
            reply_room=reply_room,
            created_at=self.clock.now(),
        )
        await self.runner.start(op_id, CREATE, params)

    async def require_unused(self, name: str) -> None:
        existing = [c.name for c in await self.directory.index.congregations()]
        pending = [p.name for p in await self.runner.pending(CREATE, Creating)]
        if name_key(name) in {name_key(n) for n in existing + pending}:
            raise UserError(
                _(
                    "A congregation called **{name}** already exists here; pick another name.",
                    name=name,
                )
            )

    async def perform_create(self, run: Run[Creating]) -> None:
        p = run.params
        via = self.directory.via
        hosts = [UserId(h) for h in p.hosts]
        make = await room_maker(run, self.gateway, hosts, via)
        space = await make.create(
            "space", congregation_space(p.name, make.marker(CONGREGATION_SPACE, "space"))
        )
        name = p.name
        rooms = {
            "lobby": await make.create(
                "lobby", lobby(name, space, make.marker(LOBBY, "lobby", congregation=space))
            ),
            "announcements": await make.create(
                "announcements",
                announcements(
                    name, space, make.marker(ANNOUNCEMENTS, "announcements", congregation=space)
                ),
            ),
            "hosts": await make.create(
                "hosts", hosts_room(name, space, make.marker(HOSTS, "hosts", congregation=space))
            ),
        }
        for order, key in enumerate(("lobby", "announcements", "hosts"), start=1):
            await run.step(
                f"link:{key}",
                partial(link, self.gateway, space, rooms[key], f"{order:02d}", via),
            )
        facts = CongregationFacts(
            name=p.name,
            hosts=p.hosts,
            rooms=rooms,
            network=None,
            created_at=p.created_at,
        )
        await run.step("facts", partial(self.directory.shared.write, space, facts))
        targets = {"space": space, "hosts": rooms["hosts"]}
        for host in hosts:
            for key in INVITED_ROOMS:
                await run.step(
                    f"invite:{key}:{host}",
                    partial(invite_once, self.gateway, targets[key], host),
                )
        await run.step("index", lambda: self.index(space, facts))
        await run.step(
            "ready",
            lambda: report(
                self.gateway,
                RoomId(p.reply_room),
                _(
                    "Congregation **{name}** is ready: {room_link}\nI have invited its "
                    "hosts to the space and the Hosts room; Lobby and Announcements open "
                    "to everyone who joins the space.",
                    name=p.name,
                    room_link=room_link(space, via),
                ),
                UserId(p.requester),
                f"cohost-op-{run.id}-ready",
            ),
        )

    async def index(self, space: RoomId, facts: CongregationFacts) -> None:
        await self.directory.index.index(congregation_entries(space, facts, released=False))

    async def report_failure(self, run: Run[Creating], reason: str) -> None:
        what = _("congregation **{name}**", name=run.params.name)
        await report_unfinished(self.gateway, run, what, run.params, reason)

    async def remove_host(self, congregation: Congregation, user: UserId) -> None:
        hosts = await self.directory.hosts(congregation)
        if hosts == [user]:
            raise UserError(
                _(
                    "You are the only host of **{name}**. Another host has to join first "
                    "(`!host add`).",
                    name=congregation.name,
                )
            )

        def drop(facts: CongregationFacts) -> None:
            facts.hosts = [h for h in facts.hosts if h != user]

        await self.directory.update_facts(congregation, drop)


def congregation_entries(space: str, facts: CongregationFacts, released: bool) -> IndexEntries:
    """The index rows of a congregation, from its facts."""
    rooms = facts.rooms
    entries = IndexEntries()
    entries.congregations.append(
        Congregation(
            space_id=space,
            name=facts.name,
            lobby_id=rooms.get("lobby", ""),
            announcements_id=rooms.get("announcements", ""),
            hosts_room_id=rooms.get("hosts", ""),
            hosts=list(facts.hosts),
            network_space_id=facts.network,
            released=released,
            created_at=facts.created_at,
        )
    )
    indexed = [(space, CONGREGATION_SPACE)] + [
        (rooms[key], kind)
        for kind, key in ((LOBBY, "lobby"), (ANNOUNCEMENTS, "announcements"), (HOSTS, "hosts"))
        if rooms.get(key)
    ]
    entries.rooms += [
        IndexedRoom(room_id=room, kind=kind, congregation_id=space, released=released)
        for room, kind in indexed
    ]
    return entries


async def rebuild_congregations(rebuild: Rebuild) -> None:
    """`cohost resync`: each congregation's rows, and its application to a network."""
    for room in rebuild.rooms_of(CONGREGATION_SPACE):
        facts = await rebuild.facts.get(room, CongregationFacts)
        if facts is None:
            continue
        released = facts.released or await rebuild.released(room)
        rebuild.entries.extend(congregation_entries(room, facts, released=released))
        rebuild.counts["congregations"] += 1
        if facts.application and not facts.network:
            rebuild.entries.applications.append(facts.application.row(room))
            rebuild.counts["applications"] += 1
