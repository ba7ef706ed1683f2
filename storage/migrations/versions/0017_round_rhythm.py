"""get-to-know-you rounds on a rhythm

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "round_rhythm",
        sa.Column("space_id", sa.String(length=255), primary_key=True),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=16), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_round_rhythm_next_at", "round_rhythm", ["next_at"])


def downgrade() -> None:
    op.drop_index("ix_round_rhythm_next_at", "round_rhythm")
    op.drop_table("round_rhythm")
