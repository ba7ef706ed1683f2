"""`!pathway`: in a DM with cohost, the asker's own record. It takes no name: nobody
can ask for someone else's."""

from __future__ import annotations

from handlers.community.places import Context, Where
from handlers.framework.registry import command
from handlers.framework.replies import Reply
from handlers.pathway.engine import Pathways


class PathwayCommands:
    def __init__(self, pathways: Pathways) -> None:
        self.pathways = pathways

    @command(
        "pathway",
        summary="Your own practice pathway, as cohost knows it (in a DM with me).",
        where=Where.DM,
    )
    async def pathway(self, ctx: Context) -> Reply:
        p = await self.pathways.of(ctx.sender)

        def listed(names: list[str]) -> str:
            return f"{len(names)}" + (f" ({', '.join(names)})" if names else "")

        lines = [
            "Your pathway, as I know it:",
            f"Crews you called: {listed(p.crews_called)}",
            f"Crews you are in: {listed(p.crews_joined)}",
            f"Meetings you hosted: {p.rhythm.meetings_hosted}",
            f"Cycles you completed: {p.rhythm.cycles_completed}",
            f"Retrospectives you answered: {p.rhythm.retrospectives_answered}",
            f"Congregations you host: {listed(p.hosting)}",
            f"Networks you host in: {listed(p.network_hosting)}",
            "Crew first, host a few crews, then a congregation: ask your crew what to "
            "develop next with `!feedback ask` in its room.",
        ]
        return Reply("\n".join(lines))
