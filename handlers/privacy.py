"""`!forget me`: erase what cohost's database holds about the sender."""

from __future__ import annotations

from handlers.decisions import Decisions
from handlers.errors import UserError
from handlers.registry import Args, CommandContext, CommandRegistry, Param
from handlers.replies import Reply


class Privacy:
    def __init__(self, decisions: Decisions) -> None:
        self.decisions = decisions

    def register(self, registry: CommandRegistry) -> None:
        registry.command(
            "forget", Param("who"), summary="`!forget me`: erase what my database holds about you."
        )(self.forget)

    async def forget(self, ctx: CommandContext, args: Args) -> Reply:
        if args["who"].lower() != "me":
            raise UserError("I only forget the person who asks: send `!forget me`.")
        erased = await self.decisions.forget(ctx.sender)
        counts = ", ".join(f"{n} {what}" for what, n in erased.items())
        return Reply(
            f"Done: I erased what my database held about you ({counts}); your votes on open "
            "proposals no longer count. What stays is in Matrix itself: your own messages, "
            "reactions and memberships, and the outcomes recorded in room state, which "
            "belong to the rooms you shared. Leaving a room, or redacting your messages, "
            "is yours to do."
        )
