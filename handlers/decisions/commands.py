"""`!proposals`, `!consent n`, `!object n <reason>`, `!withdraw n`: acts on the
proposals open in the room where they are sent."""

from __future__ import annotations

from handlers.decisions.engine import Decisions, voice_of
from handlers.decisions.tally import CONSENT, OBJECT, WITHDRAW
from handlers.framework.errors import UserError
from handlers.framework.limits import MAX_REASON
from handlers.framework.registry import CommandContext, CommandRegistry, Kind, Param
from handlers.framework.replies import Reply
from handlers.framework.text import one_line
from storage.models import Ballot, Proposal


class DecisionCommands:
    def __init__(self, decisions: Decisions) -> None:
        self.decisions = decisions

    def declare(self, registry: CommandRegistry) -> None:
        registry.command("proposals", summary="The open proposals in this room.")(self.list_open)
        registry.command(
            "consent", Param("n", Kind.INT), summary="Consent to proposal n (or react 👍)."
        )(self.consent)
        registry.command(
            "object",
            Param("n", Kind.INT),
            Param("reason", Kind.TEXT, optional=True),
            summary="Object to proposal n, saying what harm you foresee (or react ✋).",
        )(self.object)
        registry.command(
            "withdraw",
            Param("n", Kind.INT),
            summary="Withdraw your objection to proposal n, or your own proposal.",
        )(self.withdraw)

    async def consent(self, ctx: CommandContext, n: int) -> Reply:
        proposal = await self.decisions.proposal_here(ctx.room_id, n)
        self.decisions.require_decider(proposal, ctx.sender)
        await self.decisions.record(proposal, _ballot(ctx, proposal, CONSENT))
        return Reply(f"Your consent to #{proposal.number} is recorded.")

    async def object(self, ctx: CommandContext, n: int, reason: str | None) -> Reply:
        proposal = await self.decisions.proposal_here(ctx.room_id, n)
        self.decisions.require_decider(proposal, ctx.sender)
        said = one_line(reason or "", MAX_REASON + 1)
        if not said:
            raise UserError(
                f"An objection needs a reason: what harm do you foresee? "
                f"Send `!object {proposal.number} <reason>`."
            )
        if len(said) > MAX_REASON:
            raise UserError(f"Keep the reason to {MAX_REASON} characters.")
        await self.decisions.record(proposal, _ballot(ctx, proposal, OBJECT, said))
        return Reply(
            f"Your objection to #{proposal.number} is recorded and blocks it until you "
            f"withdraw it (`!withdraw {proposal.number}`)."
        )

    async def withdraw(self, ctx: CommandContext, n: int) -> Reply:
        proposal = await self.decisions.proposal_here(ctx.room_id, n)
        if proposal.proposer == ctx.sender:
            await self.decisions.close(proposal.id, "withdrawn")
            return Reply(f"You withdrew proposal #{proposal.number}.")
        ballots = await self.decisions.store.ballots(proposal.id)
        voice = voice_of(proposal, ctx.sender) or ctx.sender
        current = self.decisions.tally(proposal, ballots, closed=False).stances.get(voice)
        if current is None or current.kind != OBJECT:
            raise UserError(
                f"You have no objection to #{proposal.number} to withdraw; only the person "
                "who objected can withdraw an objection."
            )
        await self.decisions.record(proposal, _ballot(ctx, proposal, WITHDRAW, OBJECT))
        return Reply(f"Your objection to #{proposal.number} is withdrawn.")

    async def list_open(self, ctx: CommandContext) -> Reply:
        counted = [
            (p, self.decisions.tally(p, ballots, closed=False))
            for p, ballots in await self.decisions.store.open_in(ctx.room_id)
        ]
        if not counted:
            return Reply("No proposals are open in this room.")
        lines = ["Open proposals:"]
        for p, t in counted:
            lines.append(
                f"#{p.number} {self.decisions.describe(p)} — "
                f"closes {p.closes_at:%Y-%m-%d %H:%M} UTC; "
                f"{len(t.consents)} of {len(p.deciders)} consented"
                + (f", objections from {', '.join(t.objections)}" if t.objections else "")
            )
        return Reply("\n".join(lines))


def _ballot(ctx: CommandContext, p: Proposal, act: str, reason: str | None = None) -> Ballot:
    return Ballot(
        event_id=ctx.message.event_id,
        proposal_id=p.id,
        voter=ctx.sender,
        act=act,
        reason=reason,
        ts=ctx.message.origin_server_ts,
    )
