"""`!pathway`: in a DM with cohost, the asker's own record. It takes no name: nobody
can ask for someone else's."""

from __future__ import annotations

from handlers.community.places import Context, Where
from handlers.framework.language import N_, _
from handlers.framework.registry import command
from handlers.framework.replies import Reply
from handlers.pathway.engine import Pathways


class PathwayCommands:
    def __init__(self, pathways: Pathways) -> None:
        self.pathways = pathways

    @command(
        "pathway",
        summary=N_("Your own practice pathway, as cohost knows it (in a DM with me)."),
        where=Where.DM,
    )
    async def pathway(self, ctx: Context) -> Reply:
        p = await self.pathways.of(ctx.sender)

        def listed(names: list[str]) -> str:
            return f"{len(names)}" + (f" ({', '.join(f'**{n}**' for n in names)})" if names else "")

        lines = [
            _("Your pathway, as I know it:"),
            _("Crews you called: {listed}", listed=listed(p.crews_called)),
            _("Crews you are in: {listed}", listed=listed(p.crews_joined)),
            _("Meetings you hosted: {meetings_hosted}", meetings_hosted=p.rhythm.meetings_hosted),
            _(
                "Cycles you completed: {cycles_completed}",
                cycles_completed=p.rhythm.cycles_completed,
            ),
            _(
                "Retrospectives you answered: {retrospectives_answered}",
                retrospectives_answered=p.rhythm.retrospectives_answered,
            ),
            _("Congregations you host: {listed}", listed=listed(p.hosting)),
            _("Networks you host in: {listed}", listed=listed(p.network_hosting)),
            _(
                "Crew first, host a few crews, then a congregation: ask your crew what "
                "to develop next with `!feedback ask` in its room."
            ),
        ]
        return Reply("\n".join(lines))
