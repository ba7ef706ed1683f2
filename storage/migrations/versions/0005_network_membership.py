"""network applications, voices and proposals adopted from other cohosts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 08:28:09.594606
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "application",
        sa.Column("network_id", sa.String(length=255), nullable=False),
        sa.Column("congregation_id", sa.String(length=255), nullable=False),
        sa.Column("via", sa.JSON(), nullable=False),
        sa.Column("requester", sa.String(length=255), nullable=False),
        sa.Column("reply_room", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("network_id", name=op.f("pk_application")),
    )
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("voices", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("opened_by", sa.String(length=255), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_column("opened_by")
        batch_op.drop_column("voices")

    op.drop_table("application")
