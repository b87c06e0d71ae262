"""Request models of the HTTP API (unknown keys are refused, so a typo never passes silently).

Integers and booleans of JSON bodies are strict: `"score": true` or `"score": "5"` is refused (422),
never coerced; every integer is bounded to what the database holds (server/inputs.py). Query strings
are text by nature, so query models coerce "5" to 5 but keep the same bounds.
"""
from __future__ import annotations

from typing import Annotated, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from server.inputs import DB_INT_MAX, DB_INT_MIN

# The shared types of every body and query model (server/api/*, the admin routes included).
Id = Annotated[int, pydantic.Strict(), Field(gt=0, le=DB_INT_MAX)]
Whole = Annotated[int, pydantic.Strict(), Field(ge=DB_INT_MIN, le=DB_INT_MAX)]
Flag = Annotated[bool, pydantic.Strict()]
QueryId = Annotated[int, Field(gt=0, le=DB_INT_MAX)]
QueryWhole = Annotated[int, Field(ge=DB_INT_MIN, le=DB_INT_MAX)]


class Strict(BaseModel):
    """Base of every JSON body model."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Query(BaseModel):
    """Base of every query-string model; `lang` (the answer's language) is accepted everywhere."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)
    lang: Literal["vi", "en"] | None = None


class LoginBody(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class IssueTicketBody(Strict):
    service_id: Id
    priority: str | None = Field(default=None, max_length=32)
    language: Literal["vi", "en"] = "vi"


class TransferBody(Strict):
    service_id: Id | None = None
    counter_id: Id | None = None
    note: str = Field(default="", max_length=300)


class RecallBody(Strict):
    counter_id: Id | None = None


class PauseBody(Strict):
    reason: str = Field(min_length=1, max_length=200)


class RatingBody(Strict):
    ticket_id: Id | None = None
    token: str | None = Field(default=None, max_length=64)
    score: Whole = Field(ge=1, le=5)
    reasons: list[str] = Field(default_factory=list, max_length=10)
    comment: str = Field(default="", max_length=1000)


class ReprintBody(Strict):
    kiosk_id: Id | None = None


class SiteQuery(Query):
    site_id: QueryId | None = None
