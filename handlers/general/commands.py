"""`!ping` and `!help` (generated from the registry's declarations)."""

from __future__ import annotations

from handlers.framework.errors import UserError
from handlers.framework.registry import CommandContext, CommandRegistry, Kind, Param
from handlers.framework.replies import Reply


class GeneralCommands:
    def __init__(self, registry: CommandRegistry) -> None:
        self.registry = registry

    def declare(self, registry: CommandRegistry) -> None:
        registry.command("ping", summary="Check that cohost is listening.")(self.ping)
        registry.command(
            "help",
            Param("command", Kind.TEXT, optional=True),
            summary="List commands, or explain one.",
        )(self.help)

    async def ping(self, ctx: CommandContext) -> Reply:
        return Reply("Pong! cohost is here.")

    async def help(self, ctx: CommandContext, command: str | None) -> Reply:
        if command:
            found = self.registry.find(command)
            if not found:
                raise UserError(
                    f"There is no command `!{command.lstrip('!')}`. Send `!help` for all."
                )
            return Reply("\n".join(f"`{c.usage()}` — {c.summary}" for c in found))
        lines = ["I host microsolidarity crews and congregations. Commands:"]
        lines += [f"`{c.usage()}` — {c.summary}" for c in self.registry.commands]
        return Reply("\n".join(lines))
