"""A site's configuration version, bumped by every audited administrative change.

Caches of slowly changing configuration (working hours, holidays) are keyed by it, so every server
process sees a change at once without re-reading the configuration on every request.

Revision ID: 0003_site_config_version
Revises: 0001_initial
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_site_config_version"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("config_version", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("config_version")
