"""Per-site settings kept as JSON on the site row, read through one typed model with defaults.

Administrators change them (server admin pages); the domain reads them on every verb, so a change
takes effect at once in every process.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from server.queue.rules import CallingPolicy, FieldOrder

logger = logging.getLogger(__name__)


class RatingReason(BaseModel):
    model_config = ConfigDict(frozen=True)
    code: str
    label: str
    label_en: str = ""


class RatingButton(BaseModel):
    model_config = ConfigDict(frozen=True)
    score: int = Field(ge=1, le=5)
    label: str
    label_en: str = ""


DEFAULT_RATING_BUTTONS = [
    RatingButton(score=5, label="Rất hài lòng", label_en="Very satisfied"),
    RatingButton(score=4, label="Hài lòng", label_en="Satisfied"),
    RatingButton(score=3, label="Bình thường", label_en="Neutral"),
    RatingButton(score=2, label="Không hài lòng", label_en="Dissatisfied"),
]

DEFAULT_RATING_REASONS = [
    RatingReason(code="thai_do", label="Thái độ chưa đúng mực", label_en="Improper attitude"),
    RatingReason(code="huong_dan", label="Hướng dẫn chưa rõ ràng", label_en="Unclear guidance"),
    RatingReason(code="cho_lau", label="Chờ lâu", label_en="Long wait"),
    RatingReason(code="giay_to", label="Yêu cầu giấy tờ ngoài quy định", label_en="Asked for papers not required"),
    RatingReason(code="hen_sai", label="Hẹn trả kết quả sai", label_en="Wrong result date"),
    RatingReason(code="di_lai", label="Phải đi lại nhiều lần", label_en="Had to come back many times"),
    RatingReason(code="khac", label="Khác", label_en="Other"),
]


class RatingSettings(BaseModel):
    model_config = ConfigDict(frozen=True)
    window_s: int = Field(default=30, ge=5, le=600)
    buttons: list[RatingButton] = Field(default_factory=lambda: list(DEFAULT_RATING_BUTTONS))
    # Scores at or below this ask the citizen for reasons.
    low_score_max: int = Field(default=3, ge=1, le=5)
    reasons: list[RatingReason] = Field(default_factory=lambda: list(DEFAULT_RATING_REASONS))
    attempts_per_minute: int = Field(default=20, ge=1)
    # How long after the service the ticket's QR link may still rate it (the paper outlives the visit).
    phone_window_hours: int = Field(default=48, ge=1, le=24 * 30)


class VoiceSettings(BaseModel):
    model_config = ConfigDict(frozen=True)
    variant: Literal["northern", "southern"] = "northern"
    number_style: Literal["cardinal", "digits"] = "cardinal"
    chime: bool = True
    repeat: int = Field(default=1, ge=1, le=3)
    pack: str = "default"
    enabled: bool = True


class AlertSettings(BaseModel):
    model_config = ConfigDict(frozen=True)
    long_wait_s: int = 1800
    idle_counter_queue: int = 5
    idle_counter_s: int = 300
    low_rating_max: int = 2
    # A device away for less than this (a reload, a server restart) raises no alert.
    device_grace_s: int = Field(default=90, ge=10, le=3600)


class MissingItem(BaseModel):
    """A paper a citizen may be asked to bring back (trả bổ sung), chosen from the site's list."""

    model_config = ConfigDict(frozen=True)
    code: str = Field(min_length=1, max_length=32)
    label: str = Field(min_length=1, max_length=120)
    label_en: str = ""


DEFAULT_MISSING_ITEMS = [
    MissingItem(code="don", label="Đơn, tờ khai theo mẫu", label_en="Application form"),
    MissingItem(code="cccd", label="Bản sao giấy tờ tùy thân", label_en="Copy of identity papers"),
    MissingItem(code="xac_nhan", label="Giấy xác nhận của cơ quan có thẩm quyền", label_en="Certificate from the competent authority"),
    MissingItem(code="ban_ve", label="Bản vẽ, sơ đồ", label_en="Drawings or plans"),
    MissingItem(code="uy_quyen", label="Giấy ủy quyền", label_en="Power of attorney"),
    MissingItem(code="le_phi", label="Chứng từ nộp phí, lệ phí", label_en="Proof of fee payment"),
    MissingItem(code="khac", label="Giấy tờ khác", label_en="Other papers"),
]


class DossierSettings(BaseModel):
    """Dossiers and repeat visits (docs/dossiers.md)."""

    model_config = ConfigDict(frozen=True)
    # Papers a clerk may name when returning a dossier for more papers.
    missing_items: list[MissingItem] = Field(default_factory=lambda: list(DEFAULT_MISSING_ITEMS), max_length=60)
    # A visit is a repeat when its dossier code was seen at the site within this many days before.
    repeat_window_days: int = Field(default=90, ge=1, le=730)
    # The kiosk asks "Ông/bà đến lần thứ mấy cho việc này?" (off by default).
    ask_visit_at_kiosk: bool = False
    # A phone number or citizen ID typed at the console as a repeat-visit key (off by default); kept only
    # as HMAC-SHA256 with the centre's secret, never in clear, never exported, deleted after
    # key_retention_days (the personal-data law, 2025).
    citizen_key: Literal["off", "phone", "citizen_id"] = "off"
    key_retention_days: int = Field(default=90, ge=1, le=730)


class RatingFlagSettings(BaseModel):
    """Thresholds of the rating flags (server/queue/rating_flags.py); docs/ratings.md says why each."""

    model_config = ConfigDict(frozen=True)
    # A terminal or keypad giving more than `burst_count` ratings within `burst_window_s` seconds.
    burst_count: int = Field(default=3, ge=2, le=100)
    burst_window_s: int = Field(default=60, ge=5, le=3600)
    # A rating given less than this many seconds after the ticket's (last) call.
    too_soon_s: int = Field(default=20, ge=1, le=600)
    # A clerk whose response rate or average score is this far from the site's median at the same hours.
    outlier_min_ratings: int = Field(default=10, ge=1, le=1000)
    outlier_score_gap: float = Field(default=1.0, ge=0.1, le=4.0)
    outlier_response_gap: float = Field(default=0.4, ge=0.05, le=1.0)


class ClerkTrendSettings(BaseModel):
    """The clerk's own weekly summary on the console (server/reports/clerk_trend.py)."""

    model_config = ConfigDict(frozen=True)
    # Satisfaction and reasons are shown for a week only from this many ratings of the clerk.
    min_ratings: int = Field(default=20, ge=5, le=1000)


class LeaderBoardSettings(BaseModel):
    """Targets of the leader's board (server/queue/leadership.py, docs/leader-board.md): a week's figure
    past its target is a red item the head of the centre must answer."""

    model_config = ConfigDict(frozen=True)
    satisfaction_target: float = Field(default=0.8, ge=0, le=1)  # share "rất hài lòng" + "hài lòng"
    wait_p90_target_s: int = Field(default=1800, ge=60, le=86400)
    repeat_rate_target: float = Field(default=0.2, ge=0, le=1)
    response_rate_target: float = Field(default=0.3, ge=0, le=1)
    # Below these a share is too uncertain to be red: a week needs this many ratings / known visits /
    # served citizens.
    min_ratings: int = Field(default=20, ge=1, le=10000)
    min_visits: int = Field(default=20, ge=1, le=10000)
    min_served: int = Field(default=50, ge=1, le=100000)


class SiteSettings(BaseModel):
    """Everything a site's administrator tunes without touching code."""

    model_config = ConfigDict(frozen=True)
    cutoff: dt.time | None = None
    max_priority_in_row: int = Field(default=3, ge=0, le=50)
    field_order: FieldOrder = FieldOrder.IN_ORDER
    rating: RatingSettings = Field(default_factory=RatingSettings)
    voice: VoiceSettings = Field(default_factory=VoiceSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    notice: str = ""
    guidance: str = "Vui lòng chờ đến lượt và theo dõi màn hình, loa gọi số."
    paper_width_mm: Literal[58, 80] = 80
    recent_calls: int = Field(default=8, ge=1, le=30)
    dossiers: DossierSettings = Field(default_factory=DossierSettings)
    rating_flags: RatingFlagSettings = Field(default_factory=RatingFlagSettings)
    clerk_trend: ClerkTrendSettings = Field(default_factory=ClerkTrendSettings)
    leader_board: LeaderBoardSettings = Field(default_factory=LeaderBoardSettings)

    @field_validator("cutoff", mode="before")
    @classmethod
    def _empty_cutoff(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @property
    def calling_policy(self) -> CallingPolicy:
        return CallingPolicy(max_priority_in_row=self.max_priority_in_row, field_order=self.field_order)


def site_settings(raw: dict[str, Any] | None) -> SiteSettings:
    """The typed settings of a site row (read on every verb: parsed once per distinct content)."""
    return _parsed_site_settings(json.dumps(raw or {}, sort_keys=True, default=str))


@functools.lru_cache(maxsize=256)
def _parsed_site_settings(canonical: str) -> SiteSettings:
    return SiteSettings.model_validate(json.loads(canonical))


class KioskSettings(BaseModel):
    """A kiosk's own settings (Device.settings of a kiosk), set by the administrator; see docs/kiosk.md.

    Unknown keys are refused, so an administrator's typo is reported rather than silently ignored.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    printer: bool = True  # a printer hangs on this kiosk: the server queues print jobs for its tickets
    paper_width_mm: Literal[58, 80] | None = None  # None: the site's paper_width_mm
    confirmation_s: int = Field(default=15, ge=5, le=120)  # the confirmation goes back to the start
    print_problem_confirmation_s: int = Field(default=60, ge=10, le=300)  # … when the ticket did not print
    print_wait_s: int = Field(default=12, ge=3, le=60)  # no print result after this long: "not printed"
    idle_reset_s: int = Field(default=45, ge=10, le=600)  # an untouched half-finished choice starts over
    request_timeout_s: int = Field(default=6, ge=2, le=30)  # one POST attempt (two attempts per tap)


def kiosk_settings(raw: dict[str, Any] | None) -> KioskSettings:
    """A kiosk's stored settings, read leniently: a kiosk must keep working whatever its row holds.

    Writes are validated strictly (server/administration.py `update_device`); a value put in the database
    by other means is brought to the nearest bound when out of range, or falls back to its default when
    it is not usable at all. Unknown keys are ignored here.
    """
    known = {key: value for key, value in (raw or {}).items() if key in KioskSettings.model_fields}
    try:
        return KioskSettings.model_validate(known)
    except ValidationError as error:
        usable = dict(known)
        for problem in error.errors():
            name = str(problem["loc"][0])
            context = problem.get("ctx") or {}
            if problem["type"] == "greater_than_equal":
                usable[name] = context["ge"]
            elif problem["type"] == "less_than_equal":
                usable[name] = context["le"]
            else:
                usable.pop(name, None)
            logger.warning("kiosk setting %s=%r is not allowed (%s); using %r", name, known.get(name),
                           problem["type"], usable.get(name, KioskSettings.model_fields[name].default))
        return KioskSettings.model_validate(usable)
