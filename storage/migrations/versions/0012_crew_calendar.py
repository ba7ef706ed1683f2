"""crews' calendar feeds

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crew_calendar",
        sa.Column("room_id", sa.String(length=255), primary_key=True),
        sa.Column("feed_id", sa.String(length=32), nullable=False, unique=True),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("crew_calendar")
