"""the retrospective as a poll: its start event

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crew_cycle") as batch_op:
        batch_op.add_column(sa.Column("retro_poll_id", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("crew_cycle") as batch_op:
        batch_op.drop_column("retro_poll_id")
