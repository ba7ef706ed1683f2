"""Proposals opened by the other cohosts of a shared room (a network's Commons): each
is taken on as the message announcing it describes it, with the acts its opener (and
only its opener) recorded, each checked against the room's own events
(handlers.decisions.proof), so that votes are counted, and answered, the same by every
cohost in the room, and none that nobody cast."""

from __future__ import annotations

import structlog

from handlers.decisions.engine import SPEC, Decisions, proposing_is_consenting
from handlers.decisions.proof import Proof, proof_of
from handlers.decisions.schema import ProposalRecord
from handlers.framework.fact import number_key
from handlers.framework.language import N_, _
from handlers.framework.speech import tell
from handlers.framework.types import IncomingMessage, RoomId
from storage.models import Proposal

log = structlog.get_logger(__name__)

NOT_SHOWN = N_("lists an act that this room's own events do not show")
NOT_THE_GROUP = N_("names a deciding group that is not the network's")


class Adoption:
    def __init__(self, decisions: Decisions) -> None:
        self.decisions = decisions

    async def adopt(self, incoming: IncomingMessage) -> None:
        """Another cohost of a shared room opened a proposal: take it on as it stands,
        so that votes here are counted (and answered) the same everywhere."""
        data = incoming.content.get(SPEC)
        if not isinstance(data, dict) or incoming.sender == self.decisions.gateway.user_id:
            return
        if data.get(
            "kind"
        ) not in self.decisions.kinds or incoming.sender not in await self.decisions.peers(
            incoming.room_id
        ):
            return
        try:
            announced = ProposalRecord.model_validate(data)
            number = announced.number
            if number is None or number_key(str(number)) is None:
                return
            proposal = announced.proposal(incoming.room_id, number, incoming.sender)
        except ValueError:  # pydantic's ValidationError included
            log.info("proposal_announcement_unreadable", room_id=incoming.room_id)
            return
        proposal.message_event_id = incoming.event_id
        if proposal.voices is not None:  # a network's decision: its member congregations
            why = await self.decisions.facts.network.group_holds(
                RoomId(proposal.scope), proposal.deciders, proposal.voices, proposal.opened_at
            )
            if why is not None:
                log.warning("proposal_group_refused", number=number, why=why)
                await self._refuse(incoming, proposal, NOT_THE_GROUP)
                return
        # Acts cast before this cohost was in the room, as the opener (and only the
        # opener) records them.
        found = await self.decisions.records.one(incoming.room_id, number)
        recorded = found[1] if found and found[0] == incoming.sender else None
        if announced.parts:  # too large for the message: the group is in the record
            if recorded is None:
                log.info("proposal_group_not_yet_readable", number=number)
                return
            proposal.deciders = list(recorded.deciders)
        if recorded is not None and recorded.closes_at is not None:
            # Extended since it was announced (`!extend`): the window as recorded now.
            proposal.closes_at = recorded.closes_at
            proposal.details = recorded.details if recorded.details else proposal.details
        acts = recorded.ballots() if recorded else []
        first = proposing_is_consenting(proposal)
        if first is not None and first.event_id not in {a.event_id for a in acts}:
            acts.insert(0, first)  # whether or not the opener's record is here yet
        # The opener's record is a claim: every act in it must be the person's own.
        proofs = [await proof_of(self.decisions.gateway, proposal, act) for act in acts]
        if Proof.CONTRADICTED in proofs:
            await self._refuse(incoming, proposal, NOT_SHOWN)
            return
        if Proof.UNREADABLE in proofs:
            log.info("proposal_acts_unverifiable", number=number, room_id=incoming.room_id)
        adopted = await self.decisions.store.adopt(proposal, acts)
        if adopted == "number_taken":
            log.warning("proposal_number_taken", number=proposal.number, room_id=incoming.room_id)
        if adopted != "adopted":
            return
        log.info("proposal_adopted", number=proposal.number, room_id=incoming.room_id)
        await self.decisions.evaluate(proposal.id)

    async def _refuse(self, incoming: IncomingMessage, proposal: Proposal, what: str) -> None:
        """A record listing an act nobody sent, or a group that is not the one deciding:
        not taken on; said once in the room."""
        log.warning(
            "proposal_record_contradicted", number=proposal.number, room_id=incoming.room_id
        )
        key = f"contradicted:{incoming.room_id}:{proposal.number}:{incoming.sender}"
        if await self.decisions.notices.first_time(key):
            await tell(
                self.decisions.gateway,
                incoming.room_id,
                _(
                    "The record of proposal #{number} that {sender} wrote {what}. I do not "
                    "take that proposal on: nothing counts here that its people did not do "
                    "themselves.",
                    number=proposal.number,
                    sender=incoming.sender,
                    what=_(what),
                ),
                f"cohost-{key}",
            )
