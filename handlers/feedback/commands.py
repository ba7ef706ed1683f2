"""`!feedback ask` (in a crew's room) and `!feedback give <crew> [@asker] [anonymous] <text>`
(in a direct room with cohost, so that nobody else reads it)."""

from __future__ import annotations

from handlers.community.directory import Directory
from handlers.community.places import Context, Where, Who
from handlers.feedback.engine import Feedback
from handlers.framework.arguments import USER_ID
from handlers.framework.errors import UserError
from handlers.framework.language import N_, _, _n
from handlers.framework.registry import Kind, Param, command
from handlers.framework.replies import Reply
from handlers.framework.types import UserId

ANONYMOUS = "anonymous"


class FeedbackCommands:
    def __init__(self, feedback: Feedback, directory: Directory) -> None:
        self.feedback = feedback
        self.directory = directory

    @command(
        "feedback ask",
        summary=N_("Ask each crewmate, privately, what you could develop next."),
        where=Where.CREW_ROOM,
        who=Who.CREW_MEMBER,
    )
    async def ask(self, ctx: Context) -> Reply:
        people = await self.directory.people_in(ctx.room_id)  # cohosts aside
        mates = sorted(UserId(u) for u in people if u != ctx.sender)
        if not mates:
            raise UserError(_("Nobody else has joined your crew yet to ask."))
        await self.feedback.ask(ctx.crew, ctx.sender, mates, ctx.message.event_id)
        return Reply(
            _n(
                "I am asking your crewmate, in a direct room with me. Their answer comes "
                "to you alone, in ours.",
                "I am asking your {count} crewmates, each in a direct room with me. Their "
                "answers come to you alone, in ours.",
                len(mates),
            )
        )

    @command(
        "feedback give",
        Param("crew", Kind.name("crew")),
        Param("text", Kind.TEXT),
        summary=N_(
            "Answer a crewmate who asked (in a DM with me); start with `anonymous` "
            "to stay unnamed, and with the asker where several asked."
        ),
        where=Where.DM,
    )
    async def give(self, ctx: Context, crew: str, text: str) -> Reply:
        # `[@asker] [anonymous] <answer>`: the asker named where several asked.
        first, *others = text.split(maxsplit=1)  # any whitespace: a line break too
        named = UserId(first) if USER_ID.fullmatch(first) else None
        if named is not None:
            text = others[0] if others else ""
            first, *others = text.split(maxsplit=1) or [""]
        rest = others[0] if others else ""
        anonymous = first.lower() == ANONYMOUS
        asker = await self.feedback.give(
            ctx.sender, crew, anonymous, rest if anonymous else text, ctx.message.event_id, named
        )
        marked = _("without your name") if anonymous else _("with your name")
        return Reply(
            _("Thank you: I passed it on to {asker}, {marked}.", asker=asker, marked=marked)
        )
