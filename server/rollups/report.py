"""Summary figures read from the roll-ups (plus, in memory, the site's events not yet rolled up): the
same rows as server/reports/summary.py computes from the tickets, with percentiles read from the
histograms (within the bound of server/rollups/buckets.py)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from server.reports.periods import Period
from server.reports.summary import Figures
from server.rollups import buckets
from server.rollups.apply import Delta, Key
from server.rollups.models import DAY, MONTH, NONE, RollupDay, RollupSiteDay

MEASURE_COLUMNS = ("issued", "served", "no_show", "transferred", "ratings", "score_sum", "score_1", "score_2",
                   "score_3", "score_4", "score_5", "reasons", "wait_histogram", "service_histogram")
GROUP_COLUMNS = {"service": "service_id", "counter": "counter_id", "clerk": "clerk_id", "site": "site_id"}


def spans(start: dt.date, end: dt.date) -> tuple[list[dt.date], list[tuple[dt.date, dt.date]]]:
    """The whole months inside [start, end] (read from month rows) and the day ranges left at its edges."""
    months: list[dt.date] = []
    ranges: list[tuple[dt.date, dt.date]] = []
    first = start.replace(day=1)
    while first <= end:
        following = (first + dt.timedelta(days=32)).replace(day=1)
        last = following - dt.timedelta(days=1)
        if start <= first and last <= end:
            months.append(first)
        else:
            ranges.append((max(start, first), min(end, last)))
        first = following
    return months, ranges


def period_filter(table: Any, start: dt.date, end: dt.date) -> Any:
    months, ranges = spans(start, end)
    parts = [and_(table.c.grain == DAY, table.c.business_date.between(low, high)) for low, high in ranges]
    if months:
        parts.append(and_(table.c.grain == MONTH, table.c.business_date.in_(months)))
    return or_(*parts)


class _Group:
    __slots__ = ("figures", "wait", "service")

    def __init__(self) -> None:
        self.figures = Figures()
        self.wait: dict[int, int] = {}
        self.service: dict[int, int] = {}

    def add_row(self, row: Any) -> None:
        figures = self.figures
        figures.issued += row.issued
        figures.served += row.served
        figures.no_show += row.no_show
        figures.transferred += row.transferred
        figures.ratings += row.ratings
        figures.score_sum += row.score_sum
        for score in range(1, 6):
            figures.scores[score] += getattr(row, f"score_{score}")
        if row.reasons:
            figures.low_reasons.update({str(code): int(count) for code, count in row.reasons.items()})
        buckets.add_into(self.wait, row.wait_histogram)
        buckets.add_into(self.service, row.service_histogram)

    def add_delta(self, delta: Delta) -> None:
        figures = self.figures
        figures.issued += delta.issued
        figures.served += delta.served
        figures.no_show += delta.no_show
        figures.transferred += delta.transferred
        figures.ratings += delta.ratings
        figures.score_sum += delta.score_sum
        for score in range(1, 6):
            figures.scores[score] += delta.scores[score - 1]
        figures.low_reasons.update(delta.reasons)
        buckets.add_into(self.wait, delta.wait)
        buckets.add_into(self.service, delta.service)

    def finish(self) -> Figures:
        figures = self.figures
        figures.low_reasons = +figures.low_reasons  # drops codes whose count went back to 0
        figures.wait_p50_s = buckets.percentile(self.wait, 0.5)
        figures.wait_p90_s = buckets.percentile(self.wait, 0.9)
        figures.service_p50_s = buckets.percentile(self.service, 0.5)
        figures.service_p90_s = buckets.percentile(self.service, 0.9)
        return figures

    def absorb(self, other: "_Group") -> None:
        self.figures.add(other.figures)
        buckets.add_into(self.wait, other.wait)
        buckets.add_into(self.service, other.service)


def rollup_figures(session: Session, site_ids: Iterable[int], period: Period, group_by: str,
                   pending: Mapping[int, Mapping[Key, Delta]] | None = None) -> tuple[dict[Any, Figures], Figures]:
    """Figures per group (None for "no counter/clerk/field") and the totals, for the sites and local dates."""
    site_ids = sorted(set(site_ids))
    column = GROUP_COLUMNS[group_by]
    model = RollupSiteDay if group_by == "site" else RollupDay
    table = model.__table__
    statement = (select(table.c[column], *[table.c[name] for name in MEASURE_COLUMNS])
                 .where(table.c.site_id.in_(site_ids), period_filter(table, period.start, period.end)))
    groups: dict[Any, _Group] = {}
    for row in session.execute(statement):
        key = row[0] or None
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group()
        group.add_row(row)
    for site_id, deltas in (pending or {}).items():
        for (day, service_id, counter_id, clerk_id), delta in deltas.items():
            if not period.start <= day <= period.end or delta.empty():
                continue
            key = {"service": service_id, "counter": counter_id, "clerk": clerk_id, "site": site_id}[group_by] or None
            groups.setdefault(key, _Group()).add_delta(delta)
    totals = _Group()
    for group in groups.values():
        totals.absorb(group)
    figures = {key: group.finish() for key, group in groups.items() if group.figures.issued or group.figures.ratings
               or group.figures.transferred}
    return figures, totals.finish()


def site_day_rows(session: Session, start: dt.date, end: dt.date,
                  site_ids: Iterable[int] | None = None) -> dict[int, tuple[Figures, dict[int, int], dict[int, int]]]:
    """Per site over a period: figures and the merged waiting/service histograms (rankings read this)."""
    table = RollupSiteDay.__table__
    statement = select(table.c.site_id, *[table.c[name] for name in MEASURE_COLUMNS]).where(
        period_filter(table, start, end))
    if site_ids is not None:
        statement = statement.where(table.c.site_id.in_(sorted(set(site_ids))))
    groups: dict[int, _Group] = {}
    for row in session.execute(statement):
        group = groups.get(row[0])
        if group is None:
            group = groups[row[0]] = _Group()
        group.add_row(row)
    return {site_id: (group.finish(), group.wait, group.service) for site_id, group in groups.items()}


__all__ = ["rollup_figures", "site_day_rows", "NONE"]
