"""SQLAlchemy models: cohost's private bookkeeping (shared facts live in Matrix state)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every database (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SyncState(Base):
    """Small named values of the sync loop, e.g. the position in the event stream."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class HandledEvent(Base):
    """Events already acted on, so that a replayed sync never acts twice."""

    __tablename__ = "handled_event"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255))
    handled_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Congregation(Base):
    """Index of a congregation space (the facts themselves live in its Matrix state)."""

    __tablename__ = "congregation"

    space_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    lobby_id: Mapped[str] = mapped_column(String(255))
    announcements_id: Mapped[str] = mapped_column(String(255))
    hosts_room_id: Mapped[str] = mapped_column(String(255))
    hosts: Mapped[list[str]] = mapped_column(JSON)
    network_space_id: Mapped[str | None] = mapped_column(String(255), default=None)
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Crew(Base):
    __tablename__ = "crew"
    __table_args__ = (UniqueConstraint("congregation_id", "name_key"),)

    room_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    congregation_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255))
    name_key: Mapped[str] = mapped_column(
        String(255)
    )  # casefolded: names are unique per congregation
    caller: Mapped[str] = mapped_column(String(255))
    intention: Mapped[str | None] = mapped_column(Text, default=None)
    released: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Network(Base):
    __tablename__ = "network"

    space_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    announcements_id: Mapped[str] = mapped_column(String(255))
    commons_id: Mapped[str] = mapped_column(String(255))
    founded_by: Mapped[str] = mapped_column(String(255))  # congregation space id
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class IndexedRoom(Base):
    """Which cohost room a room id is, so a command knows what it refers to."""

    __tablename__ = "indexed_room"

    room_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    congregation_id: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    network_id: Mapped[str | None] = mapped_column(String(255), default=None)
    released: Mapped[bool] = mapped_column(Boolean, default=False)


class Operation(Base):
    """A multi-step action (create a crew: room, links, invites) that resumes after a
    crash: `progress` records each finished step."""

    __tablename__ = "operation"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # the command's event id
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    progress: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | done | failed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Proposal(Base):
    """A consent decision. The tally is recomputed from its ballots, never stored."""

    __tablename__ = "proposal"
    __table_args__ = (UniqueConstraint("room_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(255))
    number: Mapped[int] = mapped_column()  # the short number people type: !consent 3
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))  # usually the user the decision is about
    scope: Mapped[str] = mapped_column(String(255))  # the crew room or congregation space
    proposer: Mapped[str | None] = mapped_column(String(255), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    deciders: Mapped[list[str]] = mapped_column(JSON)  # fixed when the proposal opens
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closes_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    status: Mapped[str] = mapped_column(
        String(16), index=True
    )  # open | passed | lapsed | withdrawn
    message_event_id: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    reminded: Mapped[bool] = mapped_column(Boolean, default=False)
    # The reminder halfway through the window, to those who have not answered yet.
    reminded_halfway: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=sa_false()
    )
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    opening_key: Mapped[str] = mapped_column(String(255), unique=True)  # the event that opened it
    # Who speaks for which decider, where deciders are groups (a congregation in the
    # network has one voice, given by any of its hosts); None: every decider is a person.
    # Who gives which group's voice (several, for a host of several groups).
    voices: Mapped[dict[str, str | list[str]] | None] = mapped_column(JSON, default=None)
    # The cohost that posted it; in rooms shared by several cohosts the others adopt it.
    opened_by: Mapped[str | None] = mapped_column(String(255), default=None)
    # Protocol data of the kind, structured (never read back from the reason's text).
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class Ballot(Base):
    """One recorded act on a proposal: a consent, an objection, a reason, a withdrawal."""

    __tablename__ = "ballot"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    proposal_id: Mapped[int] = mapped_column(index=True)
    voter: Mapped[str] = mapped_column(String(255), index=True)
    act: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    ts: Mapped[int] = mapped_column()  # origin_server_ts: the order acts happened in
    reaction_key: Mapped[str | None] = mapped_column(String(16), default=None)
    # The group this act speaks for, where the voter gives the voice of several.
    voice: Mapped[str | None] = mapped_column(String(255), default=None)


class Notified(Base):
    """Things said once only (a voter told they are not a decider, a bypass noted)."""

    __tablename__ = "notified"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(String(255), index=True, default=None)


class CrewCycle(Base):
    """A crew's rhythm: n meetings on a weekday at a local time, then a retrospective."""

    __tablename__ = "crew_cycle"
    __table_args__ = (UniqueConstraint("room_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(255), index=True)
    number: Mapped[int] = mapped_column()
    meetings: Mapped[int] = mapped_column()
    weekday: Mapped[int] = mapped_column()  # Monday = 0
    local_time: Mapped[str] = mapped_column(String(5))  # HH:MM
    timezone: Mapped[str] = mapped_column(String(64))
    # weekly, fortnightly, or first|second|third|fourth|last (that weekday of the month)
    pattern: Mapped[str] = mapped_column(String(16), default="weekly")
    rotation: Mapped[list[str]] = mapped_column(JSON)  # hosting order; newcomers at the end
    status: Mapped[str] = mapped_column(String(16), index=True)  # active|retro|paused|ended
    retro_event_id: Mapped[str | None] = mapped_column(String(255), default=None)
    retro_opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), default=None)
    # The retrospective also as a poll (Element shows it as one): its start event.
    retro_poll_id: Mapped[str | None] = mapped_column(String(255), default=None)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Meeting(Base):
    __tablename__ = "meeting"
    __table_args__ = (UniqueConstraint("cycle_id", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    cycle_id: Mapped[int] = mapped_column(index=True)
    index: Mapped[int] = mapped_column()  # 1-based
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    host: Mapped[str | None] = mapped_column(String(255), default=None)
    day_reminder: Mapped[str | None] = mapped_column(String(8), default=None)  # sent|skipped
    hour_reminder: Mapped[str | None] = mapped_column(String(8), default=None)


class RetroAnswer(Base):
    __tablename__ = "retro_answer"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    cycle_id: Mapped[int] = mapped_column(index=True)
    voter: Mapped[str] = mapped_column(String(255))
    choice: Mapped[str | None] = mapped_column(String(16))  # None: a withdrawn reaction
    ts: Mapped[int] = mapped_column()


class Application(Base):
    """This congregation's request to join a network, until it is a member."""

    __tablename__ = "application"

    network_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    congregation_id: Mapped[str] = mapped_column(String(255))
    via: Mapped[list[str]] = mapped_column(JSON)
    requester: Mapped[str] = mapped_column(String(255))
    reply_room: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DirectRoom(Base):
    """The room cohost opened to speak with one person alone (their pathway, the
    feedback they asked for)."""

    __tablename__ = "direct_room"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    room_id: Mapped[str] = mapped_column(String(255))


class RoundMember(Base):
    """A member who takes part in a congregation's get-to-know-you rounds."""

    __tablename__ = "round_member"

    space_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)


class RoundRhythm(Base):
    """When a congregation's next round is held, and how often (its hosts set it)."""

    __tablename__ = "round_rhythm"

    space_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    weekday: Mapped[int] = mapped_column()  # Monday = 0
    pattern: Mapped[str] = mapped_column(String(16))  # weekly | fortnightly
    next_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class RoundGroup(Base):
    """Who met whom in a round, in which room, and who would meet again."""

    __tablename__ = "round_group"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    space_id: Mapped[str] = mapped_column(String(255), index=True)
    number: Mapped[int] = mapped_column()
    members: Mapped[list[str]] = mapped_column(JSON)
    again: Mapped[list[str]] = mapped_column(JSON, default=list)
    room_id: Mapped[str | None] = mapped_column(String(255), index=True, default=None)
    suggested: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Review(Base):
    """A passed decision put back in front of its group when it comes due (`!review`);
    `told` once the group was reminded."""

    __tablename__ = "review"
    __table_args__ = (UniqueConstraint("room_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(String(255))
    number: Mapped[int] = mapped_column()
    due_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    by: Mapped[str] = mapped_column(String(255))
    told: Mapped[bool] = mapped_column(default=False)


class CrewCalendar(Base):
    """A crew's calendar feed: its address is `<id>-<secret>`; the id finds the row, the
    secret is compared in constant time. A reset replaces both."""

    __tablename__ = "crew_calendar"

    room_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    feed_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class PersonSettings(Base):
    """What a person chose for themselves: the zone and language cohost uses with them
    in a direct message (until `!forget me`)."""

    __tablename__ = "person_settings"

    user_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    zone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)


class FeedbackRequest(Base):
    """A crew member asked their crewmates what to develop; each answer goes to them
    alone and is not kept, only who has answered."""

    __tablename__ = "feedback_request"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # the asking event
    asker: Mapped[str] = mapped_column(String(255), index=True)
    crew_room: Mapped[str] = mapped_column(String(255))
    crew_name_key: Mapped[str] = mapped_column(String(255))
    asked: Mapped[list[str]] = mapped_column(JSON)
    answered: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TrustedFact(Base):
    """The latest version of a shared fact that its writer wrote, as this cohost read it:
    kept, so that an edit by anyone else, however often repeated, never pushes it out
    of reach (SPEC §3.10)."""

    __tablename__ = "trusted_fact"

    room_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(255), primary_key=True)
    state_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255))
    sender: Mapped[str] = mapped_column(String(255))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    kept_at: Mapped[datetime] = mapped_column(UtcDateTime())
