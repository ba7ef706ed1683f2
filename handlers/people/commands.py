"""`!zone` and `!language`: a person's own, for what cohost tells them in a direct
message (in a congregation's rooms its own zone and language hold). Kept until
`!forget me`."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from handlers.community.places import Context
from handlers.framework.arguments import Kind
from handlers.framework.clock import Clock
from handlers.framework.language import LANGUAGES, N_, _, speaking
from handlers.framework.registry import Param, command
from handlers.framework.replies import Reply
from handlers.framework.times import at
from storage.people import PeopleStore


class PeopleCommands:
    def __init__(self, people: PeopleStore, clock: Clock) -> None:
        self.people = people
        self.clock = clock

    @command(
        "zone",
        Param("zone", Kind.ZONE),
        summary=N_("Your own time zone, for what I tell you in a direct message."),
    )
    async def zone(self, ctx: Context, zone: ZoneInfo) -> Reply:
        await self.people.choose(ctx.sender, zone=zone.key)
        return Reply(
            _(
                "In our direct messages I show times in {zone} from now on (it is {now} "
                "there). A congregation's rooms keep its own zone.",
                zone=zone.key,
                now=at(self.clock.now(), zone),
            )
        )

    @command(
        "language",
        Param("language", Kind.LANGUAGE),
        summary=N_("Your own language (en, de or es), for what I tell you in a direct message."),
    )
    async def language(self, ctx: Context, language: str) -> Reply:
        await self.people.choose(ctx.sender, language=language)
        with speaking(language):
            return Reply(
                _(
                    "In our direct messages I speak {language} from now on. A "
                    "congregation's rooms keep its own language.",
                    language=LANGUAGES[language],
                ),
                language=language,
            )
