"""General commands: !help and !ping."""

from __future__ import annotations

from handlers.framework.errors import UserError
from handlers.framework.registry import Args, CommandContext, CommandRegistry, Kind, Param
from handlers.framework.replies import Reply


def register_general(registry: CommandRegistry) -> None:
    @registry.command("ping", summary="Check that cohost is listening.")
    async def ping(ctx: CommandContext, args: Args) -> Reply:
        return Reply("Pong! cohost is here.")

    @registry.command(
        "help", Param("command", Kind.TEXT, optional=True), summary="List commands, or explain one."
    )
    async def help_(ctx: CommandContext, args: Args) -> Reply:
        wanted: str | None = args["command"]
        if wanted:
            found = registry.find(wanted)
            if not found:
                raise UserError(
                    f"There is no command `!{wanted.lstrip('!')}`. Send `!help` for all."
                )
            return Reply("\n".join(f"`{c.usage()}` — {c.summary}" for c in found))
        lines = ["I host microsolidarity crews and congregations. Commands:"]
        lines += [f"`{c.usage()}` — {c.summary}" for c in registry.commands]
        return Reply("\n".join(lines))
