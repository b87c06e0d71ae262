"""The leader's board (issue 14, item 4): red items of a site's week with actions, due dates and notes.

Revision ID: 0009_leader_board
Revises: 0008_dossiers
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_leader_board"
down_revision = "0008_dossiers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leader_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("figure", sa.Float(), nullable=True),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(length=1000), nullable=False),
        sa.Column("action_due", sa.Date(), nullable=True),
        sa.Column("action_by_id", sa.Integer(), nullable=True),
        sa.Column("action_at", sa.DateTime(), nullable=True),
        sa.Column("cleared_note", sa.String(length=1000), nullable=False),
        sa.Column("cleared_by_id", sa.Integer(), nullable=True),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_leader_items_site_id_sites")),
        sa.ForeignKeyConstraint(["action_by_id"], ["staff.id"], name=op.f("fk_leader_items_action_by_id_staff")),
        sa.ForeignKeyConstraint(["cleared_by_id"], ["staff.id"], name=op.f("fk_leader_items_cleared_by_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leader_items")),
        sa.UniqueConstraint("site_id", "week_start", "kind", name=op.f("uq_leader_items_site_id_week_start_kind")),
    )
    op.create_index(op.f("ix_leader_items_site_id"), "leader_items", ["site_id"])
    op.create_table(
        "leader_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_leader_reviews_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leader_reviews")),
        sa.UniqueConstraint("site_id", "week_start", name=op.f("uq_leader_reviews_site_id_week_start")),
    )


def downgrade() -> None:
    op.drop_table("leader_reviews")
    op.drop_index(op.f("ix_leader_items_site_id"), table_name="leader_items")
    op.drop_table("leader_items")
