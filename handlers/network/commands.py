"""`!network create|info|join|leave`."""

from __future__ import annotations

from functools import partial
from urllib.parse import parse_qs, unquote

from handlers.community.directory import Directory, room_link
from handlers.community.places import Context, Where, Who
from handlers.framework.errors import MatrixError, UserError
from handlers.framework.language import N_, _
from handlers.framework.registry import Kind, Param, command
from handlers.framework.replies import Reply
from handlers.framework.types import RoomId
from handlers.network.crews import NetworkCrews
from handlers.network.engine import Networks
from handlers.network.membership import NetworkMembership


def parse_target(text: str) -> tuple[str, list[str]]:
    """`#alias:server`, a matrix.to link (with `via`), or a room id and server names."""
    words = text.split()
    if not words:
        raise UserError(
            _("Name the network: `#name:server`, a matrix.to link, or `!roomid server…`.")
        )
    first = words[0]
    if first.startswith("https://matrix.to/#/"):
        fragment = unquote(first.split("#/", 1)[1])
        target, _sep, query = fragment.partition("?")
        return target, parse_qs(query).get("via", [])
    if first.startswith("#") and ":" in first:
        return first, []
    if first.startswith("!"):
        if len(words) == 1 and ":" not in first:
            raise UserError(_("A room id needs the names of servers in the room after it."))
        return first, words[1:] or [first.split(":", 1)[1]]
    raise UserError(_("`{first}` is not an alias, a matrix.to link or a room id.", first=first))


class NetworkCommands:
    def __init__(
        self, networks: Networks, membership: NetworkMembership, crews: NetworkCrews
    ) -> None:
        self.networks = networks
        self.membership = membership
        self.crews = crews
        self.directory: Directory = networks.directory
        self.gateway = networks.gateway

    @command(
        "network create",
        Param("name", Kind.name("network", rest_of_line=True)),
        summary=N_("Found a network with this congregation as its first member (Hosts room)."),
        where=Where.HOSTS_ROOM,
        who=Who.HOST,
    )
    async def create(self, ctx: Context, name: str) -> Reply:
        congregation = ctx.congregation
        facts = await self.directory.facts(congregation)
        if facts.network:
            raise UserError(_("**{name}** already belongs to a network.", name=congregation.name))
        if await self.networks.being_created(congregation):
            raise UserError(
                _("A network for **{name}** is already being created.", name=congregation.name)
            )
        start = partial(
            self.networks.create,
            ctx.message.event_id,
            name,
            congregation,
            list(facts.hosts),
            ctx.sender,
            ctx.room_id,
        )
        return Reply(
            _(
                "Network **{network}** is on its way, with **{congregation}** as its first "
                "congregation. I'll tell you here when it is ready.",
                network=name,
                congregation=congregation.name,
            ),
            then=start,
        )

    @command(
        "network info",
        summary=N_("The network this congregation belongs to."),
        where=Where.CONGREGATION,
    )
    async def info(self, ctx: Context) -> Reply:
        congregation = ctx.congregation
        if not congregation.network_space_id:
            raise UserError(
                _(
                    "**{name}** is not part of a network yet. Its hosts can found one with "
                    "`!network create <name>` or apply with `!network join`.",
                    name=congregation.name,
                )
            )
        network = await self.directory.index.network(congregation.network_space_id)
        members = await self.directory.shared.members(RoomId(congregation.network_space_id))
        names = sorted(m.name or "?" for m in members.values())
        if network is None:
            raise UserError(
                _("I don't know this congregation's network yet; try again in a moment.")
            )
        via = self.directory.via
        return Reply(
            "\n".join(
                [
                    _(
                        "**{name}** — since {created_at:%Y-%m-%d}",
                        name=network.name,
                        created_at=network.created_at,
                    ),
                    _("Congregations: {names}", names=", ".join(f"**{n}**" for n in names)),
                    _("Space: {room_link}", room_link=room_link(network.space_id, via)),
                    _(
                        "Announcements: {room_link}",
                        room_link=room_link(network.announcements_id, via),
                    ),
                ]
            )
        )

    @command(
        "network join",
        Param("network", Kind.TEXT),
        summary=N_("Ask to join a network (`#name:server`, a matrix.to link, or `!id server…`)."),
        where=Where.HOSTS_ROOM,
        who=Who.HOST,
    )
    async def join(self, ctx: Context, network: str) -> Reply:
        congregation = ctx.congregation
        if (await self.directory.facts(congregation)).network:
            raise UserError(_("**{name}** already belongs to a network.", name=congregation.name))
        target, via = parse_target(network)
        if target.startswith("#"):
            try:
                room, servers = await self.gateway.resolve_alias(target)
            except MatrixError:
                raise UserError(_("I could not find `{target}`.", target=target)) from None
            via = via or servers
        else:
            room = RoomId(target)
        knock = await self.membership.apply(congregation, room, via, ctx.sender, ctx.room_id)
        return Reply(
            _(
                "I knocked on the network for **{name}**. Its member congregations "
                "decide; I will tell you here when we are in.",
                name=congregation.name,
            ),
            then=knock,
        )

    @command(
        "network crew create",
        Param("name", Kind.name("crew", rest_of_line=True)),
        summary=N_(
            "Propose a crew of the network's hosts, such as its Meta Crew (in the "
            "Commons; the member congregations decide)."
        ),
        where=Where.COMMONS,
        who=Who.NETWORK_HOST,
    )
    async def crew_create(self, ctx: Context, name: str) -> Reply:
        proposal = await self.crews.propose_crew(
            ctx.network, name, ctx.sender, ctx.message.event_id
        )
        return Reply(
            _(
                "Proposal #{number} is open: the network's crew **{name}**. The member "
                "congregations decide, one voice each.",
                number=proposal.number,
                name=name,
            )
        )

    @command(
        "network leave",
        summary=N_("Take this congregation out of its network (a host)."),
        where=Where.HOSTS_ROOM,
        who=Who.HOST,
    )
    async def leave(self, ctx: Context) -> Reply:
        congregation = ctx.congregation
        network = (await self.directory.facts(congregation)).network
        if not network:
            raise UserError(_("**{name}** is not part of a network.", name=congregation.name))
        return Reply(
            _(
                "**{name}** is leaving the network. I am taking it out of the register "
                "and leaving the network's rooms; its hosts stay where they are until "
                "they leave themselves.",
                name=congregation.name,
            ),
            then=partial(
                self.membership.leave,
                ctx.message.event_id,
                network,
                congregation,
                ctx.sender,
                ctx.room_id,
            ),
        )
