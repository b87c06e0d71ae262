"""Request models of the HTTP API (unknown keys are refused, so a typo never passes silently).

Integers and booleans of JSON bodies are strict: `"score": true` or `"score": "5"` is refused (422),
never coerced; every integer is bounded to what the database holds (server/inputs.py). Query strings
are text by nature, so query models coerce "5" to 5 but keep the same bounds.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Callable, Literal

import pydantic
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from server.inputs import DB_INT_MAX, DB_INT_MIN
from server.models import TicketStatus

def _in_database_range(value: int) -> int:
    """What an INTEGER column holds. A validator, not Field(ge/le): pydantic keeps only the last bound
    of each kind, and the fields' own bounds (`score` 1–5) must not be replaced by these."""
    if value > DB_INT_MAX:
        raise PydanticCustomError("less_than_equal", "at most {le}", {"le": DB_INT_MAX})
    if value < DB_INT_MIN:
        raise PydanticCustomError("greater_than_equal", "at least {ge}", {"ge": DB_INT_MIN})
    return value


def _documented_range(schema: dict[str, Any]) -> None:
    schema.setdefault("maximum", DB_INT_MAX)
    if "exclusiveMinimum" not in schema:
        schema.setdefault("minimum", DB_INT_MIN)


_IN_RANGE = (AfterValidator(_in_database_range), Field(json_schema_extra=_documented_range))

# The shared types of every body and query model (server/api/*, the admin routes included).
Id = Annotated[int, pydantic.Strict(), Field(gt=0), *_IN_RANGE]
Whole = Annotated[int, pydantic.Strict(), *_IN_RANGE]
Flag = Annotated[bool, pydantic.Strict()]
QueryId = Annotated[int, Field(gt=0), *_IN_RANGE]
QueryWhole = Annotated[int, *_IN_RANGE]


def _iso_text(kind: str, pattern: str) -> Callable[[Any], Any]:
    """Only the ISO text form: pydantic alone would read 0 or "0" as seconds since 1970 (or midnight)."""
    shape = re.compile(pattern)

    def check(value: Any) -> Any:
        if isinstance(value, (dt.date, dt.time)):
            return value
        if not isinstance(value, str) or not shape.fullmatch(value):
            raise PydanticCustomError(f"{kind}_type", "must be an ISO {kind}", {"kind": kind})
        return value
    return check


# Dates a centre can have data for; the business-day arithmetic leaves Python's range near year 1 or 9999.
EARLIEST_DATE, LATEST_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def _plausible_date(value: dt.date) -> dt.date:
    if value < EARLIEST_DATE:
        raise PydanticCustomError("greater_than_equal", "at least {ge}", {"ge": EARLIEST_DATE.isoformat()})
    if value > LATEST_DATE:
        raise PydanticCustomError("less_than_equal", "at most {le}", {"le": LATEST_DATE.isoformat()})
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_text("date", r"\d{4}-\d{2}-\d{2}")), AfterValidator(_plausible_date)]
IsoTime = Annotated[dt.time, BeforeValidator(_iso_text("time", r"\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?"))]


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
    # The kiosk's optional "đến lần thứ mấy" answer: 1, 2, or 3 (three or more); kept only where the
    # site asks the question.
    visit: Annotated[Whole, Field(ge=1, le=3)] | None = None


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


# --------------------------------------------------------------------------- answers
# What the main routes answer, for the OpenAPI document (and the fuzzer that checks answers against it).
# Extra keys are allowed: answers may grow without breaking a client.

class Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class HealthAnswer(Answer):
    status: Literal["ok"]
    version: str
    database: Literal["ok"]


class ServiceRow(Answer):
    id: int
    code: str
    name: str
    waiting: int
    active: bool


class LoginUser(Answer):
    id: int
    username: str
    role: Literal["admin", "supervisor", "clerk", "inspector", "leader"]


class LoginAnswer(Answer):
    token: str
    user: LoginUser


class IssuedTicket(Answer):
    id: int
    number: str
    service_id: int
    status: str
    issued_at: str
    ahead: int
    estimated_wait_s: int | None
    public_url: str


class TicketAnswer(Answer):
    id: int
    number: str
    service_id: int
    status: TicketStatus
    counter_id: int | None
    issued_at: str


class RatingAnswer(Answer):
    id: int
    ticket_id: int
    score: int = Field(ge=1, le=5)
    channel: str
    created_at: str


class PrintJobAnswer(Answer):
    print_job_id: int
