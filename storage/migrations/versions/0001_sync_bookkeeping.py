"""sync position and handled events

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_state",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "handled_event",
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_handled_event")),
    )
    with op.batch_alter_table("handled_event") as batch:
        batch.create_index(batch.f("ix_handled_event_handled_at"), ["handled_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("handled_event") as batch:
        batch.drop_index(batch.f("ix_handled_event_handled_at"))
    op.drop_table("handled_event")
    op.drop_table("sync_state")
