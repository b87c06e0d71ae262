"""Report periods: local dates (inclusive) and the usual presets (day, month, quarter, year)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from server.queue.rules import local_day_bounds

# "Any period" is open-ended in principle; this bound keeps one request from scanning decades.
MAX_PERIOD_DAYS = 5 * 366


@dataclass(frozen=True)
class Period:
    """From and to are local business dates, both included."""

    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def utc_bounds(self, timezone: str) -> tuple[dt.datetime, dt.datetime]:
        """[first local midnight, midnight after the last day) as aware UTC datetimes."""
        return local_day_bounds(self.start, timezone)[0], local_day_bounds(self.end, timezone)[1]


def month_of(day: dt.date) -> Period:
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return Period(first, following - dt.timedelta(days=1))


def quarter_of(day: dt.date) -> Period:
    first_month = 3 * ((day.month - 1) // 3) + 1
    first = dt.date(day.year, first_month, 1)
    last = month_of(dt.date(day.year, first_month + 2, 1)).end
    return Period(first, last)


def year_of(day: dt.date) -> Period:
    return Period(dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
