"""Request models of the HTTP API (unknown keys are refused, so a typo never passes silently)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginBody(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class IssueTicketBody(Strict):
    service_id: int = Field(gt=0)
    priority: str | None = Field(default=None, max_length=32)
    language: Literal["vi", "en"] = "vi"


class TransferBody(Strict):
    service_id: int | None = Field(default=None, gt=0)
    counter_id: int | None = Field(default=None, gt=0)
    note: str = Field(default="", max_length=300)


class RecallBody(Strict):
    counter_id: int | None = Field(default=None, gt=0)


class PauseBody(Strict):
    reason: str = Field(min_length=1, max_length=200)


class RatingBody(Strict):
    ticket_id: int | None = Field(default=None, gt=0)
    token: str | None = Field(default=None, max_length=64)
    score: int = Field(ge=1, le=5)
    reasons: list[str] = Field(default_factory=list, max_length=10)
    comment: str = Field(default="", max_length=1000)


class ReprintBody(Strict):
    kiosk_id: int | None = Field(default=None, gt=0)


class SiteQuery(Strict):
    site_id: int | None = Field(default=None, gt=0)
