"""Repeat-visit keys from a phone number or citizen ID, kept only as a keyed hash (issue 14, item 2).

Revision ID: 0010_citizen_keys
Revises: 0009_leader_board
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_citizen_keys"
down_revision = "0009_leader_board"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "citizen_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_citizen_keys_site_id_sites")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_citizen_keys_ticket_id_tickets")),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_citizen_keys_service_id_services")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_keys")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_citizen_keys_ticket_id")),
    )
    op.create_index("ix_citizen_keys_lookup", "citizen_keys", ["site_id", "key_hash", "created_at"])
    op.create_index(op.f("ix_citizen_keys_expires_at"), "citizen_keys", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_citizen_keys_expires_at"), table_name="citizen_keys")
    op.drop_index("ix_citizen_keys_lookup", table_name="citizen_keys")
    op.drop_table("citizen_keys")
