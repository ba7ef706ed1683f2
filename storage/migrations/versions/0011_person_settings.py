"""a person's own zone and language

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_settings",
        sa.Column("user_id", sa.String(length=255), primary_key=True),
        sa.Column("zone", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("person_settings")
