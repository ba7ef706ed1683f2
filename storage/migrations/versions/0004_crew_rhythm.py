"""crew rhythm

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 08:10:22.700019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "crew_cycle",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("meetings", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("local_time", sa.String(length=5), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("rotation", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("retro_event_id", sa.String(length=255), nullable=True),
        sa.Column("retro_opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crew_cycle")),
        sa.UniqueConstraint("room_id", "number", name=op.f("uq_crew_cycle_room_id_number")),
    )
    with op.batch_alter_table("crew_cycle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crew_cycle_room_id"), ["room_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_crew_cycle_status"), ["status"], unique=False)

    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("day_reminder", sa.String(length=8), nullable=True),
        sa.Column("hour_reminder", sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
        sa.UniqueConstraint("cycle_id", "index", name=op.f("uq_meeting_cycle_id_index")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_cycle_id"), ["cycle_id"], unique=False)

    op.create_table(
        "retro_answer",
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("voter", sa.String(length=255), nullable=False),
        sa.Column("choice", sa.String(length=16), nullable=True),
        sa.Column("ts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_retro_answer")),
    )
    with op.batch_alter_table("retro_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retro_answer_cycle_id"), ["cycle_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("retro_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retro_answer_cycle_id"))

    op.drop_table("retro_answer")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_cycle_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_at"))

    op.drop_table("meeting")
    with op.batch_alter_table("crew_cycle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crew_cycle_status"))
        batch_op.drop_index(batch_op.f("ix_crew_cycle_room_id"))

    op.drop_table("crew_cycle")
