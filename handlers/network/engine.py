"""Founding a network of congregations: its space, Announcements and Commons."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from handlers.community.directory import Directory, room_link
from handlers.community.facts import CongregationFacts, MemberEntry, NetworkFacts
from handlers.community.rebuild import Rebuild
from handlers.community.rooms import (
    Asked,
    invite_once,
    link,
    report,
    report_unfinished,
    room_maker,
)
from handlers.community.shape import commons, network_announcements, network_space
from handlers.community.state import (
    COMMONS,
    NETWORK_ANNOUNCEMENTS,
    NETWORK_SPACE,
)
from handlers.framework.clock import Clock
from handlers.framework.language import _
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.types import RoomId, UserId
from storage.community import IndexEntries
from storage.models import Congregation, IndexedRoom, Network

CREATE = "create_network"


class Creating(Asked):
    """Founding a network from a congregation's Hosts room."""

    name: str
    congregation: RoomId
    congregation_name: str = ""
    hosts: list[UserId]
    created_at: datetime


class Networks:
    def __init__(self, directory: Directory, runner: OperationRunner, clock: Clock) -> None:
        self.directory = directory
        self.gateway = directory.gateway
        self.runner = runner
        self.clock = clock

    async def create(
        self,
        op_id: str,
        name: str,
        congregation: Congregation,
        hosts: list[UserId],
        requester: UserId,
        reply_room: RoomId,
    ) -> None:
        """Start founding the network (a resumable operation)."""
        params = Creating(
            name=name,
            congregation=RoomId(congregation.space_id),
            congregation_name=congregation.name,
            hosts=hosts,
            requester=requester,
            reply_room=reply_room,
            created_at=self.clock.now(),
        )
        await self.runner.start(op_id, CREATE, params)

    async def being_created(self, congregation: Congregation) -> bool:
        return any(
            p.congregation == congregation.space_id
            for p in await self.runner.pending(CREATE, Creating)
        )

    async def perform_create(self, run: Run[Creating]) -> None:
        p = run.params
        bot, via = self.gateway.user_id, self.directory.via
        hosts = [UserId(h) for h in p.hosts]
        congregation = RoomId(p.congregation)
        make = await room_maker(run, self.gateway, hosts, via)
        space = await make.create(
            "space", network_space(p.name, make.marker(NETWORK_SPACE, "space"))
        )
        name = p.name
        rooms = {
            "announcements": await make.create(
                "announcements",
                network_announcements(
                    name, space, make.marker(NETWORK_ANNOUNCEMENTS, "announcements", network=space)
                ),
            ),
            "commons": await make.create(
                "commons", commons(name, space, make.marker(COMMONS, "commons", network=space))
            ),
        }
        await run.step(
            "link:announcements",
            partial(link, self.gateway, space, rooms["announcements"], "01", via),
        )
        await run.step(
            "link:commons", partial(link, self.gateway, space, rooms["commons"], "02", via)
        )
        await run.step(
            "link:congregation", partial(link, self.gateway, space, congregation, "50", via)
        )
        facts = NetworkFacts(
            name=p.name,
            rooms=rooms,
            founded_by=p.congregation,
            created_at=p.created_at,
        )
        shared = self.directory.shared
        await run.step("facts", partial(shared.write, space, facts))
        entry = MemberEntry(name=p.congregation_name, bot=bot, hosts=hosts)
        await run.step("register", partial(shared.write, space, entry, congregation))
        await run.step("congregation_facts", partial(self.join_congregation, congregation, space))
        for host in hosts:
            for key, room in (("space", space), ("commons", rooms["commons"])):
                await run.step(
                    f"invite:{key}:{host}", partial(invite_once, self.gateway, room, host)
                )
        await run.step("index", partial(self.index, space, facts))
        await run.step(
            "ready",
            partial(
                report,
                self.gateway,
                RoomId(p.reply_room),
                _(
                    "Network **{name}** is ready: {room_link}\nI have invited this "
                    "congregation's hosts to the network space and its Commons.",
                    name=p.name,
                    room_link=room_link(space, via),
                ),
                UserId(p.requester),
                f"cohost-op-{run.id}-ready",
            ),
        )

    async def join_congregation(self, congregation: RoomId, network: RoomId) -> None:
        row = await self.directory.index.congregation(congregation)
        assert row is not None

        def set_network(facts: CongregationFacts) -> None:
            facts.network = network

        await self.directory.update_facts(row, set_network)

    async def index(self, space: str, facts: NetworkFacts) -> None:
        await self.directory.index.index(network_entries(space, facts))

    async def report_failure(self, run: Run[Creating], reason: str) -> None:
        what = _("network **{name}**", name=run.params.name)
        await report_unfinished(self.gateway, run, what, run.params, reason)


def network_entries(space: str, facts: NetworkFacts) -> IndexEntries:
    """The index rows of a network, from its facts."""
    rooms = facts.rooms
    entries = IndexEntries()
    entries.networks.append(
        Network(
            space_id=space,
            name=facts.name,
            announcements_id=rooms.get("announcements", ""),
            commons_id=rooms.get("commons", ""),
            founded_by=facts.founded_by,
            created_at=facts.created_at,
        )
    )
    indexed = [(space, NETWORK_SPACE)] + [
        (rooms[key], kind)
        for kind, key in ((NETWORK_ANNOUNCEMENTS, "announcements"), (COMMONS, "commons"))
        if rooms.get(key)
    ]
    entries.rooms += [IndexedRoom(room_id=r, kind=kind, network_id=space) for r, kind in indexed]
    return entries


async def rebuild_networks(rebuild: Rebuild) -> None:
    """`cohost resync`: each network's rows."""
    for space in rebuild.rooms_of(NETWORK_SPACE):
        facts = await rebuild.facts.get(space, NetworkFacts)
        if facts is None:
            continue
        rebuild.entries.extend(network_entries(space, facts))
        rebuild.counts["networks"] += 1
