"""decisions put back in front of their group (!review)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(length=255), nullable=False),
        sa.Column("told", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("room_id", "number"),
    )
    op.create_index("ix_review_due_at", "review", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_review_due_at", "review")
    op.drop_table("review")
