"""Daily and monthly roll-ups (server/rollups): per site × day × field × counter × clerk, per site × day, the tickets
that may still change, and each site's roll-up cursor. A site fills them on first use from its tickets
(server/rollups/site.py), so this migration creates empty tables and stays fast on a year of history.

Revision ID: 0007_rollups
Revises: 0006_province_central
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_rollups"
down_revision = "0006_province_central"
branch_labels = None
depends_on = None


def _id_column() -> sa.Column:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True)


def _measures() -> list[sa.Column]:
    counts = ["issued", "served", "no_show", "transferred", "ratings", "score_sum",
              "score_1", "score_2", "score_3", "score_4", "score_5"]
    return [*(sa.Column(name, sa.Integer(), nullable=False) for name in counts),
            sa.Column("reasons", sa.JSON(), nullable=False),
            sa.Column("wait_histogram", sa.JSON(), nullable=False),
            sa.Column("service_histogram", sa.JSON(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "rollup_days",
        _id_column(),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("clerk_id", sa.Integer(), nullable=False),
        *_measures(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_days")),
        sa.UniqueConstraint("site_id", "grain", "business_date", "service_id", "counter_id", "clerk_id",
                            name="uq_rollup_days_key"),
    )
    op.create_table(
        "rollup_site_days",
        _id_column(),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        *_measures(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_site_days")),
        sa.UniqueConstraint("site_id", "grain", "business_date",
                            name="uq_rollup_site_days_key"),
    )
    op.create_index("ix_rollup_site_days_date", "rollup_site_days", ["grain", "business_date"])
    op.create_table(
        "rollup_tickets",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("clerk_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("first_called_at", sa.DateTime(), nullable=True),
        sa.Column("called_at", sa.DateTime(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "ticket_id", name=op.f("pk_rollup_tickets")),
    )
    op.create_index("ix_rollup_tickets_day", "rollup_tickets", ["site_id", "business_date"])
    op.create_table(
        "rollup_cursors",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("rolled_up_seq", sa.BigInteger(), nullable=False),
        sa.Column("counter_clerks", sa.JSON(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("pruned_before", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_rollup_cursors")),
    )


def downgrade() -> None:
    op.drop_table("rollup_cursors")
    op.drop_index("ix_rollup_tickets_day", table_name="rollup_tickets")
    op.drop_table("rollup_tickets")
    op.drop_index("ix_rollup_site_days_date", table_name="rollup_site_days")
    op.drop_table("rollup_site_days")
    op.drop_table("rollup_days")
