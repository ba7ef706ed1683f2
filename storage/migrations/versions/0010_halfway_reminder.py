"""the reminder halfway through a proposal's window

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("proposal") as batch_op:
        batch_op.add_column(
            sa.Column("reminded_halfway", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("proposal") as batch_op:
        batch_op.drop_column("reminded_halfway")
