"""Dossiers and repeat visits (issue 14, item 1 and 2).

- dossier_visits: the dossier code (mã hồ sơ) and outcome attached to a visit, with its repeat and
  one-time-guidance marks (server/queue/dossiers.py).
- tickets.declared_visit: the kiosk's optional "đến lần thứ mấy" answer (1, 2, 3 = three or more).

Revision ID: 0008_dossiers
Revises: 0007_rollups
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_dossiers"
down_revision = "0007_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dossier_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.Enum("received", "returned", "result", "guidance", name="dossieroutcome",
                                     native_enum=False, length=24, create_constraint=False), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=True),
        sa.Column("clerk_id", sa.Integer(), nullable=True),
        sa.Column("visit_number", sa.Integer(), nullable=False),
        sa.Column("repeat", sa.Boolean(), nullable=False),
        sa.Column("breach", sa.Boolean(), nullable=False),
        sa.Column("new_missing", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_dossier_visits_site_id_sites")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_dossier_visits_ticket_id_tickets")),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"], name=op.f("fk_dossier_visits_service_id_services")),
        sa.ForeignKeyConstraint(["counter_id"], ["counters.id"], name=op.f("fk_dossier_visits_counter_id_counters")),
        sa.ForeignKeyConstraint(["clerk_id"], ["staff.id"], name=op.f("fk_dossier_visits_clerk_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_visits")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_dossier_visits_ticket_id")),
    )
    op.create_index("ix_dossier_visits_code", "dossier_visits", ["site_id", "code", "created_at"])
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("declared_visit", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("declared_visit")
    op.drop_index("ix_dossier_visits_code", table_name="dossier_visits")
    op.drop_table("dossier_visits")
