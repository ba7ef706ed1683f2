"""`!forget me`: erase what cohost's database holds about the sender."""

from __future__ import annotations

from handlers.community.places import Context
from handlers.decisions.engine import Decisions
from handlers.framework.arguments import Kind
from handlers.framework.dispatch import CommandHandler
from handlers.framework.language import N_, _
from handlers.framework.registry import Param, command
from handlers.framework.replies import Reply
from handlers.rhythm.engine import Rhythm
from handlers.rounds.engine import Rounds
from storage.pathway import FeedbackStore
from storage.people import PeopleStore

# What each store says it erased, as people read it.
ERASED = {
    "votes": N_("votes"),
    "notes": N_("notes"),
    "closed proposals": N_("closed proposals"),
    "open proposals naming you (now a pseudonym)": N_(
        "open proposals naming you (now a pseudonym)"
    ),
    "retrospective answers": N_("retrospective answers"),
    "hosting turns": N_("hosting turns"),
    "feedback requests": N_("feedback requests"),
    "direct rooms remembered": N_("direct rooms remembered"),
    "own settings": N_("own settings"),
    "rounds taken part in": N_("rounds taken part in"),
    "round groups": N_("round groups"),
    "commands kept for stand-ins": N_("commands kept for stand-ins"),
}


class PrivacyCommands:
    def __init__(
        self,
        decisions: Decisions,
        rhythm: Rhythm,
        feedback: FeedbackStore,
        people: PeopleStore,
        rounds: Rounds,
        commands: CommandHandler,
    ) -> None:
        self.people = people
        self.rounds = rounds
        self.decisions = decisions
        self.rhythm = rhythm
        self.feedback = feedback
        self.commands = commands

    @command(
        "forget",
        Param(
            "who",
            Kind.literal("me", refusal=N_("I only forget the person who asks: send `!forget me`.")),
        ),
        summary=N_("`!forget me`: erase what my database holds about you."),
        every_cohost=True,  # in a shared room, every cohost there forgets
    )
    async def forget(self, ctx: Context) -> Reply:
        erased = {
            **await self.decisions.forget(ctx.sender),
            **await self.rhythm.forget(ctx.sender),
            **await self.feedback.forget(ctx.sender),
            **await self.people.forget(ctx.sender),
            **await self.rounds.forget(ctx.sender),
            **await self.commands.forget(ctx.sender),
        }
        counts = ", ".join(
            _("{what}: {count}", what=_(ERASED.get(what, what)), count=n)
            for what, n in erased.items()
        )
        return Reply(
            _(
                "Done: I erased what my database held about you ({counts}); open "
                "proposals and crews' cycles are recorded again in their rooms without "
                "your votes, answers and hosting turns, and your votes on open "
                "proposals no longer count; feedback requests you made are gone, and "
                "nobody's request waits for you.\nWhat stays in Matrix, which I cannot "
                "erase: your own messages, reactions and memberships; the outcomes of "
                "closed proposals recorded in room state (who consented and who "
                "objected); and the hosts of congregations and networks named in their "
                "room state while you host. Leaving a room, or redacting your "
                "messages, is yours to do.",
                counts=counts,
            )
        )
