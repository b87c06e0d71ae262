"""Issue 14 at the province: repeat visits and flagged ratings in the roll-ups, the rating flags the site's
log last gave per day, and each site's open red items in the central's live state.

A site's own roll-ups are dropped, so that its scheduler rebuilds them from its tables (dossier visits
included) at the next run: its reports of two days or more read the repeat visits from them. At the
central, rows rolled up before this migration keep 0 visits and flags (the events then carried no flags).

Revision ID: 0012_province_flags_and_visits
Revises: 0011_phone_via_central
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_province_flags_and_visits"
down_revision = "0011_phone_via_central"
branch_labels = None
depends_on = None

COUNTS = ("visits_known", "repeat_visits", "dossier_visits", "returned", "guidance_breaches",
          "flagged_1", "flagged_2", "flagged_3", "flagged_4", "flagged_5")
TICKET_FLAGS = ("dossier_repeat", "dossier_breach", "flagged")


def upgrade() -> None:
    op.create_table(
        "rating_flag_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_rating_flag_days_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_flag_days")),
        sa.UniqueConstraint("site_id", "business_date", name=op.f("uq_rating_flag_days_site_id_business_date")),
    )
    for table in ("rollup_days", "rollup_site_days"):
        with op.batch_alter_table(table) as batch:
            for name in COUNTS:
                batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("rollup_tickets") as batch:
        batch.add_column(sa.Column("declared_visit", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("dossier_outcome", sa.String(length=16), nullable=True))
        for name in TICKET_FLAGS:
            batch.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("province_live_states") as batch:
        batch.add_column(sa.Column("red_items", sa.JSON(), nullable=False, server_default="{}"))
    for table in ("rollup_days", "rollup_site_days", "rollup_tickets", "rollup_cursors"):
        op.execute(sa.text(f"DELETE FROM {table} WHERE site_id IN (SELECT id FROM sites)"))


def downgrade() -> None:
    with op.batch_alter_table("province_live_states") as batch:
        batch.drop_column("red_items")
    with op.batch_alter_table("rollup_tickets") as batch:
        for name in ("flagged", "dossier_breach", "dossier_repeat", "dossier_outcome", "declared_visit"):
            batch.drop_column(name)
    for table in ("rollup_site_days", "rollup_days"):
        with op.batch_alter_table(table) as batch:
            for name in reversed(COUNTS):
                batch.drop_column(name)
    op.drop_table("rating_flag_days")
