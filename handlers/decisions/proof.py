"""A peer's record of people's acts is a claim (SPEC §3.10): an act counts here only when
the room's own event shows that person doing it: their `!consent 3` (or `!object`,
`!withdraw`), their 👍 or ✋ under the proposal's message, their redaction of it, or,
for the proposer's consent, their own command that opened the proposal."""

from __future__ import annotations

from enum import Enum
from typing import Any

from handlers.decisions.acts import reaction_meaning
from handlers.decisions.tally import CONSENT, OBJECT, WITHDRAW
from handlers.framework.errors import MatrixError
from handlers.framework.gateway import MatrixGateway
from handlers.framework.matrix_names import RELATES_TO, EventType
from handlers.framework.registry import BOT_WORD, PREFIX
from handlers.framework.types import RoomId
from storage.models import Ballot, Proposal

PROPOSER = "#proposer"  # the proposer's consent: their proposing (engine.proposing_is_consenting)
VERBS = {CONSENT: "consent", OBJECT: "object", WITHDRAW: "withdraw"}


class Proof(Enum):
    SHOWN = "shown"
    CONTRADICTED = "contradicted"  # no such event, or it shows something else
    UNREADABLE = "unreadable"  # an event this cohost cannot read (no key for it)


async def proof_of(gateway: MatrixGateway, p: Proposal, act: Ballot) -> Proof:
    room = RoomId(p.room_id)
    if act.event_id.endswith(PROPOSER):
        opening = act.event_id[: -len(PROPOSER)]
        if not opening.startswith("$") or "#" in opening:
            # Opened by no event of this room (restored from a record, or a step that
            # follows a decision elsewhere: a network's crew deciding after the network).
            return Proof.UNREADABLE
        event = await _event(gateway, room, opening)
        if event is None or isinstance(event, Proof):
            return event or Proof.UNREADABLE
        return Proof.SHOWN if event.get("sender") == act.voter == p.proposer else Proof.CONTRADICTED
    event = await _event(gateway, room, act.event_id)
    if event is None or isinstance(event, Proof):
        return event or Proof.UNREADABLE
    if event.get("sender") != act.voter:
        return Proof.CONTRADICTED
    return Proof.SHOWN if _shows(event, p, act) else Proof.CONTRADICTED


async def _event(
    gateway: MatrixGateway, room: RoomId, event_id: str
) -> dict[str, Any] | Proof | None:
    try:
        return await gateway.event(room, event_id)
    except MatrixError as err:
        return Proof.CONTRADICTED if err.errcode == "M_NOT_FOUND" else Proof.UNREADABLE


def _shows(event: dict[str, Any], p: Proposal, act: Ballot) -> bool:
    kind = event.get("type")
    content = event.get("content") if isinstance(event.get("content"), dict) else {}
    assert isinstance(content, dict)
    if kind == EventType.REACTION:
        relation = content.get(RELATES_TO)
        if not isinstance(relation, dict) or relation.get("event_id") != p.message_event_id:
            return False
        return reaction_meaning(str(relation.get("key", ""))) == act.act
    if kind == EventType.MESSAGE:
        words = str(content.get("body", "")).split()
        if words[:1] == [PREFIX + BOT_WORD]:
            words = words[1:]
        verb = VERBS.get(act.act)
        return (
            len(words) >= 2 and words[0].lower() == f"{PREFIX}{verb}" and words[1] == str(p.number)
        )
    return kind == EventType.REDACTION and act.act == WITHDRAW
