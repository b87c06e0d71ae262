"""Summary figures read from the roll-ups (plus, in memory, the site's events not yet rolled up): the
same rows as server/reports/summary.py computes from the tickets, with percentiles read from the
histograms (within the bound of server/rollups/buckets.py)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping

from sqlalchemy import Integer, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from server.reports.periods import Period
from server.reports.summary import Figures
from server.rollups import buckets
from server.rollups.apply import Delta, Key
from server.rollups.models import DAY, MONTH, RollupDay, RollupSiteDay

PLAIN_COUNTS = ("issued", "served", "no_show", "transferred", "ratings", "score_sum", "visits_known", "repeat_visits",
                "dossier_visits", "returned", "guidance_breaches")
COUNT_COLUMNS = (*PLAIN_COUNTS, *(f"score_{score}" for score in range(1, 6)),
                 *(f"flagged_{score}" for score in range(1, 6)))
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


JSON_COLUMNS = ("reasons", "wait_histogram", "service_histogram")


def _aggregate(session: Session, table: Any, group_column: Any, condition: Any) -> dict[Any, "_Group"]:
    """Sums per group done by the database: the counts with SUM, the reason tallies and histograms by
    expanding each JSON object (json_each on SQLite, json_each_text on PostgreSQL) and summing per key, so
    Python only sees one row per group and bucket, however many days the period has."""
    groups: dict[Any, _Group] = {}
    counts = select(group_column, *[func.sum(table.c[name]) for name in COUNT_COLUMNS]).where(condition) \
        .group_by(group_column)
    for row in session.execute(counts):
        group = groups[row[0]] = _Group()
        group.add_counts([int(value or 0) for value in row[1:]])
    postgres = session.get_bind().dialect.name == "postgresql"
    for name in JSON_COLUMNS:
        each = (func.json_each_text if postgres else func.json_each)(table.c[name]).table_valued("key", "value")
        value = cast(each.c.value, Integer) if postgres else each.c.value
        statement = (select(group_column, each.c.key, func.sum(value)).select_from(table).join(each, and_(True))
                     .where(condition).group_by(group_column, each.c.key))
        for key, item, total in session.execute(statement):
            group = groups.setdefault(key, _Group())
            if name == "reasons":
                group.figures.low_reasons[str(item)] += int(total)
            else:
                target = group.wait if name == "wait_histogram" else group.service
                target[int(item)] = target.get(int(item), 0) + int(total)
    return groups


class _Group:
    __slots__ = ("figures", "wait", "service")

    def __init__(self) -> None:
        self.figures = Figures()
        self.wait: dict[int, int] = {}
        self.service: dict[int, int] = {}

    def add_counts(self, values: list[int]) -> None:
        """Sums in the order of COUNT_COLUMNS."""
        figures = self.figures
        for name, value in zip(PLAIN_COUNTS, values):
            setattr(figures, name, getattr(figures, name) + value)
        offset = len(PLAIN_COUNTS)
        for score in range(1, 6):
            figures.scores[score] += values[offset + score - 1]
            figures.flagged_scores[score] += values[offset + 5 + score - 1]

    def add_delta(self, delta: Delta) -> None:
        figures = self.figures
        for name in PLAIN_COUNTS:
            setattr(figures, name, getattr(figures, name) + getattr(delta, name))
        for score in range(1, 6):
            figures.scores[score] += delta.scores[score - 1]
            figures.flagged_scores[score] += delta.flagged[score - 1]
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
    table = RollupDay.__table__
    condition = and_(table.c.site_id.in_(site_ids), period_filter(table, period.start, period.end))
    groups = {key or None: group for key, group in _aggregate(session, table, table.c[column], condition).items()}
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
    condition = period_filter(table, start, end)
    if site_ids is not None:
        condition = and_(condition, table.c.site_id.in_(sorted(set(site_ids))))
    groups: dict[int, _Group] = {}
    counts = select(table.c.site_id, *[func.sum(table.c[name]) for name in COUNT_COLUMNS]).where(condition) \
        .group_by(table.c.site_id)
    for row in session.execute(counts):
        groups.setdefault(row[0], _Group()).add_counts([int(value or 0) for value in row[1:]])
    waits: dict[int, list[int]] = {}
    services: dict[int, list[int]] = {}
    statement = select(table.c.site_id, table.c.reasons, table.c.wait_histogram, table.c.service_histogram).where(condition)
    for site_id, reasons, wait, service in session.execute(statement):
        if reasons:
            groups[site_id].figures.low_reasons.update(reasons)
        buckets.dense_add(waits.setdefault(site_id, []), wait)
        buckets.dense_add(services.setdefault(site_id, []), service)
    result = {}
    for site_id, group in groups.items():
        group.wait = buckets.sparse_from(waits.get(site_id))
        group.service = buckets.sparse_from(services.get(site_id))
        result[site_id] = (group.finish(), group.wait, group.service)
    return result
