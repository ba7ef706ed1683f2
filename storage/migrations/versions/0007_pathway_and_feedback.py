"""the rooms cohost keeps with one person, and feedback requests

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "direct_room",
        sa.Column("user_id", sa.String(length=255), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_direct_room")),
    )
    op.create_table(
        "feedback_request",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("asker", sa.String(length=255), nullable=False),
        sa.Column("crew_room", sa.String(length=255), nullable=False),
        sa.Column("crew_name_key", sa.String(length=255), nullable=False),
        sa.Column("asked", sa.JSON(), nullable=False),
        sa.Column("answered", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_request")),
    )
    with op.batch_alter_table("feedback_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_request_asker"), ["asker"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("feedback_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_request_asker"))
    op.drop_table("feedback_request")
    op.drop_table("direct_room")
