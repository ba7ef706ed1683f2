"""Votes by reaction: 👍 consents and ✋ objects on a proposal's message, in the
proposal's own room; removing the reaction withdraws it. Anyone outside the deciding
group is told once that their reaction does not count."""

from __future__ import annotations

from handlers.decisions.acts import reaction_meaning
from handlers.decisions.engine import Decisions, voice_of
from handlers.decisions.tally import CONSENT, OBJECT, WITHDRAW
from handlers.decisions.voices import spoken_for
from handlers.framework.language import _
from handlers.framework.speech import ask_to_act, tell
from handlers.framework.types import IncomingReaction, IncomingRedaction, RoomId, UserId
from storage.decisions import OPEN
from storage.models import Ballot, Proposal


class Reactions:
    def __init__(self, decisions: Decisions) -> None:
        self.decisions = decisions

    async def on_reaction(self, reaction: IncomingReaction) -> None:
        room_id, event_id, sender = reaction.room_id, reaction.event_id, reaction.sender
        target, ts = reaction.relates_to, reaction.origin_server_ts
        meaning = reaction_meaning(reaction.key)
        if meaning is None or sender == self.decisions.gateway.user_id:
            return
        if sender in await self.decisions.peers(room_id):
            return  # a cohost's 👍 ✋ under a proposal are the ones it offers, never a vote
        proposal = await self.decisions.store.by_message(target)
        if proposal is None or proposal.status != OPEN or proposal.room_id != room_id:
            return  # a reaction counts only in the proposal's own room
        if len(spoken_for(proposal.deciders, proposal.voices, sender)) > 1:
            verb = "consent" if meaning == CONSENT else "object"
            await self._tell_once(
                proposal,
                sender,
                f"several-voices:{proposal.id}:{sender}",
                _(
                    "{sender}, you give the voice of more than one congregation on "
                    "#{number}, so a reaction cannot say which: send `!{verb} {number} for "
                    "<congregation>`.",
                    sender=sender,
                    number=proposal.number,
                    verb=verb,
                ),
            )
            return
        if voice_of(proposal, sender) is None:
            await self._tell_once(
                proposal,
                sender,
                f"not-decider:{proposal.id}:{sender}",
                _(
                    "{sender}, proposal #{number} is decided by the group fixed when it "
                    "opened, so your reaction does not count as a vote.",
                    sender=sender,
                    number=proposal.number,
                ),
            )
            return
        ballot = Ballot(
            event_id=event_id,
            proposal_id=proposal.id,
            voter=sender,
            act=meaning,
            ts=ts,
            reaction_key=meaning,
        )
        await self.decisions.record(proposal, ballot)
        if meaning == OBJECT:
            await ask_to_act(
                self.decisions.gateway,
                room_id,
                _(
                    "{sender}, you objected to #{number}. What harm do you foresee? Send "
                    "`!object {number} <reason>`: an objection counts once it has a reason.",
                    sender=sender,
                    number=proposal.number,
                ),
                f"cohost-ask-reason-{event_id}",
                (sender,),
            )

    async def on_redaction(self, redaction: IncomingRedaction) -> None:
        """A removed 👍 or ✋ withdraws that consent or objection (in its own room)."""
        room_id, redacts, sender = redaction.room_id, redaction.redacts, redaction.sender
        event_id, ts = redaction.event_id, redaction.origin_server_ts
        reacted, proposal = await self.decisions.store.ballot_and_proposal(redacts)
        if reacted is None or proposal is None or reacted.reaction_key is None:
            return
        if proposal.status != OPEN or reacted.voter != sender or proposal.room_id != room_id:
            return
        withdrawal = Ballot(
            event_id=event_id,
            proposal_id=proposal.id,
            voter=sender,
            act=WITHDRAW,
            reason=reacted.reaction_key,
            ts=ts,
        )
        await self.decisions.record(proposal, withdrawal)

    async def _tell_once(self, proposal: Proposal, user: UserId, key: str, text: str) -> None:
        if await self.decisions.notices.first_time(key, user):
            await tell(
                self.decisions.gateway, RoomId(proposal.room_id), text, f"cohost-{key}", (user,)
            )
