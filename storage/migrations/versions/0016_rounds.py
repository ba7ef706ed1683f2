"""get-to-know-you rounds

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "round_member",
        sa.Column("space_id", sa.String(length=255), primary_key=True),
        sa.Column("user_id", sa.String(length=255), primary_key=True),
    )
    op.create_table(
        "round_group",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("space_id", sa.String(length=255), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("again", sa.JSON(), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=True),
        sa.Column("suggested", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_round_group_space_id", "round_group", ["space_id"])
    op.create_index("ix_round_group_room_id", "round_group", ["room_id"])


def downgrade() -> None:
    op.drop_index("ix_round_group_room_id", "round_group")
    op.drop_index("ix_round_group_space_id", "round_group")
    op.drop_table("round_group")
    op.drop_table("round_member")
