"""the group an act speaks for, where its voter gives the voice of several

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ballot") as batch_op:
        batch_op.add_column(sa.Column("voice", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ballot") as batch_op:
        batch_op.drop_column("voice")
