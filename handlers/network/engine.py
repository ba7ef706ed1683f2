"""The network of congregations: `!network create|info`."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from handlers.community.directory import Directory, room_link
from handlers.community.facts import MEMBER, CongregationFacts
from handlers.community.rooms import invite_once, link, report, report_unfinished, room_maker
from handlers.community.shape import commons, network_announcements, network_space
from handlers.community.state import (
    COMMONS,
    NETWORK,
    NETWORK_ANNOUNCEMENTS,
    NETWORK_SPACE,
)
from handlers.framework.clock import Clock
from handlers.framework.errors import UserError
from handlers.framework.names import clean_name
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.registry import Args, CommandContext, CommandRegistry, Kind, Param
from handlers.framework.replies import Reply
from handlers.framework.types import RoomId, UserId
from storage.community import IndexEntries
from storage.models import IndexedRoom, Network

CREATE = "create_network"


class Networks:
    def __init__(self, directory: Directory, runner: OperationRunner, clock: Clock) -> None:
        self.directory = directory
        self.gateway = directory.gateway
        self.runner = runner
        self.clock = clock
        runner.register(CREATE, self.perform_create, self.report_failure)

    def register(self, registry: CommandRegistry) -> None:
        registry.command(
            "network create",
            Param("name", Kind.TEXT),
            summary="Found a network with this congregation as its first member (Hosts room).",
        )(self.create)
        registry.command("network info", summary="The network this congregation belongs to.")(
            self.info
        )

    async def create(self, ctx: CommandContext, args: Args) -> Reply:
        name = clean_name(args["name"], "network")
        place = await self.directory.place(ctx.message.room_id)
        congregation = self.directory.require_hosts_room(place, "!network create")
        facts = await self.directory.require_host(congregation, ctx.sender)
        if facts.network:
            raise UserError(f"**{congregation.name}** already belongs to a network.")
        if [
            p
            for p in await self.runner.pending_params(CREATE)
            if p["congregation"] == congregation.space_id
        ]:
            raise UserError(f"A network for **{congregation.name}** is already being created.")
        params = {
            "name": name,
            "congregation": congregation.space_id,
            "congregation_name": congregation.name,
            "hosts": list(facts.hosts),
            "requester": ctx.sender,
            "reply_room": ctx.message.room_id,
            "created_at": self.clock.now().isoformat(),
        }

        async def start() -> None:
            await self.runner.start(ctx.message.event_id, CREATE, params)

        return Reply(
            f"Network **{name}** is on its way, with **{congregation.name}** as its first "
            "congregation. I'll tell you here when it is ready.",
            then=start,
        )

    async def perform_create(self, run: Run) -> None:
        p: dict[str, Any] = run.params
        bot, via = self.gateway.user_id, self.directory.via
        hosts = [UserId(h) for h in p["hosts"]]
        congregation = RoomId(p["congregation"])
        make = await room_maker(run, self.gateway, hosts, via)
        space = await make.create(
            "space", network_space(p["name"], make.marker(NETWORK_SPACE, "space"))
        )
        name = p["name"]
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
        facts = {
            "name": p["name"],
            "rooms": rooms,
            "founded_by": p["congregation"],
            "created_at": p["created_at"],
        }
        await run.step("facts", partial(self.gateway.put_state, space, NETWORK, "", facts))
        entry = {"name": p.get("congregation_name", ""), "bot": bot, "hosts": p["hosts"]}
        await run.step(
            "register", partial(self.gateway.put_state, space, MEMBER, congregation, entry)
        )
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
                RoomId(p["reply_room"]),
                f"Network **{p['name']}** is ready: {room_link(space, via)}\n"
                "I have invited this congregation's hosts to the network space and its Commons.",
                UserId(p["requester"]),
                f"cohost-op-{run.id}-ready",
            ),
        )

    async def join_congregation(self, congregation: RoomId, network: RoomId) -> None:
        row = await self.directory.index.congregation(congregation)
        assert row is not None

        def set_network(facts: CongregationFacts) -> None:
            facts.network = network

        await self.directory.update_facts(row, set_network)

    async def index(self, space: str, facts: dict[str, Any]) -> None:
        await self.directory.index.index(network_entries(space, facts))

    async def report_failure(self, run: Run, reason: str) -> None:
        what = f"network **{run.params['name']}**"
        await report_unfinished(self.gateway, run, what, "requester", reason)

    async def info(self, ctx: CommandContext, args: Args) -> Reply:
        congregation = await self.directory.congregation_for(ctx.message.room_id, ctx.sender)
        if not congregation.network_space_id:
            raise UserError(
                f"**{congregation.name}** is not part of a network yet. Its hosts can found one "
                "with `!network create <name>` or apply with `!network join`."
            )
        network = await self.directory.index.network(congregation.network_space_id)
        members = await self.directory.shared.members(RoomId(congregation.network_space_id))
        names = sorted(m.name or "?" for m in members.values())
        if network is None:
            raise UserError("I don't know this congregation's network yet; try again in a moment.")
        via = self.directory.via
        return Reply(
            "\n".join(
                [
                    f"**{network.name}** — since {network.created_at:%Y-%m-%d}",
                    f"Congregations: {', '.join(names)}",
                    f"Space: {room_link(network.space_id, via)}",
                    f"Announcements: {room_link(network.announcements_id, via)}",
                ]
            )
        )


def network_entries(space: str, facts: dict[str, Any]) -> IndexEntries:
    """The index rows of a network, from its facts."""
    rooms = facts.get("rooms", {})
    entries = IndexEntries()
    entries.networks.append(
        Network(
            space_id=space,
            name=facts["name"],
            announcements_id=rooms.get("announcements", ""),
            commons_id=rooms.get("commons", ""),
            founded_by=facts.get("founded_by", ""),
            created_at=datetime.fromisoformat(facts["created_at"]),
        )
    )
    indexed = [(space, NETWORK_SPACE)] + [
        (rooms[key], kind)
        for kind, key in ((NETWORK_ANNOUNCEMENTS, "announcements"), (COMMONS, "commons"))
        if rooms.get(key)
    ]
    entries.rooms += [IndexedRoom(room_id=r, kind=kind, network_id=space) for r, kind in indexed]
    return entries
