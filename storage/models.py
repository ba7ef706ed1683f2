"""SQLAlchemy models: cohost's private bookkeeping (shared facts live in Matrix state)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


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
    handled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Network(Base):
    __tablename__ = "network"

    space_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    announcements_id: Mapped[str] = mapped_column(String(255))
    commons_id: Mapped[str] = mapped_column(String(255))
    founded_by: Mapped[str] = mapped_column(String(255))  # congregation space id
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
