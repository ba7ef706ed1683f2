"""`!release`: in a crew's room (its members) or the Hosts room (the hosts)."""

from __future__ import annotations

from functools import partial

from handlers.community.places import Context, Where, Who
from handlers.framework.errors import UserError
from handlers.framework.language import N_, _
from handlers.framework.registry import command
from handlers.framework.replies import Reply
from handlers.release.engine import Release


class ReleaseCommands:
    def __init__(self, release: Release) -> None:
        self.release = release

    @command(
        "release",
        summary=N_(
            "Ask cohost to leave this crew (in its room) or the whole congregation "
            "(in the Hosts room)."
        ),
        where=Where.CREW_OR_HOSTS_ROOM,
        who=Who.RESPONSIBLE,
    )
    async def release_here(self, ctx: Context) -> Reply:
        if ctx.found_network is not None:
            raise UserError(
                _(
                    "A network's crew is kept by the network's cohosts together; releasing "
                    "one of them from it is not possible yet."
                )
            )
        crew = ctx.found_crew
        what = (
            _("the crew **{name}**", name=crew.name)
            if crew is not None
            else _("every room of **{name}**", name=ctx.congregation.name)
        )
        start = partial(
            self.release.release, ctx.message.event_id, ctx.congregation, crew, ctx.sender
        )
        return Reply(
            _(
                "Releasing {what}. I am recording the release and leaving; I will not "
                "act there again. The founders hold every power I held: you can change "
                "the rooms' settings, invite, and upgrade a room to one I am not in.",
                what=what,
            ),
            then=start,
        )
