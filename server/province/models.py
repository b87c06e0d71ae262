"""Tables of the central role, on the same declarative Base (one Alembic history for both roles).

A site database leaves them empty, as a central database leaves the site's queue tables empty.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base


class ProvinceSite(Base):
    """A site (commune centre) registered at the central, with the state of its uplink."""

    __tablename__ = "province_sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the uplink key (server/auth/secrets.digest); the key itself is shown once.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(8), default="")
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # The site's own id in its database: part of every event's canonical content (hashchain.py).
    origin_site_id: Mapped[int | None] = mapped_column(Integer, default=None)
    # The highest contiguous seq stored (and acknowledged) and that event's hash: where the chain goes on.
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default="")
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # What the site said about its own head when it last spoke (its lag as the central sees it).
    site_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class ReceivedEvent(Base):
    """An event as the site logged it, stored once per (site, seq) after its chain was checked."""

    __tablename__ = "province_events"
    __table_args__ = (UniqueConstraint("site_id", "seq"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("province_sites.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(48))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime]
    hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime]


class ProvinceAlert(Base):
    """Something the province must look at: a broken hash chain (the site and the first bad seq)."""

    __tablename__ = "province_alerts"
    __table_args__ = (Index("ix_province_alerts_open", "site_id", "resolved_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("province_sites.id"), default=None)
    kind: Mapped[str] = mapped_column(String(48))
    message: Mapped[str] = mapped_column(String(500))
    dedupe_key: Mapped[str] = mapped_column(String(120), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class SiteLiveState(Base):
    """A site's live figures, kept up to date by the ingest (the board reads this row, never the events)."""

    __tablename__ = "province_live_states"
    site_id: Mapped[int] = mapped_column(ForeignKey("province_sites.id"), primary_key=True)
    business_date: Mapped[dt.date | None] = mapped_column(default=None)
    # Waiting tickets of the day: ticket id → issued_at (ISO); waiting and the longest wait come from it.
    waiting_tickets: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Counter id → status ("open", "paused", "closed").
    counters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    issued_today: Mapped[int] = mapped_column(Integer, default=0)
    served_today: Mapped[int] = mapped_column(Integer, default=0)
    ratings_today: Mapped[int] = mapped_column(Integer, default=0)
    satisfied_today: Mapped[int] = mapped_column(Integer, default=0)
    # The site's own open alerts (alert id → kind), from its alert events.
    open_alerts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The leader's red items not yet cleared (item id → {kind, week_start, due}), from the site's
    # leader_items_raised / leader_action_recorded / leader_item_cleared events.
    red_items: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # What the site says of itself in its `site_status` uplink call: its own name and, per active field,
    # {code, name, waiting, estimated_wait_s, counters_serving} computed by its own core (the kiosk's estimate).
    site_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    fields_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class CatalogueField(Base):
    """One field (lĩnh vực) of the province's standard list, published to every site over the uplink."""

    __tablename__ = "province_catalogue_fields"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Letters for new fields' numbers at a site (A005…); empty: the site's next free number range.
    prefix: Mapped[str] = mapped_column(String(8), default="", server_default="")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class PhoneTicket(Base):
    """A ticket of a site, known by the SHA-256 of its token (never the token): bound to the site whose
    hash-chained `ticket_issued` event named the digest, then refreshed by the site's `phone_tickets`
    uplink call with what its own phone page shows (docs/phone-via-central.md)."""

    __tablename__ = "province_phone_tickets"
    __table_args__ = (Index("ix_province_phone_tickets_day", "site_id", "business_date"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("province_sites.id"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # The ticket's id at its site (the phone page's events name it).
    ticket_id: Mapped[int] = mapped_column(BigInteger)
    business_date: Mapped[dt.date]
    # The site's public view of the ticket (server/queue/queries.public_ticket_view, minus its room).
    view: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime]


class PhoneRating(Base):
    """A rating a phone gave at the central, relayed to its site: pending until the site answered, then
    its verdict (accepted, or refused with the site's error). The site stores it at most once: it is
    delivered with an idempotency key derived from this row's id."""

    __tablename__ = "province_phone_ratings"
    __table_args__ = (Index("ix_province_phone_ratings_pending", "site_id", "status"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("province_sites.id"))
    token_sha256: Mapped[str] = mapped_column(String(64), index=True)
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    comment: Mapped[str] = mapped_column(String(1000), default="")
    given_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | accepted | refused
    error: Mapped[str] = mapped_column(String(48), default="")
    delivered_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class PhoneLookupMiss(Base):
    """A token that matched no ticket (page, API or socket): guesses are throttled per token pattern
    (its first characters, as at the site), never per address."""

    __tablename__ = "province_phone_misses"
    __table_args__ = (Index("ix_province_phone_misses_pattern", "token_pattern", "created_at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    token_pattern: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
