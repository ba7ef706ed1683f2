"""Every store over one database: what the composition root hands to the handlers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.calendar import CalendarStore
from storage.community import CommunityStore
from storage.decisions import DecisionStore, NoticeStore
from storage.moves import RoomMoves
from storage.network import ApplicationStore
from storage.operations import OperationStore
from storage.pathway import DirectStore, FeedbackStore, PathwayStore
from storage.people import PeopleStore
from storage.rhythm import RhythmStore
from storage.rounds import RoundStore
from storage.stats import StatsStore
from storage.trusted import TrustedFactStore
from storage.unit import Observe, unobserved


@dataclass(frozen=True)
class Stores:
    community: CommunityStore
    decisions: DecisionStore
    notices: NoticeStore
    rhythm: RhythmStore
    operations: OperationStore
    applications: ApplicationStore
    direct: DirectStore
    pathway: PathwayStore
    feedback: FeedbackStore
    stats: StatsStore
    moves: RoomMoves
    trusted: TrustedFactStore
    people: PeopleStore
    calendars: CalendarStore
    rounds: RoundStore

    @classmethod
    def over(
        cls, sessions: async_sessionmaker[AsyncSession], observe: Observe = unobserved
    ) -> Stores:
        """Every store; `observe` is told each unit of work's name and duration."""
        return cls(
            CommunityStore(sessions, observe),
            DecisionStore(sessions, observe),
            NoticeStore(sessions, observe),
            RhythmStore(sessions, observe),
            OperationStore(sessions, observe),
            ApplicationStore(sessions, observe),
            DirectStore(sessions, observe),
            PathwayStore(sessions, observe),
            FeedbackStore(sessions, observe),
            StatsStore(sessions, observe),
            RoomMoves(sessions, observe),
            TrustedFactStore(sessions, observe),
            PeopleStore(sessions, observe),
            CalendarStore(sessions, observe),
            RoundStore(sessions, observe),
        )
