"""Typed models of the roll-ups, on the same declarative Base (and Alembic history) as server/models.py.

No foreign key to `sites`: at the central, `site_id` names a province site of the central's own tables.
"None" in a dimension (a ticket never called has no counter or clerk) is stored as 0, so the unique
key works the same on SQLite and PostgreSQL (NULLs are distinct in a unique constraint).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base

NONE = 0  # "no field / counter / clerk" in a roll-up key
DAY, MONTH = "day", "month"  # a row covers one business day, or a whole month (business_date = its 1st)


class Measures:
    """What a roll-up row counts: the figures of the summary report, mergeable by addition."""

    issued: Mapped[int] = mapped_column(Integer, default=0)
    served: Mapped[int] = mapped_column(Integer, default=0)
    no_show: Mapped[int] = mapped_column(Integer, default=0)
    transferred: Mapped[int] = mapped_column(Integer, default=0)
    ratings: Mapped[int] = mapped_column(Integer, default=0)
    score_sum: Mapped[int] = mapped_column(Integer, default=0)
    score_1: Mapped[int] = mapped_column(Integer, default=0)
    score_2: Mapped[int] = mapped_column(Integer, default=0)
    score_3: Mapped[int] = mapped_column(Integer, default=0)
    score_4: Mapped[int] = mapped_column(Integer, default=0)
    score_5: Mapped[int] = mapped_column(Integer, default=0)
    # Repeat visits and dossier outcomes (docs/dossiers.md): visits whose count is known (a dossier code or
    # the kiosk's answer), the repeats among them, dossier visits, "returned for more papers", breaches.
    visits_known: Mapped[int] = mapped_column(Integer, default=0)
    repeat_visits: Mapped[int] = mapped_column(Integer, default=0)
    dossier_visits: Mapped[int] = mapped_column(Integer, default=0)
    returned: Mapped[int] = mapped_column(Integer, default=0)
    guidance_breaches: Mapped[int] = mapped_column(Integer, default=0)
    # Flagged ratings by score (docs/ratings.md, "Flags"): shown beside the figures, never taken out.
    flagged_1: Mapped[int] = mapped_column(Integer, default=0)
    flagged_2: Mapped[int] = mapped_column(Integer, default=0)
    flagged_3: Mapped[int] = mapped_column(Integer, default=0)
    flagged_4: Mapped[int] = mapped_column(Integer, default=0)
    flagged_5: Mapped[int] = mapped_column(Integer, default=0)
    # Reason code → how many ratings gave it.
    reasons: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Waiting time (first call − issue) and service time (finish − start) histograms (buckets.py): bucket →
    # count in rollup_days; in rollup_site_days a list of counts by bucket (dense, merged faster).
    wait_histogram: Mapped[dict[str, Any]] = mapped_column(default=dict)
    service_histogram: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RollupDay(Measures, Base):
    """One site's business day (or month) for one field × counter × clerk (the ticket's last ones). A
    year's report reads 12 month rows per key instead of 300 day rows."""

    __tablename__ = "rollup_days"
    __table_args__ = (UniqueConstraint("site_id", "grain", "business_date", "service_id", "counter_id", "clerk_id",
                                       name="uq_rollup_days_key"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer)
    grain: Mapped[str] = mapped_column(String(8), default=DAY)
    business_date: Mapped[dt.date] = mapped_column(Date)
    service_id: Mapped[int] = mapped_column(Integer, default=NONE)
    counter_id: Mapped[int] = mapped_column(Integer, default=NONE)
    clerk_id: Mapped[int] = mapped_column(Integer, default=NONE)


class RollupSiteDay(Measures, Base):
    """The same figures for a whole site and day (or month): what province rankings read (100 sites × a
    year is 1,200 month rows instead of half a million detailed day rows)."""

    __tablename__ = "rollup_site_days"
    __table_args__ = (UniqueConstraint("site_id", "grain", "business_date", name="uq_rollup_site_days_key"),
                      Index("ix_rollup_site_days_date", "grain", "business_date"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[int] = mapped_column(Integer)
    grain: Mapped[str] = mapped_column(String(8), default=DAY)
    business_date: Mapped[dt.date] = mapped_column(Date)


class RollupTicket(Base):
    """What the roll-ups know of a ticket that may still change (its last days): later events move its
    contribution (a transfer changes its field, a call its counter and clerk, a rating adds a score)."""

    __tablename__ = "rollup_tickets"
    __table_args__ = (Index("ix_rollup_tickets_day", "site_id", "business_date"),)
    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    business_date: Mapped[dt.date] = mapped_column(Date)
    service_id: Mapped[int] = mapped_column(Integer, default=NONE)
    counter_id: Mapped[int] = mapped_column(Integer, default=NONE)
    clerk_id: Mapped[int] = mapped_column(Integer, default=NONE)
    status: Mapped[str] = mapped_column(String(24), default="waiting")
    issued_at: Mapped[dt.datetime]
    first_called_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    called_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    score: Mapped[int | None] = mapped_column(Integer, default=None)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    # The kiosk's "đến lần thứ mấy" answer, the dossier attached (its outcome, repeat and breach marks) and
    # whether the site's last review of the day's ratings flagged this ticket's rating.
    declared_visit: Mapped[int | None] = mapped_column(Integer, default=None)
    dossier_outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    dossier_repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    dossier_breach: Mapped[bool] = mapped_column(Boolean, default=False)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)


class RollupCursor(Base):
    """Per site: the highest event `seq` already rolled up (events at or below it are skipped, which makes
    applying a batch twice harmless), and the clerk each counter had at its last status change."""

    __tablename__ = "rollup_cursors"
    site_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rolled_up_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    counter_clerks: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Counter numbers and clerk names seen in the events, to label a site's rows at the central.
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    pruned_before: Mapped[dt.date | None] = mapped_column(Date, default=None)
    updated_at: Mapped[dt.datetime | None] = mapped_column(default=None)
