"""rhythms beyond weekly: a cycle's pattern

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crew_cycle") as batch_op:
        batch_op.add_column(
            sa.Column("pattern", sa.String(length=16), nullable=False, server_default="weekly")
        )


def downgrade() -> None:
    with op.batch_alter_table("crew_cycle") as batch_op:
        batch_op.drop_column("pattern")
