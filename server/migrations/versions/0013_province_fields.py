"""Issue 13's remainders: each site's own name and per-field waits at the central (the public /wait
page), the province catalogue of fields, and at the site which fields came from it.

Revision ID: 0013_province_fields
Revises: 0012_province_flags_and_visits
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_province_fields"
down_revision = "0012_province_flags_and_visits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("province_live_states") as batch:
        batch.add_column(sa.Column("site_name", sa.String(length=200), nullable=False, server_default=""))
        batch.add_column(sa.Column("fields", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("fields_at", sa.DateTime(), nullable=True))
    op.create_table(
        "province_catalogue_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("prefix", sa.String(length=8), nullable=False, server_default=""),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_province_catalogue_fields")),
        sa.UniqueConstraint("code", name=op.f("uq_province_catalogue_fields_code")),
    )
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("from_province", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("awaiting_counter", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("uplink_states") as batch:
        batch.add_column(sa.Column("catalogue_version", sa.String(length=64), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("uplink_states") as batch:
        batch.drop_column("catalogue_version")
    with op.batch_alter_table("services") as batch:
        batch.drop_column("awaiting_counter")
        batch.drop_column("from_province")
    op.drop_table("province_catalogue_fields")
    with op.batch_alter_table("province_live_states") as batch:
        batch.drop_column("fields_at")
        batch.drop_column("fields")
        batch.drop_column("site_name")
