"""Decisions about anything: `!propose <text>` where a group decides, by the same
consent engine as membership. Who decides is the room's group, fixed when the
proposal opens:
- a crew's room: the crew (its members), the network's crews included;
- the Hosts room: the congregation's hosts;
- the Lobby: its members or its hosts, as the setting `membership_decided_by` says;
- the network's Commons: the member congregations, one voice each, given by any of
  their hosts.
Nothing is carried out when one passes: the outcome is the group's word, posted with
the text agreed and recorded in room state, where `!decisions` reads it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel

from handlers.community.directory import Directory
from handlers.community.state import COMMONS, CREW_ROOM, HOSTS, LOBBY, NETWORK_CREW
from handlers.decisions.engine import Decisions, KindSpec
from handlers.decisions.schema import Decided, ProposalRecord
from handlers.decisions.voices import Voices
from handlers.framework.errors import UserError
from handlers.framework.language import _
from handlers.framework.limits import Limits
from handlers.framework.operations import Run
from handlers.framework.text import one_line, quoted
from handlers.framework.types import RoomId, UserId
from storage.decisions import Status
from storage.models import Proposal


class AgreementKind(StrEnum):
    """A group's decision about anything (`!propose`)."""

    AGREEMENT = "agreement"


AGREEMENT = AgreementKind.AGREEMENT
MAX_PROPOSAL = 1000
PASSED = Status.PASSED


@dataclass(frozen=True)
class Group:
    """Who decides in a room: the deciders (persons, or groups with voices), how to
    name them, and the room's default window."""

    scope: str
    deciders: list[str]
    window: timedelta
    voices: Voices | None = None


class Windows(BaseModel):
    """How long each group's decisions stay open, and who decides in the Lobby (the
    decisions feature's settings section)."""

    crew_window: timedelta = timedelta(days=2)
    congregation_window: timedelta = timedelta(days=7)
    network_window: timedelta = timedelta(days=7)
    membership_decided_by: Literal["hosts", "members"] = "hosts"


class Agreements:
    def __init__(
        self, decisions: Decisions, directory: Directory, windows: Windows, limits: Limits
    ) -> None:
        self.decisions = decisions
        self.directory = directory
        self.gateway = directory.gateway
        self.windows = windows
        self.limits = limits

    def kind(self) -> KindSpec:
        return KindSpec(describe, nothing_to_carry_out)

    async def group(self, room: RoomId, sender: UserId) -> Group:
        """The group deciding here, when the sender belongs to it."""
        place = await self.directory.place(room)
        kind = place.room.kind if place.room is not None and not place.room.released else None
        windows = self.windows
        if kind in (CREW_ROOM, NETWORK_CREW) and place.crew is not None:
            group = Group(place.crew.room_id, await self._people(room), windows.crew_window)
        elif kind in (HOSTS, LOBBY) and place.congregation is not None:
            congregation = place.congregation
            by_members = kind == LOBBY and windows.membership_decided_by == "members"
            deciders: list[str] = (
                await self._people(RoomId(congregation.space_id))
                if by_members
                else list(await self.directory.hosts(congregation))
            )
            group = Group(congregation.space_id, deciders, windows.congregation_window)
        elif kind == COMMONS and place.room is not None and place.room.network_id:
            network = RoomId(place.room.network_id)
            congregations, voices = await self.directory.shared.voices(network)
            group = Group(network, congregations, windows.network_window, voices)
        else:
            raise UserError(
                _(
                    "Send `!propose` where a group decides: your crew's room, the Hosts "
                    "room, the Lobby, or the network's Commons."
                )
            )
        if sender not in (group.voices if group.voices is not None else group.deciders):
            raise UserError(
                _(
                    "Only those who decide here can propose: the crew in its room, the "
                    "hosts in the Hosts room, the members (or hosts) in the Lobby, the "
                    "member congregations' hosts in the Commons."
                ),
                "not_a_decider",
            )
        return group

    async def _people(self, room: RoomId) -> list[str]:
        return sorted(await self.directory.people_in(room))

    async def propose(
        self, room: RoomId, proposer: UserId, text: str, window: timedelta | None, key: str
    ) -> Proposal:
        said = one_line(text, MAX_PROPOSAL + 1)
        if not said:
            raise UserError(_("Say what you propose: `!propose <text>`."))
        if len(said) > MAX_PROPOSAL:
            raise UserError(_("Keep a proposal to {limit} characters.", limit=MAX_PROPOSAL))
        limits = self.limits
        if window is not None and not limits.shortest_window <= window <= limits.longest_window:
            raise UserError(
                _(
                    "A proposal stays open between {shortest_window} and {longest_window}; "
                    "choose a window within those.",
                    shortest_window=limits.shortest_window,
                    longest_window=limits.longest_window,
                )
            )
        group = await self.group(room, proposer)
        return await self.decisions.open(
            kind=AGREEMENT,
            room_id=room,
            scope=group.scope,
            subject=proposer,
            proposer=proposer,
            deciders=group.deciders,
            window=window or group.window,
            opening_key=key,
            voices=group.voices,
            details={"text": said},
        )

    async def agreed(self, room: RoomId) -> list[tuple[int, ProposalRecord]]:
        """What the group here has agreed, newest first, as its trusted records say."""
        records = await self.decisions.records.all(room)
        passed = [
            (number, record)
            for number, (_event, record) in records.items()
            if record.kind == AGREEMENT and record.status == PASSED
        ]
        return sorted(passed, key=_newest, reverse=True)


def _newest(numbered: tuple[int, ProposalRecord]) -> tuple[float, int]:
    number, record = numbered
    moment = record.closed_at or record.closes_at
    return (moment.timestamp() if moment else 0.0, number)


def text_of(details: dict[str, object] | None) -> str:
    text = (details or {}).get("text")
    return text if isinstance(text, str) else ""


def describe(p: Proposal) -> str:
    return quoted(text_of(p.details), MAX_PROPOSAL)


async def nothing_to_carry_out(run: Run[Decided]) -> None:
    """The group's word is the outcome itself."""
