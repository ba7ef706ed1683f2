"""Congregations: `!congregation create|info|members|leave`, `!host step-down`."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from handlers.community.directory import Directory, room_link
from handlers.community.facts import CongregationFacts
from handlers.community.rooms import (
    creators,
    invite_once,
    kick_quietly,
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
    CONGREGATION,
    CONGREGATION_SPACE,
    HOSTS,
    LOBBY,
)
from handlers.framework.clock import Clock
from handlers.framework.errors import UserError
from handlers.framework.limits import Limits
from handlers.framework.names import clean_name, name_key
from handlers.framework.operations import OperationRunner, Run
from handlers.framework.patterns import UserPatterns
from handlers.framework.registry import Args, CommandContext, CommandRegistry, Kind, Param
from handlers.framework.replies import Reply
from handlers.framework.types import RoomId, UserId
from storage.community import IndexEntries
from storage.models import Congregation, IndexedRoom

CREATE = "create_congregation"
# Hosts get invitations to the space and the Hosts room; Lobby and Announcements are
# open to every member of the space, so no invitation (and no rate limit) is spent.
INVITED_ROOMS = ("space", "hosts")


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
        runner.register(CREATE, self.perform_create, self.report_failure)

    def register(self, registry: CommandRegistry) -> None:
        registry.command(
            "congregation create",
            Param("name"),
            Param("cohosts", Kind.USER, optional=True, repeated=True),
            summary="Create a congregation (in a DM with me); you and the named co-hosts host it.",
        )(self.create)
        registry.command(
            "congregation info", summary="What this congregation is and who hosts it."
        )(self.info)
        registry.command("congregation members", summary="Who has joined the congregation.")(
            self.members
        )
        registry.command("congregation leave", summary="Leave the congregation.")(self.leave)
        registry.command("host step-down", summary="Stop being one of the congregation's hosts.")(
            self.step_down
        )

    # -- create ----------------------------------------------------------------
    async def create(self, ctx: CommandContext, args: Args) -> Reply:
        name = clean_name(args["name"], "congregation")
        place = await self.directory.place(ctx.message.room_id)
        if place.room is not None:
            raise UserError("Send `!congregation create` to me in a direct message.")
        if not self.creators.allows(ctx.sender):
            raise UserError(
                "Creating congregations is open to the people this cohost's operator allows "
                "(setting `creators`), and you are not one of them."
            )
        cohosts = list(dict.fromkeys(u for u in args["cohosts"] if u != ctx.sender))
        if self.gateway.user_id in cohosts:
            raise UserError("I take part in every congregation already; name only human co-hosts.")
        if len(cohosts) > self.limits.cohosts_at_creation:
            raise UserError(
                f"Name at most {self.limits.cohosts_at_creation} co-hosts now; more can be "
                "added later by the hosts' consent (`!host add`)."
            )
        await self._require_unused(name, ctx.message.event_id)
        hosts = [ctx.sender, *cohosts]
        params = {
            "name": name,
            "hosts": hosts,
            "requester": ctx.sender,
            "reply_room": ctx.message.room_id,
            "created_at": self.clock.now().isoformat(),
        }
        listed = ", ".join(hosts)

        async def start() -> None:
            await self.runner.start(ctx.message.event_id, CREATE, params)

        return Reply(
            f"Congregation **{name}** is on its way, hosted by {listed}. "
            "I'll tell you here when its space and rooms are ready.",
            then=start,
        )

    async def _require_unused(self, name: str, op_id: str) -> None:
        existing = [c.name for c in await self.directory.index.congregations()]
        pending = [p["name"] for p in await self.runner.pending_params(CREATE)]
        if name_key(name) in {name_key(n) for n in existing + pending}:
            raise UserError(
                f"A congregation called **{name}** already exists here; pick another name."
            )

    async def perform_create(self, run: Run) -> None:
        p: dict[str, Any] = run.params
        via = self.directory.via
        hosts = [UserId(h) for h in p["hosts"]]
        make = await room_maker(run, self.gateway, hosts, via)
        space = await make.create(
            "space", congregation_space(p["name"], make.marker(CONGREGATION_SPACE, "space"))
        )
        name = p["name"]
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
        facts = {
            "name": p["name"],
            "hosts": p["hosts"],
            "rooms": rooms,
            "network": None,
            "created_at": p["created_at"],
        }
        await run.step("facts", lambda: self.gateway.put_state(space, CONGREGATION, "", facts))
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
                RoomId(p["reply_room"]),
                f"Congregation **{p['name']}** is ready: {room_link(space, via)}\n"
                f"I have invited its hosts to the space and the Hosts room; Lobby and "
                f"Announcements open to everyone who joins the space.",
                UserId(p["requester"]),
                f"cohost-op-{run.id}-ready",
            ),
        )

    async def index(self, space: RoomId, facts: dict[str, Any]) -> None:
        await self.directory.index.index(congregation_entries(space, facts, released=False))

    async def report_failure(self, run: Run, reason: str) -> None:
        what = f"congregation **{run.params['name']}**"
        await report_unfinished(self.gateway, run, what, "requester", reason)

    # -- info and members ------------------------------------------------------
    async def info(self, ctx: CommandContext, args: Args) -> Reply:
        congregation = await self.directory.congregation_for(ctx.message.room_id, ctx.sender)
        index = self.directory.index
        crews = [c for c in await index.crews(congregation.space_id) if not c.released]
        network = (
            await index.network(congregation.network_space_id)
            if congregation.network_space_id
            else None
        )
        via = self.directory.via
        lines = [
            f"**{congregation.name}** — since {congregation.created_at:%Y-%m-%d}",
            f"Hosts: {', '.join(sorted(congregation.hosts))}",
            f"Crews: {len(crews)}" + (f" ({', '.join(c.name for c in crews)})" if crews else ""),
            f"Network: {network.name if network else 'none yet'}",
            f"Space: {room_link(congregation.space_id, via)}",
        ]
        return Reply("\n".join(lines))

    async def members(self, ctx: CommandContext, args: Args) -> Reply:
        congregation = await self.directory.congregation_for(ctx.message.room_id, ctx.sender)
        await self.directory.require_member(congregation, ctx.sender)
        joined = await self.gateway.joined_members(RoomId(congregation.space_id))
        people = sorted(u for u in joined if u != self.gateway.user_id)
        hosts = set(congregation.hosts)
        listed = "\n".join(f"{u}{' (host)' if u in hosts else ''}" for u in people)
        return Reply(f"**{congregation.name}** has {len(people)} members:\n{listed}")

    # -- leaving and stepping down ---------------------------------------------
    async def leave(self, ctx: CommandContext, args: Args) -> Reply:
        congregation = await self.directory.congregation_for(ctx.message.room_id, ctx.sender)
        await self.directory.require_member(congregation, ctx.sender)
        if ctx.sender in await self.directory.hosts(congregation):
            await self._remove_host(congregation, ctx.sender)
        rooms = [r.room_id for r in await self.directory.index.rooms_of(congregation.space_id)]
        removable: list[RoomId] = []
        manual: list[RoomId] = []
        for room in sorted(RoomId(r) for r in rooms):
            if ctx.sender in await self.gateway.joined_members(room):
                founder = ctx.sender in await creators(self.gateway, room)
                (manual if founder else removable).append(room)

        async def remove() -> None:
            for room in removable:
                await kick_quietly(self.gateway, room, ctx.sender, "Left the congregation")

        text = f"You are leaving **{congregation.name}**. Thank you for the time you shared."
        if manual:
            text += (
                f"\nAs one of its founders you share the top level with me in {len(manual)} "
                "room(s), so I cannot remove you there: leave them from Element's room menu."
            )
        return Reply(text, then=remove)

    async def step_down(self, ctx: CommandContext, args: Args) -> Reply:
        congregation = await self.directory.congregation_for(ctx.message.room_id, ctx.sender)
        await self.directory.require_host(congregation, ctx.sender)
        await self._remove_host(congregation, ctx.sender)
        return Reply(
            f"You are no longer a host of **{congregation.name}**. "
            "If you founded it, Matrix keeps you a creator of the rooms made then: "
            "that cannot be taken away, and you can simply leave the Hosts room."
        )

    async def _remove_host(self, congregation: Congregation, user: UserId) -> None:
        hosts = await self.directory.hosts(congregation)
        if hosts == [user]:
            raise UserError(
                f"You are the only host of **{congregation.name}**. "
                "Another host has to join first (`!host add`)."
            )

        def drop(facts: CongregationFacts) -> None:
            facts.hosts = [h for h in facts.hosts if h != user]

        await self.directory.update_facts(congregation, drop)


def congregation_entries(space: str, facts: dict[str, Any], released: bool) -> IndexEntries:
    """The index rows of a congregation, from its facts."""
    rooms = facts.get("rooms", {})
    entries = IndexEntries()
    entries.congregations.append(
        Congregation(
            space_id=space,
            name=facts["name"],
            lobby_id=rooms.get("lobby", ""),
            announcements_id=rooms.get("announcements", ""),
            hosts_room_id=rooms.get("hosts", ""),
            hosts=list(facts.get("hosts", [])),
            network_space_id=facts.get("network"),
            released=released,
            created_at=datetime.fromisoformat(facts["created_at"]),
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
