"""Typed SQLAlchemy 2 models: the tables of one Hàng Chờ database.

Times are stored as naive UTC (`UTCDateTime` adds and strips the zone), so SQLite and PostgreSQL
behave the same; local time is only for display and for the business day.
"""
from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in Python, naive UTC in the database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


def _enum(enum_class: type[enum.Enum]) -> Enum:
    return Enum(
        enum_class,
        native_enum=False,
        length=24,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
        create_constraint=False,
    )


class StaffRole(str, enum.Enum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    CLERK = "clerk"
    INSPECTOR = "inspector"
    # A leader: at a site the head of the centre (người đứng đầu), who answers for the red items of the
    # leader's board; at the central server the province leader.
    LEADER = "leader"


class DeviceKind(str, enum.Enum):
    KIOSK = "kiosk"
    DISPLAY = "display"
    RATING_TERMINAL = "rating_terminal"
    BRIDGE = "bridge"


class TicketStatus(str, enum.Enum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class CounterStatus(str, enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


class RatingChannel(str, enum.Enum):
    TERMINAL = "terminal"
    KEYPAD = "keypad"
    PHONE = "phone"


class DossierOutcome(str, enum.Enum):
    """What came of a visit for its dossier (docs/dossiers.md)."""

    RECEIVED = "received"  # tiếp nhận
    RETURNED = "returned"  # trả bổ sung: more papers needed
    RESULT = "result"  # trả kết quả: the result handed over
    GUIDANCE = "guidance"  # hướng dẫn: guidance only


class PrintJobStatus(str, enum.Enum):
    PENDING = "pending"
    PRINTED = "printed"
    FAILED = "failed"


class Centre(Base):
    """A Trung tâm Phục vụ hành chính công (or an older "Bộ phận một cửa"); its label is data."""

    __tablename__ = "centres"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(120), default="Trung tâm Phục vụ hành chính công")
    province: Mapped[str] = mapped_column(String(120), default="")
    sites: Mapped[list[Site]] = relationship(back_populates="centre")


class Site(Base):
    """A reception point (điểm tiếp nhận) of a centre: one hall with its counters and kiosks."""

    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("centre_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(120), default="Điểm tiếp nhận")
    address: Mapped[str] = mapped_column(String(300), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    # The last event sequence number of this site; bumped in the same transaction as each change.
    event_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # The hash of the event with seq = event_seq: the head of the tamper-evident chain (hashchain.py).
    event_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # Bumped by every audited administrative change; keys the caches of slowly changing configuration.
    config_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    centre: Mapped[Centre] = relationship(back_populates="sites")


class Service(Base):
    """A field (lĩnh vực) citizens queue for, with its own number range or prefix."""

    __tablename__ = "services"
    __table_args__ = (
        UniqueConstraint("site_id", "code"),
        CheckConstraint("number_start >= 0 AND number_end >= number_start", name="number_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    group_name: Mapped[str] = mapped_column(String(120), default="")
    number_prefix: Mapped[str] = mapped_column(String(8), default="")
    number_start: Mapped[int] = mapped_column(Integer, default=1)
    number_end: Mapped[int] = mapped_column(Integer, default=9999)
    number_width: Mapped[int] = mapped_column(Integer, default=0)
    daily_quota: Mapped[int | None] = mapped_column(Integer, default=None)
    average_service_s: Mapped[int] = mapped_column(Integer, default=300)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # In the province's catalogue (applied through server/administration.apply_province_catalogue).
    from_province: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Added by the catalogue, inactive until an administrator gives it to a counter (which activates it).
    awaiting_counter: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Counter(Base):
    """A counter (quầy) with the ordered list of fields it serves."""

    __tablename__ = "counters"
    __table_args__ = (UniqueConstraint("site_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[CounterStatus] = mapped_column(_enum(CounterStatus), default=CounterStatus.CLOSED)
    pause_reason: Mapped[str] = mapped_column(String(200), default="")
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    service_links: Mapped[list[CounterService]] = relationship(
        order_by="CounterService.position", cascade="all, delete-orphan", back_populates="counter"
    )
    clerk: Mapped[Staff | None] = relationship(foreign_keys=[clerk_id])

    @property
    def service_ids(self) -> list[int]:
        return [link.service_id for link in self.service_links]


class CounterService(Base):
    __tablename__ = "counter_services"
    counter_id: Mapped[int] = mapped_column(ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    counter: Mapped[Counter] = relationship(back_populates="service_links")


class Staff(Base):
    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), default=None)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]
    last_login_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class StaffToken(Base):
    """A log-in: the bearer token and the session cookie both carry it; only its hash is stored."""

    __tablename__ = "staff_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    staff: Mapped[Staff] = relationship()


class Device(Base):
    """A kiosk, display, rating terminal or hardware bridge, authenticated by its own key."""

    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    kind: Mapped[DeviceKind] = mapped_column(_enum(DeviceKind))
    name: Mapped[str] = mapped_column(String(120))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_hint: Mapped[str] = mapped_column(String(8), default="")
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), default=None)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(24), default="unknown")
    status_message: Mapped[str] = mapped_column(String(300), default="")
    # When `status` last changed: how long a device has been away decides when it raises an alert.
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # Health of the serial devices a bridge drives, keyed by role ("printer:1" → {"status", "message", "at"}).
    hardware_status: Mapped[dict[str, Any]] = mapped_column(default=dict)


class PriorityCategory(Base):
    """A priority class (người cao tuổi, người khuyết tật, …); higher level is called first."""

    __tablename__ = "priority_categories"
    __table_args__ = (UniqueConstraint("site_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class WorkingSession(Base):
    """One working session on a weekday (0 = Monday), e.g. 07:00–11:30."""

    __tablename__ = "working_hours"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[dt.time] = mapped_column(Time)
    closes_at: Mapped[dt.time] = mapped_column(Time)


class Holiday(Base):
    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("site_id", "date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200), default="")


class DailySequence(Base):
    """The last number handed out per field and business day: allocated by atomic UPDATE … RETURNING."""

    __tablename__ = "daily_sequences"
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"), primary_key=True)
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        # One number, one citizen: the number as displayed and printed is unique per site and day,
        # whatever field the ticket has been transferred to since.
        UniqueConstraint("site_id", "business_date", "number"),
        UniqueConstraint("issued_service_id", "business_date", "sequence"),
        Index("ix_tickets_queue", "site_id", "business_date", "status"),
        Index("ix_tickets_counter", "counter_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    # The field the citizen waits for now (a transfer changes it) …
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    # … and the field whose number range gave the number (never changes).
    issued_service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    business_date: Mapped[dt.date] = mapped_column(Date)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(16))
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus), default=TicketStatus.WAITING)
    priority_category_id: Mapped[int | None] = mapped_column(ForeignKey("priority_categories.id"), default=None)
    priority_level: Mapped[int] = mapped_column(Integer, default=0)
    issued_at: Mapped[dt.datetime]
    called_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    first_called_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), default=None)
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    # A transfer to a counter reserves the ticket for that counter, which calls it before others.
    target_counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), default=None)
    call_count: Mapped[int] = mapped_column(Integer, default=0)
    transfer_count: Mapped[int] = mapped_column(Integer, default=0)
    transfer_note: Mapped[str] = mapped_column(String(300), default="")
    issued_by_device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), default=None)
    issued_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    # Printed in the QR code; lets its holder follow the ticket and rate it once. Kept (not hashed)
    # because a reprint must show the same link; it grants nothing beyond this one ticket.
    public_token: Mapped[str] = mapped_column(String(48), unique=True)
    # SHA-256 (hex) of public_token: what the uplink and the province server know of the token
    # (docs/phone-via-central.md); a rating relayed by the central names its ticket by it.
    public_token_sha256: Mapped[str] = mapped_column(String(64), default="", server_default="", index=True)
    language: Mapped[str] = mapped_column(String(8), default="vi")
    dossier_code: Mapped[str] = mapped_column(String(64), default="")
    # The kiosk's optional question "Ông/bà đến lần thứ mấy cho việc này?": 1, 2 or 3 (3 or more).
    declared_visit: Mapped[int | None] = mapped_column(Integer, default=None)
    service: Mapped[Service] = relationship(foreign_keys=[service_id])
    priority_category: Mapped[PriorityCategory | None] = relationship()
    counter: Mapped[Counter | None] = relationship(foreign_keys=[counter_id])


class DossierVisit(Base):
    """A visit (ticket) attached to a dossier (mã hồ sơ) with its outcome: the dossier's custody trail.

    One per ticket (a correction replaces it, the event log keeps both). `visit_number` counts the
    dossier's visits at the site within the repeat window, this one included; `repeat` is
    visit_number > 1. `breach` marks a second "returned for more papers" that asks for an item the
    first list did not name (the one-time-complete-guidance rule); `new_missing` names those items.
    """

    __tablename__ = "dossier_visits"
    __table_args__ = (Index("ix_dossier_visits_code", "site_id", "code", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    code: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[DossierOutcome] = mapped_column(_enum(DossierOutcome))
    missing: Mapped[list[Any]] = mapped_column(default=list)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), default=None)
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    visit_number: Mapped[int] = mapped_column(Integer, default=1)
    repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    breach: Mapped[bool] = mapped_column(Boolean, default=False)
    new_missing: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class CitizenKey(Base):
    """A repeat-visit key of a visit: HMAC-SHA256 of a phone number or citizen ID with the centre's secret
    (never the number), deleted at `expires_at` by the scheduler; never in the event log or an export."""

    __tablename__ = "citizen_keys"
    __table_args__ = (Index("ix_citizen_keys_lookup", "site_id", "key_hash", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)


class LeaderItem(Base):
    """A red item of a site's week on the leader's board (server/queue/leadership.py): a figure past its
    target, the head of the centre's action and due date, and the note it was cleared with."""

    __tablename__ = "leader_items"
    __table_args__ = (UniqueConstraint("site_id", "week_start", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    week_start: Mapped[dt.date] = mapped_column(Date)  # the Monday of the local week
    kind: Mapped[str] = mapped_column(String(32))
    figure: Mapped[float | None] = mapped_column(default=None)
    target: Mapped[float | None] = mapped_column(default=None)
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)
    action: Mapped[str] = mapped_column(String(1000), default="")
    action_due: Mapped[dt.date | None] = mapped_column(Date, default=None)
    action_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    action_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    cleared_note: Mapped[str] = mapped_column(String(1000), default="")
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime]


class LeaderReview(Base):
    """A site's week already reviewed for red items (the review runs once per week and site)."""

    __tablename__ = "leader_reviews"
    __table_args__ = (UniqueConstraint("site_id", "week_start"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    week_start: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime]


class RatingFlagDay(Base):
    """The rating flags of one business day as last sent to the event log (server/queue/flag_reviews.py):
    flags are computed, never stored on a rating; this row only lets the next review say what changed."""

    __tablename__ = "rating_flag_days"
    __table_args__ = (UniqueConstraint("site_id", "business_date"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    business_date: Mapped[dt.date] = mapped_column(Date)
    # [{rating_id, ticket_id, service_id, counter_id, clerk_id, score, kinds}], by rating id.
    flags: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[dt.datetime]


class RatingWindow(Base):
    """The time a counter's rating terminal or keypad may rate the ticket just finished there."""

    __tablename__ = "rating_windows"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    counter_id: Mapped[int] = mapped_column(ForeignKey("counters.id"), index=True)
    token: Mapped[str] = mapped_column(String(48), unique=True)
    opens_at: Mapped[dt.datetime]
    closes_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class Rating(Base):
    """A citizen's verdict on one served ticket; the unique ticket_id is the one-rating rule."""

    __tablename__ = "ratings"
    __table_args__ = (
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        Index("ix_ratings_site_created", "site_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"))
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    score: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    comment: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[RatingChannel] = mapped_column(_enum(RatingChannel))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), default=None)
    created_at: Mapped[dt.datetime]


class RatingAttempt(Base):
    """Every refused rating attempt, kept for audit (rating stuffing is a known abuse)."""

    __tablename__ = "rating_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), default=None)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), default=None)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), default=None, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    channel: Mapped[str] = mapped_column(String(24), default="")
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(String(48), default="")
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    # The first characters of a presented token that matched no ticket: guessing is throttled by this
    # pattern (never by address, which a whole centre's Wi-Fi shares).
    token_pattern: Mapped[str] = mapped_column(String(8), default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(index=True)


class Event(Base):
    """The append-only event log: audit trail, realtime source and the outbox to the central server."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("site_id", "seq"), Index("ix_events_site_type_created", "site_id", "type", "created_at"))
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(48))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), default=None, index=True)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("counters.id"), default=None)
    actor: Mapped[str] = mapped_column(String(64), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime]
    # SHA-256(previous event's hash ‖ this event's canonical content), see server/queue/hashchain.py.
    hash: Mapped[str] = mapped_column(String(64), default="", server_default="")


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_open", "site_id", "acknowledged_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[str] = mapped_column(String(48))
    severity: Mapped[str] = mapped_column(String(16), default="warning")
    message: Mapped[str] = mapped_column(String(500))
    # One open alert per situation (e.g. "printer:1"): a repeat refreshes it instead of piling up.
    dedupe_key: Mapped[str] = mapped_column(String(120), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime]
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    # Set when the situation is over by itself (the device is back): the alert describes the present.
    resolved_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class PrintJob(Base):
    """A ticket sent to a kiosk's printer through its bridge; failing it never touches the ticket."""

    __tablename__ = "print_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kiosk_device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    status: Mapped[PrintJobStatus] = mapped_column(_enum(PrintJobStatus), default=PrintJobStatus.PENDING)
    reprint: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(String(48), default="")
    message: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class IdempotencyRecord(Base):
    """The answer already given to a retried request or key press (same caller, same key)."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("scope", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    status_code: Mapped[int] = mapped_column(Integer, default=200)
    response: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime]


class AuditEntry(Base):
    """Who changed what in the administration, and when."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), default=None)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    action: Mapped[str] = mapped_column(String(48))
    entity: Mapped[str] = mapped_column(String(48))
    entity_id: Mapped[str] = mapped_column(String(48), default="")
    before: Mapped[dict[str, Any]] = mapped_column(default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(index=True)


# The tables of the province server and of the site's uplink live in their own packages but on this
# Base (one schema history); importing them here registers them wherever the models are loaded.
import server.province.models  # noqa: E402,F401
import server.uplink.models  # noqa: E402,F401
# The roll-ups' tables live in their own module but in this metadata (one Alembic history).
from server.rollups import models as _rollup_models  # noqa: E402,F401
