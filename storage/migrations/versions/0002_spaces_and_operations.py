"""crews congregations networks operations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 07:31:30.617356
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "congregation",
        sa.Column("space_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("lobby_id", sa.String(length=255), nullable=False),
        sa.Column("announcements_id", sa.String(length=255), nullable=False),
        sa.Column("hosts_room_id", sa.String(length=255), nullable=False),
        sa.Column("hosts", sa.JSON(), nullable=False),
        sa.Column("network_space_id", sa.String(length=255), nullable=True),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("space_id", name=op.f("pk_congregation")),
    )
    op.create_table(
        "crew",
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("congregation_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_key", sa.String(length=255), nullable=False),
        sa.Column("caller", sa.String(length=255), nullable=False),
        sa.Column("intention", sa.Text(), nullable=True),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("room_id", name=op.f("pk_crew")),
        sa.UniqueConstraint(
            "congregation_id", "name_key", name=op.f("uq_crew_congregation_id_name_key")
        ),
    )
    with op.batch_alter_table("crew", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crew_congregation_id"), ["congregation_id"], unique=False
        )

    op.create_table(
        "indexed_room",
        sa.Column("room_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("congregation_id", sa.String(length=255), nullable=True),
        sa.Column("network_id", sa.String(length=255), nullable=True),
        sa.Column("released", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("room_id", name=op.f("pk_indexed_room")),
    )
    with op.batch_alter_table("indexed_room", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_indexed_room_congregation_id"), ["congregation_id"], unique=False
        )

    op.create_table(
        "network",
        sa.Column("space_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("announcements_id", sa.String(length=255), nullable=False),
        sa.Column("commons_id", sa.String(length=255), nullable=False),
        sa.Column("founded_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("space_id", name=op.f("pk_network")),
    )
    op.create_table(
        "operation",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operation")),
    )
    with op.batch_alter_table("operation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_operation_status"), ["status"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("operation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operation_status"))

    op.drop_table("operation")
    op.drop_table("network")
    with op.batch_alter_table("indexed_room", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indexed_room_congregation_id"))

    op.drop_table("indexed_room")
    with op.batch_alter_table("crew", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crew_congregation_id"))

    op.drop_table("crew")
    op.drop_table("congregation")
