"""proposals and ballots

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 08:01:53.322537
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "ballot",
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("voter", sa.String(length=255), nullable=False),
        sa.Column("act", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("ts", sa.Integer(), nullable=False),
        sa.Column("reaction_key", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_ballot")),
    )
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ballot_proposal_id"), ["proposal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ballot_voter"), ["voter"], unique=False)

    op.create_table(
        "notified",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_notified")),
    )
    with op.batch_alter_table("notified", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notified_user_id"), ["user_id"], unique=False)

    op.create_table(
        "proposal",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("scope", sa.String(length=255), nullable=False),
        sa.Column("proposer", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("deciders", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_event_id", sa.String(length=255), nullable=True),
        sa.Column("reminded", sa.Boolean(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opening_key", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal")),
        sa.UniqueConstraint("opening_key", name=op.f("uq_proposal_opening_key")),
        sa.UniqueConstraint("room_id", "number", name=op.f("uq_proposal_room_id_number")),
    )
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_closes_at"), ["closes_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_proposal_message_event_id"), ["message_event_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_proposal_status"), ["status"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_status"))
        batch_op.drop_index(batch_op.f("ix_proposal_message_event_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_closes_at"))

    op.drop_table("proposal")
    with op.batch_alter_table("notified", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notified_user_id"))

    op.drop_table("notified")
    with op.batch_alter_table("ballot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ballot_voter"))
        batch_op.drop_index(batch_op.f("ix_ballot_proposal_id"))

    op.drop_table("ballot")
