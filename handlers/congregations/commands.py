"""`!congregation create|info|members|leave|invite` and `!host add|remove|step-down`."""

from __future__ import annotations

from functools import partial
from zoneinfo import ZoneInfo

from handlers.community.directory import Directory, room_link
from handlers.community.facts import CongregationFacts
from handlers.community.places import Context, Where, Who
from handlers.community.rooms import creators, kick_quietly
from handlers.congregations.engine import Congregations
from handlers.framework.errors import UserError
from handlers.framework.language import LANGUAGES, N_, _, _n, current, speaking
from handlers.framework.registry import Kind, Param, command
from handlers.framework.replies import Reply
from handlers.framework.times import at
from handlers.framework.types import RoomId, UserId
from handlers.membership.engine import HOST_ADD, HOST_REMOVE, Membership

MAX_QUORUM = 150  # a congregation's size, as the practice sees it
# Who decides on a sponsored member, as the thanks say it (the setting's words).
DECIDERS = {"hosts": N_("hosts"), "members": N_("members")}


class CongregationCommands:
    def __init__(self, congregations: Congregations, membership: Membership) -> None:
        self.congregations = congregations
        self.membership = membership
        self.directory: Directory = congregations.directory
        self.gateway = congregations.gateway

    # -- the congregation --------------------------------------------------------
    @command(
        "congregation create",
        Param("name", Kind.name("congregation")),
        Param("cohosts", Kind.USER, optional=True, repeated=True),
        summary=N_("Create a congregation (in a DM with me); you and the named co-hosts host it."),
        where=Where.DM,
    )
    async def create(self, ctx: Context, name: str, cohosts: list[UserId]) -> Reply:
        if not self.congregations.creators.allows(ctx.sender):
            raise UserError(
                _(
                    "Creating congregations is open to the people this cohost's operator "
                    "allows (setting `creators`), and you are not one of them."
                )
            )
        named = list(dict.fromkeys(u for u in cohosts if u != ctx.sender))
        if self.gateway.user_id in named:
            raise UserError(
                _("I take part in every congregation already; name only human co-hosts.")
            )
        limit = self.congregations.limits.cohosts_at_creation
        if len(named) > limit:
            raise UserError(
                _(
                    "Name at most {limit} co-hosts now; more can be added later by the "
                    "hosts' consent (`!host add`).",
                    limit=limit,
                )
            )
        await self.congregations.require_unused(name)
        hosts = [ctx.sender, *named]
        start = partial(
            self.congregations.create, ctx.message.event_id, name, hosts, ctx.sender, ctx.room_id
        )
        return Reply(
            _(
                "Congregation **{name}** is on its way, hosted by {hosts}. I'll tell "
                "you here when its space and rooms are ready.",
                name=name,
                hosts=", ".join(hosts),
            ),
            then=start,
        )

    @command(
        "congregation info",
        summary=N_("What this congregation is and who hosts it."),
        where=Where.CONGREGATION,
    )
    async def info(self, ctx: Context) -> Reply:
        congregation = ctx.congregation
        index = self.directory.index
        crews = [c for c in await index.crews(congregation.space_id) if not c.released]
        network = (
            await index.network(congregation.network_space_id)
            if congregation.network_space_id
            else None
        )
        lines = [
            _(
                "**{name}** — since {created_at:%Y-%m-%d}",
                name=congregation.name,
                created_at=congregation.created_at,
            ),
            _("Hosts: {hosts}", hosts=", ".join(sorted(congregation.hosts))),
            _(
                "Crews: {count} ({crews})",
                count=len(crews),
                crews=", ".join(c.room_id for c in crews),
            )
            if crews
            else _("Crews: none yet"),
            (_("Network: **{name}**", name=network.name) if network else _("Network: none yet")),
            _("Times shown in: {zone}", zone=(await self.directory.zone_of(ctx.room_id)).key),
            _("Language: {language}", language=LANGUAGES.get(current(), f"`{current()}`")),
            _("Space: {room_link}", room_link=room_link(congregation.space_id, self.directory.via)),
        ]
        return Reply("\n".join(lines), rooms=self.directory.links_to(crews))

    @command(
        "congregation zone",
        Param("zone", Kind.ZONE),
        summary=N_(
            "Show this congregation's times in a time zone (an IANA name such as Europe/Berlin)."
        ),
        where=Where.CONGREGATION,
        who=Who.HOST,
    )
    async def zone(self, ctx: Context, zone: ZoneInfo) -> Reply:
        def zoned(facts: CongregationFacts) -> None:
            facts.zone = zone.key

        await self.directory.update_facts(ctx.congregation, zoned)
        now = at(self.congregations.clock.now(), zone)
        return Reply(
            _(
                "Times in **{name}** are now shown in {zone} (it is {now} there); crews "
                "keep the zone of their own rhythm.",
                name=ctx.congregation.name,
                zone=zone.key,
                now=now,
            )
        )

    @command(
        "congregation language",
        Param("language", Kind.LANGUAGE),
        summary=N_("Speak a language in this congregation's rooms (en, de or es)."),
        where=Where.CONGREGATION,
        who=Who.HOST,
    )
    async def language(self, ctx: Context, language: str) -> Reply:
        def spoken(facts: CongregationFacts) -> None:
            facts.language = language

        await self.directory.update_facts(ctx.congregation, spoken)
        with speaking(language):  # the answer already in the language chosen
            return Reply(
                _(
                    "I speak {language} in **{name}** from now on; its crews too. Commands "
                    "stay as they are: `!help` explains them.",
                    language=LANGUAGES[language],
                    name=ctx.congregation.name,
                ),
                language=language,
            )

    @command(
        "congregation quorum",
        Param("quorum", Kind.INT),
        summary=N_("How many deciders must have answered when a proposal closes (0: any number)."),
        where=Where.CONGREGATION,
        who=Who.HOST,
    )
    async def quorum(self, ctx: Context, quorum: int) -> Reply:
        if not 0 <= quorum <= MAX_QUORUM:
            raise UserError(_("A quorum is 0 to {most} deciders.", most=MAX_QUORUM))

        def set_quorum(facts: CongregationFacts) -> None:
            facts.quorum = quorum or None

        await self.directory.update_facts(ctx.congregation, set_quorum)
        if not quorum:
            return Reply(
                _("Proposals in **{name}** need no quorum now.", name=ctx.congregation.name)
            )
        return Reply(
            _n(
                "From now on a proposal in **{name}** passes at its close only if at least "
                "{count} of its deciders answered (all of them, where fewer decide); "
                "proposals open now keep what they started with.",
                "From now on a proposal in **{name}** passes at its close only if at least "
                "{count} of its deciders answered (all of them, where fewer decide); "
                "proposals open now keep what they started with.",
                quorum,
                name=ctx.congregation.name,
            )
        )

    @command(
        "congregation members",
        summary=N_("Who has joined the congregation."),
        where=Where.CONGREGATION,
        who=Who.MEMBER,
    )
    async def members(self, ctx: Context) -> Reply:
        congregation = ctx.congregation
        joined = await self.gateway.joined_members(RoomId(congregation.space_id))
        people = sorted(u for u in joined if u != self.gateway.user_id)
        hosts = set(congregation.hosts)
        listed = "\n".join(_("{user} (host)", user=u) if u in hosts else u for u in people)
        return Reply(
            _n(
                "**{name}** has {count} member:\n{listed}",
                "**{name}** has {count} members:\n{listed}",
                len(people),
                name=congregation.name,
                listed=listed,
            )
        )

    @command(
        "congregation leave",
        summary=N_("Leave the congregation."),
        where=Where.CONGREGATION,
        who=Who.MEMBER,
    )
    async def leave(self, ctx: Context) -> Reply:
        congregation = ctx.congregation
        if ctx.sender in await self.directory.hosts(congregation):
            await self.congregations.remove_host(congregation, ctx.sender)
        rooms = [r.room_id for r in await self.directory.index.rooms_of(congregation.space_id)]
        removable: list[RoomId] = []
        manual: list[RoomId] = []
        for room in sorted(RoomId(r) for r in rooms):
            if ctx.sender in await self.gateway.joined_members(room):
                founder = ctx.sender in await creators(self.gateway, room)
                (manual if founder else removable).append(room)

        async def remove() -> None:
            for room in removable:
                await kick_quietly(self.gateway, room, ctx.sender, _("Left the congregation"))

        text = _(
            "You are leaving **{name}**. Thank you for the time you shared.", name=congregation.name
        )
        if manual:
            text += "\n" + _n(
                "As one of its founders you share the top level with me in {count} room, "
                "so I cannot remove you there: leave it from Element's room menu.",
                "As one of its founders you share the top level with me in {count} rooms, "
                "so I cannot remove you there: leave them from Element's room menu.",
                len(manual),
            )
        return Reply(text, then=remove)

    @command(
        "congregation invite",
        Param("user", Kind.USER),
        Param("why", Kind.TEXT, optional=True),
        summary=N_("Sponsor someone to join the congregation (the hosts decide)."),
        where=Where.CONGREGATION,
        who=Who.MEMBER,
    )
    async def invite(self, ctx: Context, user: UserId, why: str | None) -> Reply:
        congregation = ctx.congregation
        if user in await self.gateway.joined_members(RoomId(congregation.space_id)):
            raise UserError(
                _("{user} is already a member of **{name}**.", user=user, name=congregation.name)
            )
        proposal = await self.membership.open_congregation_join(
            congregation, user, ctx.sender, ctx.message.event_id, why
        )
        return Reply(
            _(
                "Thank you for sponsoring {user}: proposal #{number} is open for the "
                "{decided_by} of **{name}**.",
                user=user,
                number=proposal.number,
                decided_by=_(DECIDERS[self.membership.decided_by]),
                name=congregation.name,
            )
        )

    # -- hosts ---------------------------------------------------------------------
    @command(
        "host add",
        Param("user", Kind.USER),
        summary=N_("Propose a new host (hosts decide)."),
        where=Where.HOSTS_ROOM,
        who=Who.HOST,
    )
    async def host_add(self, ctx: Context, user: UserId) -> Reply:
        congregation = ctx.congregation
        hosts = await self.directory.hosts(congregation)
        if user in hosts:
            raise UserError(_("{user} is already a host.", user=user))
        if user not in await self.gateway.joined_members(RoomId(congregation.space_id)):
            raise UserError(
                _(
                    "{user} has to be a member of **{name}** before hosting it.",
                    user=user,
                    name=congregation.name,
                )
            )
        proposal = await self.membership.open_host_change(
            HOST_ADD, congregation, ctx.sender, ctx.message.event_id, user, hosts
        )
        return Reply(
            _(
                "Proposal #{number} is open: {user} becomes a host.",
                number=proposal.number,
                user=user,
            )
        )

    @command(
        "host remove",
        Param("user", Kind.USER),
        summary=N_("Propose that a host steps back (hosts decide)."),
        where=Where.HOSTS_ROOM,
        who=Who.HOST,
    )
    async def host_remove(self, ctx: Context, user: UserId) -> Reply:
        congregation = ctx.congregation
        hosts = await self.directory.hosts(congregation)
        if user not in hosts:
            raise UserError(
                _("{user} is not a host of **{name}**.", user=user, name=congregation.name)
            )
        deciders = [h for h in hosts if h != user]
        if not deciders:
            raise UserError(_("A congregation keeps at least one host."))
        proposal = await self.membership.open_host_change(
            HOST_REMOVE, congregation, ctx.sender, ctx.message.event_id, user, deciders
        )
        return Reply(
            _(
                "Proposal #{number} is open: {user} is no longer a host.",
                number=proposal.number,
                user=user,
            )
        )

    @command(
        "host step-down",
        summary=N_("Stop being one of the congregation's hosts."),
        where=Where.CONGREGATION,
        who=Who.HOST,
    )
    async def step_down(self, ctx: Context) -> Reply:
        congregation = ctx.congregation
        await self.congregations.remove_host(congregation, ctx.sender)
        return Reply(
            _(
                "You are no longer a host of **{name}**. If you founded it, Matrix "
                "keeps you a creator of the rooms made then: that cannot be taken "
                "away, and you can simply leave the Hosts room.",
                name=congregation.name,
            )
        )
