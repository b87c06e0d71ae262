"""one history again after the reports and config-version branches

Revision ID: 0004_merge_heads
Revises: 0002_report_indexes, 0003_site_config_version
Create Date: 2026-11-25 01:52:51.006276
"""
from __future__ import annotations



revision = '0004_merge_heads'
down_revision = ('0002_report_indexes', '0003_site_config_version')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
