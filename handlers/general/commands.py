"""`!ping` and `!help`: generated from the registry's declarations, and filtered by what
the asker may do where they ask (each command's declared preconditions)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence

from handlers.community.places import Context
from handlers.framework.errors import UserError
from handlers.framework.language import N_, _
from handlers.framework.registry import BOT_WORD, Command, CommandRegistry, Kind, Param, command
from handlers.framework.replies import Reply
from handlers.framework.types import IncomingMessage

Permitted = Callable[[Sequence[Command], IncomingMessage], Awaitable[list[Command]]]

# Headings of the help, by a command's first word (the words are SPEC §4's); the rest
# is "General".
GROUPS = {
    "congregation": N_("Congregation"),
    "host": N_("Congregation"),
    "announce": N_("Congregation"),
    "release": N_("Congregation"),
    "crew": N_("Crews"),
    "feedback": N_("Crews"),
    "propose": N_("Decisions"),
    "proposals": N_("Decisions"),
    "consent": N_("Decisions"),
    "object": N_("Decisions"),
    "withdraw": N_("Decisions"),
    "extend": N_("Decisions"),
    "review": N_("Decisions"),
    "decisions": N_("Decisions"),
    "network": N_("Network"),
    "rounds": N_("Crews"),
}
ORDER = [N_("General"), N_("Congregation"), N_("Crews"), N_("Decisions"), N_("Network")]
ALL = "all"


async def everything(commands: Sequence[Command], message: IncomingMessage) -> list[Command]:
    return list(commands)


class GeneralCommands:
    def __init__(self, registry: CommandRegistry, permitted: Permitted = everything) -> None:
        self.registry = registry
        self.permitted = permitted

    @command("ping", summary=N_("Check that cohost is listening."))
    async def ping(self, ctx: Context) -> Reply:
        return Reply(_("Pong! cohost is here."))

    @command(
        "help",
        Param("command", Kind.TEXT, optional=True),
        summary=N_("What you can do here; `!help <command>` explains one, `!help all` lists all."),
    )
    async def help(self, ctx: Context, command: str | None) -> Reply:
        asked = (command or "").strip().lstrip("!")
        if asked.lower() == ALL:
            return Reply(
                grouped(_("Everything I can do, wherever it is done:"), self.registry.commands)
            )
        if asked:
            return Reply(self.explain(asked))
        allowed = await self.permitted(self.registry.commands, ctx.message)
        hidden = len(self.registry.commands) - len(allowed)
        lines = [
            grouped(_("I host microsolidarity crews and congregations. Here you can:"), allowed)
        ]
        more = (
            _(" and `!help all` for the {hidden} that work elsewhere or for others", hidden=hidden)
            if hidden
            else ""
        )
        lines.append(_("\n`!help <command>` tells more{more}.", more=more))
        return Reply("".join(lines))

    def explain(self, asked: str) -> str:
        words = asked.split()
        if words and words[0].lower() == BOT_WORD:
            words = words[1:]
        found = self.registry.find(" ".join(words))
        if not found:
            near = self.registry.closest(words[0]) if words else None
            hint = _(" Did you mean `!help {near}`?", near=near) if near else ""
            raise UserError(
                _(
                    "There is no command `!{asked}`.{hint} Send `!help all` for all.",
                    asked=asked,
                    hint=hint,
                )
            )
        return "\n".join(
            _(
                "`{usage}` — {summary}\n  Where: {where}; who: {who}.",
                usage=c.usage(),
                summary=_(c.summary),
                where=_(c.where.value) if c.where else _("anywhere"),
                who=_(c.who.value) if c.who else _("anyone"),
            )
            for c in found
        )


def grouped(heading: str, commands: Iterable[Command]) -> str:
    groups: dict[str, list[Command]] = {}
    for c in commands:
        groups.setdefault(GROUPS.get(c.path[0], ORDER[0]), []).append(c)
    lines = [heading]
    for group in ORDER:
        if group in groups:
            lines.append(f"**{_(group)}**")
            lines += [f"- `{c.usage()}` — {_(c.summary)}" for c in groups[group]]
    return "\n".join(lines)
