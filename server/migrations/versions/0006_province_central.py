"""The province (central) role and the site's uplink: province sites with hashed uplink keys, the events
received from them (once per site and seq), province alerts, the live state per site; and at a site,
the uplink's own state (acknowledged seq, connected).

Revision ID: 0006_province_central
Revises: 0005_core_promises
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_province_central"
down_revision = "0005_core_promises"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "province_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_hint", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("origin_site_id", sa.Integer(), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("site_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_province_sites")),
        sa.UniqueConstraint("code", name=op.f("uq_province_sites_code")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_province_sites_key_hash")),
    )
    op.create_table(
        "province_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=48), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["province_sites.id"], name=op.f("fk_province_events_site_id_province_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_province_events")),
        sa.UniqueConstraint("site_id", "seq", name=op.f("uq_province_events_site_id_seq")),
    )
    op.create_table(
        "province_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("dedupe_key", sa.String(length=120), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["province_sites.id"], name=op.f("fk_province_alerts_site_id_province_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_province_alerts")),
    )
    op.create_index("ix_province_alerts_open", "province_alerts", ["site_id", "resolved_at"])
    op.create_table(
        "province_live_states",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=True),
        sa.Column("waiting_tickets", sa.JSON(), nullable=False),
        sa.Column("counters", sa.JSON(), nullable=False),
        sa.Column("issued_today", sa.Integer(), nullable=False),
        sa.Column("served_today", sa.Integer(), nullable=False),
        sa.Column("ratings_today", sa.Integer(), nullable=False),
        sa.Column("satisfied_today", sa.Integer(), nullable=False),
        sa.Column("open_alerts", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["province_sites.id"], name=op.f("fk_province_live_states_site_id_province_sites")),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_province_live_states")),
    )
    op.create_table(
        "uplink_states",
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("central_url", sa.String(length=300), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("acknowledged_seq", sa.BigInteger(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_uplink_states_site_id_sites")),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_uplink_states")),
    )


def downgrade() -> None:
    op.drop_table("uplink_states")
    op.drop_table("province_live_states")
    op.drop_index("ix_province_alerts_open", table_name="province_alerts")
    op.drop_table("province_alerts")
    op.drop_table("province_events")
    op.drop_table("province_sites")
