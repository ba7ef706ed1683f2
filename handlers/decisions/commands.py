"""`!propose <text>` and `!decisions` where a group decides; `!proposals`, `!consent n`,
`!object n <reason>`, `!withdraw n`: acts on the proposals open in the room where they
are sent."""

from __future__ import annotations

import re
from datetime import timedelta

from handlers.community.places import Context
from handlers.decisions.agreements import MAX_PROPOSAL, Agreements, text_of
from handlers.decisions.engine import Decisions, voice_of
from handlers.decisions.reviews import Reviews
from handlers.decisions.tally import CONSENT, OBJECT, WITHDRAW
from handlers.decisions.voices import spoken_for
from handlers.framework.errors import UserError
from handlers.framework.language import N_, _
from handlers.framework.limits import MAX_REASON
from handlers.framework.registry import Kind, Param, command
from handlers.framework.replies import Reply
from handlers.framework.text import one_line, quoted
from handlers.framework.times import day_of
from storage.decisions import Status
from storage.models import Ballot, Proposal

MAX_LISTED = 20
# A host of several member congregations says which one's voice an act gives.
SPEAKING_FOR = Param("congregation", Kind.TEXT, optional=True, keyword="for")
FOR_WHOM = re.compile(r"for\s+(.+?)\s*:\s*(.*)", re.IGNORECASE | re.DOTALL)


class DecisionCommands:
    def __init__(self, decisions: Decisions, agreements: Agreements, reviews: Reviews) -> None:
        self.decisions = decisions
        self.agreements = agreements
        self.reviews = reviews

    @command(
        "propose",
        Param("window", Kind.DURATION, optional=True, flag="--for"),
        Param("text", Kind.TEXT),
        summary=N_(
            "Propose anything to the group that decides here (crew, hosts, "
            "members, the network); `--for P3D` sets how long it stays open."
        ),
    )
    async def propose(self, ctx: Context, window: timedelta | None, text: str) -> Reply:
        proposal = await self.agreements.propose(
            ctx.room_id, ctx.sender, text, window, ctx.message.event_id
        )
        return Reply(
            _(
                "Proposal #{number} is open until {closes}; your proposing counts as consent.",
                number=proposal.number,
                closes=await self.decisions.closing(proposal),
            )
        )

    @command("decisions", summary=N_("What the group here has agreed, newest first."))
    async def agreed(self, ctx: Context) -> Reply:
        await self.agreements.group(ctx.room_id, ctx.sender)  # only where a group decides
        agreed = await self.agreements.agreed(ctx.room_id)
        if not agreed:
            return Reply(_("Nothing has been agreed here yet. Propose something with `!propose`."))
        lines = [_("Agreed here, newest first:")]
        zone = await self.decisions.zone_of(ctx.room_id)
        for number, record in agreed[:MAX_LISTED]:
            when = record.closed_at or record.closes_at
            day = day_of(when, zone) if when else "?"
            said = quoted(text_of(record.details), MAX_PROPOSAL)
            lines.append(_("#{number} ({day}) {said}", number=number, day=day, said=said))
        if len(agreed) > MAX_LISTED:
            lines.append(_("… and {count} earlier.", count=len(agreed) - MAX_LISTED))
        return Reply("\n".join(lines))

    # Votes: every cohost of a shared room records them (one answers).
    @command(
        "consent",
        Param("n", Kind.INT),
        SPEAKING_FOR,
        summary=N_("Consent to proposal n (or react 👍)."),
        every_cohost=True,
    )
    async def consent(self, ctx: Context, n: int, congregation: str | None) -> Reply:
        proposal = await self.decisions.proposal_here(ctx.room_id, n)
        self.decisions.require_decider(proposal, ctx.sender)
        voice = await self.decisions.speaking_for(proposal, ctx.sender, congregation, "consent")
        await self.decisions.record(proposal, _ballot(ctx, proposal, CONSENT, voice=voice))
        if voice and congregation:
            return Reply(
                _(
                    "Your consent to #{number} is recorded, for **{congregation}**.",
                    number=proposal.number,
                    congregation=congregation.strip(),
                )
            )
        return Reply(_("Your consent to #{number} is recorded.", number=proposal.number))

    @command(
        "object",
        Param("n", Kind.INT),
        Param("reason", Kind.TEXT, optional=True),
        summary=N_("Object to proposal n, saying what harm you foresee (or react ✋)."),
        every_cohost=True,
    )
    async def object(self, ctx: Context, n: int, reason: str | None) -> Reply:
        proposal = await self.decisions.proposal_here(ctx.room_id, n)
        self.decisions.require_decider(proposal, ctx.sender)
        # `!object 3 for Hilltop: <reason>`: the voice named before the reason.
        named = FOR_WHOM.match(reason or "") if _several(proposal, ctx.sender) else None
        if named:
            reason = named.group(2)
        voice = await self.decisions.speaking_for(
            proposal, ctx.sender, named.group(1) if named else None, "object"
        )
        said = one_line(reason or "", MAX_REASON + 1)
        if not said:
            raise UserError(
                _(
                    "An objection needs a reason: what harm do you foresee? Send `!object "
                    "{number} <reason>`.",
                    number=proposal.number,
                )
            )
        if len(said) > MAX_REASON:
            raise UserError(_("Keep the reason to {limit} characters.", limit=MAX_REASON))
        await self.decisions.record(proposal, _ballot(ctx, proposal, OBJECT, said, voice))
        return Reply(
            _(
                "Your objection to #{number} is recorded and blocks it until you "
                "withdraw it (`!withdraw {number}`).",
                number=proposal.number,
            )
        )

    @command(
        "extend",
        Param("n", Kind.INT),
        Param("more", Kind.DURATION),
        summary=N_("Give proposal n more time (an ISO 8601 duration such as P2D), once."),
        every_cohost=True,
    )
    async def extend(self, ctx: Context, n: int, more: timedelta) -> Reply:
        proposal = await self.decisions.proposal_here(ctx.room_id, n)
        self.decisions.require_decider(proposal, ctx.sender)
        extended = await self.decisions.extend(proposal, ctx.sender, more)
        return Reply(
            _(
                "Proposal #{number} now closes {closes}; a proposal is extended once.",
                number=extended.number,
                closes=await self.decisions.closing(extended),
            )
        )

    @command(
        "review",
        Param("n", Kind.INT),
        Param("after", Kind.DURATION),
        summary=N_(
            "Bring decision n back before the group after a while (an ISO 8601 duration "
            "such as P90D)."
        ),
        every_cohost=True,
    )
    async def review(self, ctx: Context, n: int, after: timedelta) -> Reply:
        due = await self.reviews.review(ctx.room_id, n, ctx.sender, after)
        zone = await self.decisions.zone_of(ctx.room_id)
        return Reply(
            _(
                "Decision #{number} comes back before the group on {day}.",
                number=n,
                day=day_of(due, zone),
            )
        )

    @command(
        "withdraw",
        Param("n", Kind.INT),
        SPEAKING_FOR,
        summary=N_("Withdraw your objection to proposal n, or your own proposal."),
        every_cohost=True,
    )
    async def withdraw(self, ctx: Context, n: int, congregation: str | None) -> Reply:
        proposal = await self.decisions.proposal_here(ctx.room_id, n)
        if proposal.proposer == ctx.sender and congregation is None:
            await self.decisions.close(proposal.id, Status.WITHDRAWN)
            return Reply(_("You withdrew proposal #{number}.", number=proposal.number))
        ballots = await self.decisions.store.ballots(proposal.id)
        chosen = await self.decisions.speaking_for(proposal, ctx.sender, congregation, "withdraw")
        stance = voice_of(proposal, ctx.sender, chosen) or ctx.sender
        current = self.decisions.tally(proposal, ballots, closed=False).stances.get(stance)
        if current is None or current.kind != OBJECT:
            raise UserError(
                _(
                    "You have no objection to #{number} to withdraw; only the person who "
                    "objected can withdraw an objection.",
                    number=proposal.number,
                )
            )
        await self.decisions.record(proposal, _ballot(ctx, proposal, WITHDRAW, OBJECT, chosen))
        return Reply(_("Your objection to #{number} is withdrawn.", number=proposal.number))

    @command("proposals", summary=N_("The open proposals in this room."))
    async def list_open(self, ctx: Context) -> Reply:
        counted = [
            (p, self.decisions.tally(p, ballots, closed=False))
            for p, ballots in await self.decisions.store.open_in(ctx.room_id)
        ]
        if not counted:
            return Reply(_("No proposals are open in this room."))
        lines = [_("Open proposals:")]
        for p, t in counted:
            lines.append(
                _(
                    "#{number} {what} — closes {closes}; {consented} of {deciders} consented",
                    number=p.number,
                    what=self.decisions.describe(p),
                    closes=await self.decisions.closing(p),
                    consented=len(t.consents),
                    deciders=len(p.deciders),
                )
                + (
                    _(", objections from {objections}", objections=", ".join(t.objections))
                    if t.objections
                    else ""
                )
            )
        return Reply("\n".join(lines))


def _several(p: Proposal, person: str) -> bool:
    return len(spoken_for(p.deciders, p.voices, person)) > 1


def _ballot(
    ctx: Context, p: Proposal, act: str, reason: str | None = None, voice: str | None = None
) -> Ballot:
    return Ballot(
        event_id=ctx.message.event_id,
        proposal_id=p.id,
        voter=ctx.sender,
        act=act,
        reason=reason,
        ts=ctx.message.origin_server_ts,
        voice=voice,
    )
