"""Province rankings and a site's summary, read from the roll-ups (never from raw events).

satisfaction_index (0–100) = share of ratings on the official "rất hài lòng" + "hài lòng" levels (scores 5
and 4, server/reports/summary.py OFFICIAL_LEVELS). A site with fewer ratings than the minimum sample has
`enough_ratings` false and ranks after every site that has enough, whatever its figures.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Literal

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.errors import N_
from server.reports.periods import Period
from server.reports.summary import TOTAL, Figures
from server.rollups.models import RollupCursor
from server.rollups.report import rollup_figures, site_day_rows

Metric = Literal["satisfaction_index", "wait_p90_s", "response_rate", "repeat_visit_rate"]
METRICS: tuple[str, ...] = ("satisfaction_index", "wait_p90_s", "response_rate", "repeat_visit_rate")
# Higher is better for these; lower for the others (a citizen made to come back again is a failure).
HIGHER_IS_BETTER = {"satisfaction_index": True, "response_rate": True, "wait_p90_s": False,
                    "repeat_visit_rate": False}


@dataclass(frozen=True)
class SiteRef:
    id: int
    code: str
    name: str


def satisfaction_index(figures: Figures) -> float | None:
    if not figures.ratings:
        return None
    return round(100 * (figures.scores[5] + figures.scores[4]) / figures.ratings, 1)


def satisfaction_index_unflagged(figures: Figures) -> float | None:
    """The index over the ratings no flag was raised on (docs/ratings.md): what a leader can defend."""
    kept = figures.ratings - sum(figures.flagged_scores.values())
    if kept <= 0:
        return None
    satisfied = figures.scores[5] + figures.scores[4] - figures.flagged_scores[5] - figures.flagged_scores[4]
    return round(100 * satisfied / kept, 1)


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def rank_sites(session: Session, start: dt.date, end: dt.date, metric: str = "satisfaction_index",
               min_ratings: int = 30, sites: Iterable[SiteRef] | None = None) -> list[dict[str, Any]]:
    """One row per site (every site in `sites`, even one without figures; without `sites`, those that have
    roll-ups), ranked by `metric`: sites with enough ratings first, best first; ties by more ratings, then
    code. A site without a value for the metric ranks after those with one in its part."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}")
    known = {site.id: site for site in sites} if sites is not None else None
    per_site = site_day_rows(session, start, end, list(known) if known is not None else None)
    ids = list(known) if known is not None else sorted(per_site)
    rows = []
    for site_id in ids:
        figures, wait, _service = per_site.get(site_id, (Figures(), {}, {}))
        site = known.get(site_id) if known is not None else None
        rows.append({
            "site_id": site_id,
            "code": site.code if site else str(site_id),
            "name": site.name if site else str(site_id),
            "issued": figures.issued,
            "served": figures.served,
            "no_show": figures.no_show,
            "ratings": figures.ratings,
            "response_rate": round(figures.ratings / figures.served, 4) if figures.served else None,
            "satisfaction_index": satisfaction_index(figures),
            "wait_p50_s": _seconds(figures.wait_p50_s),
            "wait_p90_s": _seconds(figures.wait_p90_s),
            "service_p50_s": _seconds(figures.service_p50_s),
            "enough_ratings": figures.ratings >= min_ratings,
            # Indicator 3 (docs/dossiers.md) and the flags (docs/ratings.md), added by issue 14.
            "visits_known": figures.visits_known,
            "repeat_visits": figures.repeat_visits,
            "repeat_visit_rate": (round(figures.repeat_visits / figures.visits_known, 4)
                                  if figures.visits_known else None),
            "returned": figures.returned,
            "flagged_ratings": sum(figures.flagged_scores.values()),
            "satisfaction_index_unflagged": satisfaction_index_unflagged(figures),
        })
    better = HIGHER_IS_BETTER[metric]

    def order(row: dict[str, Any]) -> tuple[Any, ...]:
        value = row[metric]
        return (not row["enough_ratings"], value is None, -(value or 0) if better else (value or 0),
                -row["ratings"], row["code"])

    rows.sort(key=order)
    return [{"rank": index, **row} for index, row in enumerate(rows, start=1)]


def site_labels(session: Session, site_id: int) -> dict[str, Any]:
    """Counter numbers and clerk names the site's events carried (the central has no copy of its tables)."""
    labels = session.scalar(select(RollupCursor.labels).where(RollupCursor.site_id == site_id))
    return dict(labels or {})


def site_summary(session: Session, site_id: int, period: Period, group_by: str,
                 translate: Callable[[str], str] = lambda text: text,
                 field_names: dict[str, str] | None = None) -> dict[str, Any]:
    """The site's rows for a period in the shape of its own GET /reports/summary, from the roll-ups;
    `field_names` (the site's own field id → name, when the caller knows them) label the fields."""
    figures, totals = rollup_figures(session, [site_id], period, group_by)
    labels = {**site_labels(session, site_id), "services": field_names or {}}
    rows = []
    for key in sorted(figures, key=lambda k: (k is None, k or 0)):
        row: dict[str, Any] = {"group_by": group_by, "key": key, "label": _label(group_by, key, labels, translate)}
        if group_by == "service":
            row["service_id"] = key
        elif group_by == "counter":
            row.update(counter_id=key, counter_number=(labels.get("counters") or {}).get(str(key)))
        elif group_by == "clerk":
            row.update(clerk_id=key, clerk_name=(labels.get("clerks") or {}).get(str(key)))
        else:
            row["site_id"] = key
        rows.append({**row, **figures[key].as_row()})
    report: dict[str, Any] = {
        "from": period.start.isoformat(), "to": period.end.isoformat(), "days": period.days, "group_by": group_by,
        "site_ids": [site_id], "rows": rows,
        "totals": {"group_by": group_by, "key": TOTAL, "label": translate(N_("Total")), **totals.as_row()},
    }
    return report


def _label(group_by: str, key: Any, labels: dict[str, Any], translate: Callable[[str], str]) -> str:
    if key is None:
        return translate({"counter": N_("Not called to a counter"), "clerk": N_("No clerk (not called)"),
                          "service": N_("Unknown field"), "site": N_("Unknown site")}[group_by])
    if group_by == "counter":
        number = (labels.get("counters") or {}).get(str(key), key)
        return translate(N_("Counter %(number)s")) % {"number": number}
    if group_by == "clerk":
        return str((labels.get("clerks") or {}).get(str(key)) or translate(N_("Clerk %(id)s")) % {"id": key})
    if group_by == "service":
        return str((labels.get("services") or {}).get(str(key)) or translate(N_("Field %(id)s")) % {"id": key})
    return str(key)


# --------------------------------------------------------------------------- exports

RANKING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", N_("Rank")), ("code", N_("Code")), ("name", N_("Centre")), ("issued", N_("Tickets issued")),
    ("served", N_("Served")), ("no_show", N_("Absent (no-show)")), ("ratings", N_("Ratings")),
    ("response_rate", N_("Response rate (%)")), ("satisfaction_index", N_("Satisfaction index (0–100)")),
    ("wait_p50_s", N_("Median wait (s)")), ("wait_p90_s", N_("90th percentile wait (s)")),
    ("service_p50_s", N_("Median service time (s)")), ("enough_ratings", N_("Enough ratings")),
    ("repeat_visit_rate", N_("Repeat visit rate (%)")), ("visits_known", N_("Visits with a known count")),
    ("repeat_visits", N_("Repeat visits")), ("flagged_ratings", N_("Flagged ratings")),
    ("satisfaction_index_unflagged", N_("Satisfaction index without flagged ratings (0–100)")),
)


def ranking_table(rows: list[dict[str, Any]], translate: Callable[[str], str]) -> list[list[Any]]:
    lines: list[list[Any]] = [[translate(title) for _, title in RANKING_COLUMNS]]
    for row in rows:
        line = []
        for key, _title in RANKING_COLUMNS:
            value = row[key]
            if key in ("response_rate", "repeat_visit_rate") and value is not None:
                value = round(value * 100, 1)
            elif key == "enough_ratings":
                value = translate(N_("yes")) if value else translate(N_("no"))
            line.append(value)
        lines.append(line)
    return lines


def ranking_csv(rows: list[dict[str, Any]], translate: Callable[[str], str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in ranking_table(rows, translate):
        writer.writerow(["" if value is None else value for value in line])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def ranking_xlsx(rows: list[dict[str, Any]], translate: Callable[[str], str], title: str,
                 about: list[tuple[str, Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = translate(N_("Ranking"))[:31]
    for line in ranking_table(rows, translate):
        sheet.append(line)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DCE6F2")
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["C"].width = 40
    info = workbook.create_sheet(translate(N_("About"))[:31])
    info.append([translate(N_("Report")), title])
    for label, value in about:
        info.append([translate(label), value])
    info.column_dimensions["A"].width = 26
    info.column_dimensions["B"].width = 60
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
