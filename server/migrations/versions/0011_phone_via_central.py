"""The phone page through the province server (issue 15): the SHA-256 of each ticket's token at the
site, the central's public URL in the site's uplink state, and the central's phone tickets, relayed
ratings and throttled misses.

Revision ID: 0011_phone_via_central
Revises: 0010_citizen_keys
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0011_phone_via_central"
down_revision = "0010_citizen_keys"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("public_token_sha256", sa.String(length=64), server_default="", nullable=False))
    tickets = sa.table("tickets", sa.column("id", sa.Integer()), sa.column("public_token", sa.String()),
                       sa.column("public_token_sha256", sa.String()))
    connection = op.get_bind()
    for ticket_id, token in connection.execute(sa.select(tickets.c.id, tickets.c.public_token)).all():
        connection.execute(tickets.update().where(tickets.c.id == ticket_id).values(
            public_token_sha256=hashlib.sha256(token.encode("utf-8")).hexdigest()))
    op.create_index(op.f("ix_tickets_public_token_sha256"), "tickets", ["public_token_sha256"])
    with op.batch_alter_table("uplink_states") as batch:
        batch.add_column(sa.Column("phone_base_url", sa.String(length=300), server_default="", nullable=False))
    op.create_table(
        "province_phone_tickets",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("view", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["province_sites.id"],
                                name=op.f("fk_province_phone_tickets_site_id_province_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_province_phone_tickets")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_province_phone_tickets_token_sha256")),
    )
    op.create_index("ix_province_phone_tickets_day", "province_phone_tickets", ["site_id", "business_date"])
    op.create_table(
        "province_phone_ratings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=False),
        sa.Column("given_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=48), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["province_sites.id"],
                                name=op.f("fk_province_phone_ratings_site_id_province_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_province_phone_ratings")),
    )
    op.create_index("ix_province_phone_ratings_pending", "province_phone_ratings", ["site_id", "status"])
    op.create_index(op.f("ix_province_phone_ratings_token_sha256"), "province_phone_ratings", ["token_sha256"])
    op.create_table(
        "province_phone_misses",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_pattern", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_province_phone_misses")),
    )
    op.create_index("ix_province_phone_misses_pattern", "province_phone_misses", ["token_pattern", "created_at"])
    op.create_index(op.f("ix_province_phone_misses_created_at"), "province_phone_misses", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_province_phone_misses_created_at"), table_name="province_phone_misses")
    op.drop_index("ix_province_phone_misses_pattern", table_name="province_phone_misses")
    op.drop_table("province_phone_misses")
    op.drop_index(op.f("ix_province_phone_ratings_token_sha256"), table_name="province_phone_ratings")
    op.drop_index("ix_province_phone_ratings_pending", table_name="province_phone_ratings")
    op.drop_table("province_phone_ratings")
    op.drop_index("ix_province_phone_tickets_day", table_name="province_phone_tickets")
    op.drop_table("province_phone_tickets")
    with op.batch_alter_table("uplink_states") as batch:
        batch.drop_column("phone_base_url")
    op.drop_index(op.f("ix_tickets_public_token_sha256"), table_name="tickets")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("public_token_sha256")
