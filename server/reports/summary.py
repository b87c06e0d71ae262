"""The summary report: one row of figures per field, counter, clerk or site for a period of local dates.

Counting is done by the database (GROUP BY); percentiles too on PostgreSQL (percentile_cont). SQLite has
no percentile function, so it returns only the group key and the duration, sorted, and the percentile is
interpolated here exactly as percentile_cont does. Definitions of every figure: docs/reports.md.
"""
from __future__ import annotations

import heapq
import math
from collections import Counter as Tally
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Iterable, Literal, Sequence

from sqlalchemy import Float, String, case, cast, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from server.models import (Counter, DossierOutcome, DossierVisit, Event, Rating, Service, Site, Staff, Ticket,
                           TicketStatus)
from server.queue import events as ev
from server.reports.periods import Period

GroupBy = Literal["service", "counter", "clerk", "site"]
GROUPS: tuple[str, ...] = ("service", "counter", "clerk", "site")

# The official 3-level scale from the stored 5-level score (docs/reports.md): 5 is "Rất hài lòng",
# 4 "Hài lòng", and 3 ("Bình thường") or lower "Không hài lòng" — a neutral verdict is not counted as
# satisfied, in line with terminals asking for reasons at 3 or below.
OFFICIAL_LEVELS: dict[int, str] = {5: "rat_hai_long", 4: "hai_long", 3: "khong_hai_long", 2: "khong_hai_long",
                                   1: "khong_hai_long"}
OFFICIAL_KEYS = ("rat_hai_long", "hai_long", "khong_hai_long")

TOTAL = "total"


def group_column(group_by: str) -> Any:
    columns = {"service": Ticket.service_id, "counter": Ticket.counter_id, "clerk": Ticket.clerk_id,
               "site": Ticket.site_id}
    return columns[group_by]


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between the closest ranks: the same as SQL's percentile_cont."""
    if not sorted_values:
        return None
    position = fraction * (len(sorted_values) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    return sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * (position - lower)


@dataclass
class Figures:
    """What is known about one group (or the whole period, for the totals row)."""

    issued: int = 0
    served: int = 0
    no_show: int = 0
    transferred: int = 0
    ratings: int = 0
    score_sum: int = 0
    scores: dict[int, int] = field(default_factory=lambda: {score: 0 for score in range(1, 6)})
    low_reasons: Tally[str] = field(default_factory=Tally)
    wait_p50_s: float | None = None
    wait_p90_s: float | None = None
    service_p50_s: float | None = None
    service_p90_s: float | None = None
    # Dossiers and repeat visits (docs/dossiers.md): visits whose count is known (a dossier code, or the
    # kiosk's "đến lần thứ mấy" answer), how many of them were repeats, dossier outcomes.
    visits_known: int = 0
    repeat_visits: int = 0
    dossier_visits: int = 0
    returned: int = 0
    guidance_breaches: int = 0
    # Ratings carrying a flag (server/reports/rating_flags.py), by score: shown beside the figures, never
    # taken out of them; the *_unflagged figures leave them out.
    flagged_scores: dict[int, int] = field(default_factory=lambda: {score: 0 for score in range(1, 6)})

    def add(self, other: "Figures") -> None:
        self.issued += other.issued
        self.served += other.served
        self.no_show += other.no_show
        self.transferred += other.transferred
        self.ratings += other.ratings
        self.score_sum += other.score_sum
        for score, count in other.scores.items():
            self.scores[score] += count
        self.low_reasons.update(other.low_reasons)
        self.visits_known += other.visits_known
        self.repeat_visits += other.repeat_visits
        self.dossier_visits += other.dossier_visits
        self.returned += other.returned
        self.guidance_breaches += other.guidance_breaches
        for score, count in other.flagged_scores.items():
            self.flagged_scores[score] += count

    def as_row(self) -> dict[str, Any]:
        official = {key: 0 for key in OFFICIAL_KEYS}
        for score, count in self.scores.items():
            official[OFFICIAL_LEVELS[score]] += count
        satisfied = official["rat_hai_long"] + official["hai_long"]
        return {
            "issued": self.issued,
            "served": self.served,
            "no_show": self.no_show,
            "transferred": self.transferred,
            "wait_p50_s": _seconds(self.wait_p50_s),
            "wait_p90_s": _seconds(self.wait_p90_s),
            "service_p50_s": _seconds(self.service_p50_s),
            "service_p90_s": _seconds(self.service_p90_s),
            "ratings": self.ratings,
            "response_rate": round(self.ratings / self.served, 4) if self.served else None,
            "score_avg": round(self.score_sum / self.ratings, 2) if self.ratings else None,
            "scores": {str(score): self.scores[score] for score in range(1, 6)},
            "official": official,
            "satisfaction_rate": round(satisfied / self.ratings, 4) if self.ratings else None,
            "low_reasons": dict(sorted(self.low_reasons.items(), key=lambda item: (-item[1], item[0]))),
            "visits_known": self.visits_known,
            "repeat_visits": self.repeat_visits,
            "repeat_visit_rate": round(self.repeat_visits / self.visits_known, 4) if self.visits_known else None,
            "dossier_visits": self.dossier_visits,
            "returned": self.returned,
            "returned_rate": round(self.returned / self.dossier_visits, 4) if self.dossier_visits else None,
            "guidance_breaches": self.guidance_breaches,
            **self._unflagged(),
        }

    def _unflagged(self) -> dict[str, Any]:
        flagged = sum(self.flagged_scores.values())
        kept = {score: self.scores[score] - self.flagged_scores[score] for score in range(1, 6)}
        count = sum(kept.values())
        satisfied = kept[5] + kept[4]
        return {
            "flagged_ratings": flagged,
            "ratings_unflagged": count,
            "score_avg_unflagged": round(sum(score * n for score, n in kept.items()) / count, 2) if count else None,
            "satisfaction_rate_unflagged": round(satisfied / count, 4) if count else None,
        }


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


@dataclass(frozen=True)
class ReportScope:
    site_ids: tuple[int, ...]
    period: Period
    group_by: str


# A period of more days than this reads the daily roll-ups (server/rollups) when the site has them; a
# single day reads its tickets, with exact percentiles.
ROLLUP_MIN_DAYS = 2


def summary_report(session: Session, site_ids: Iterable[int], period: Period, group_by: str, *,
                   use_rollups: bool | None = None) -> dict[str, Any]:
    """Rows (one per group, with label fields), the totals row and, when grouped by clerk, the ranking.
    `use_rollups`: None chooses (roll-ups for periods of ROLLUP_MIN_DAYS or more when every site has them)."""
    if group_by not in GROUPS:
        raise ValueError(f"unknown grouping {group_by!r}")
    scope = ReportScope(tuple(sorted(set(site_ids))), period, group_by)
    from_rollups = _from_rollups(session, scope) if use_rollups is not False and (
        use_rollups or period.days >= ROLLUP_MIN_DAYS) else None
    if from_rollups is not None:
        figures, totals = from_rollups
        _period_flags(session, scope, figures, totals)
    else:
        figures = _aggregate(session, scope)
        totals = Figures()
        for group in figures.values():
            totals.add(group)
        _percentiles(session, scope, figures, totals)
    labels = _labels(session, scope, list(figures))
    rows = []
    for key in sorted(figures, key=lambda k: labels.get(k, {}).get("_order", (1, 0, ""))):
        label = {name: value for name, value in labels.get(key, {}).items() if name != "_order"}
        rows.append({"group_by": group_by, "key": key, **label, **figures[key].as_row()})
    report: dict[str, Any] = {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "days": period.days,
        "group_by": group_by,
        "site_ids": list(scope.site_ids),
        "rows": rows,
        "totals": {"group_by": group_by, "key": TOTAL, "label": None, **totals.as_row()},
    }
    if group_by == "clerk":
        report["ranking"] = clerk_ranking(rows)
    return report


def _from_rollups(session: Session, scope: ReportScope) -> tuple[dict[Any, Figures], Figures] | None:
    """The figures from the roll-ups and the events not yet rolled up; None when a site has none yet."""
    from server.rollups.report import rollup_figures
    from server.rollups.site import pending_deltas

    pending = {}
    for site_id, zone in session.execute(select(Site.id, Site.timezone).where(Site.id.in_(scope.site_ids))):
        deltas = pending_deltas(session, site_id, zone)
        if deltas is None:
            return None
        pending[site_id] = deltas
    if set(pending) != set(scope.site_ids):
        return None
    return rollup_figures(session, scope.site_ids, scope.period, scope.group_by, pending)


def clerk_ranking(clerk_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Clerks with ratings first, by share of satisfied citizens, then average score, then ratings and
    served; clerks nobody rated follow by tickets served. Rows without a clerk are left out."""
    rated = [row for row in clerk_rows if row["key"] is not None and row["ratings"]]
    unrated = [row for row in clerk_rows if row["key"] is not None and not row["ratings"]]
    rated.sort(key=lambda r: (-r["satisfaction_rate"], -r["score_avg"], -r["ratings"], -r["served"], r["key"]))
    unrated.sort(key=lambda r: (-r["served"], r["key"]))
    return [
        {"rank": index, "clerk_id": row["key"], "clerk_name": row.get("clerk_name"), "username": row.get("username"),
         "served": row["served"], "ratings": row["ratings"], "score_avg": row["score_avg"],
         "satisfaction_rate": row["satisfaction_rate"], "official": row["official"],
         "wait_p50_s": row["wait_p50_s"], "service_p50_s": row["service_p50_s"]}
        for index, row in enumerate(rated + unrated, start=1)
    ]


# --------------------------------------------------------------------------- the queries

def _ticket_filter(scope: ReportScope) -> list[ColumnElement[bool]]:
    return [Ticket.site_id.in_(scope.site_ids), Ticket.business_date.between(scope.period.start, scope.period.end)]


def _aggregate(session: Session, scope: ReportScope) -> dict[Any, Figures]:
    """Counts and rating mix per group in one GROUP BY over the period's tickets (ratings joined)."""
    key = group_column(scope.group_by)
    statement = (
        select(
            key,
            func.count(Ticket.id),
            func.count(case((Ticket.status == TicketStatus.DONE, 1))),
            func.count(case((Ticket.status == TicketStatus.NO_SHOW, 1))),
            func.count(Rating.id),
            func.coalesce(func.sum(Rating.score), 0),
            *[func.count(case((Rating.score == score, 1))) for score in range(1, 6)],
        )
        .select_from(Ticket)
        .outerjoin(Rating, Rating.ticket_id == Ticket.id)
        .where(*_ticket_filter(scope))
        .group_by(key)
    )
    figures: dict[Any, Figures] = {}
    for row in session.execute(statement):
        group = Figures(issued=row[1], served=row[2], no_show=row[3], ratings=row[4], score_sum=int(row[5]))
        group.scores = {score: int(row[5 + score]) for score in range(1, 6)}
        figures[row[0]] = group
    for group_key, reasons in _rating_reasons(session, scope, key):
        figures.setdefault(group_key, Figures()).low_reasons.update(reasons)
    for group_key, count in _transfers(session, scope).items():
        figures.setdefault(group_key, Figures()).transferred += count
    _visits(session, scope, key, figures)
    _flagged(session, scope, key, figures)
    return figures


def _period_flags(session: Session, scope: ReportScope, figures: dict[Any, Figures], totals: Figures) -> None:
    """The roll-ups carry the repeat visits and the flags each day's review sent to the log (what the
    province reads). The site's own report computes the period's flags afresh instead, with today's
    thresholds (docs/ratings.md: a changed threshold applies to past periods too, and a clerk far above the
    others is judged over the whole period)."""
    key = group_column(scope.group_by)
    extra: dict[Any, Figures] = {}
    _flagged(session, scope, key, extra)
    for target in (*figures.values(), totals):
        target.flagged_scores = {score: 0 for score in range(1, 6)}
    for group_key, found in extra.items():
        for target in (figures.setdefault(group_key, Figures()), totals):
            for score, count in found.flagged_scores.items():
                target.flagged_scores[score] += count


def _flagged(session: Session, scope: ReportScope, key: Any, figures: dict[Any, Figures]) -> None:
    """The scores of the period's flagged ratings per group (each rating once, whatever its flags)."""
    from server.reports.rating_flags import rating_flags

    flagged = sorted(rating_flags(session, scope.site_ids, scope.period).flagged_ids)
    for start in range(0, len(flagged), 500):
        statement = (select(key, Rating.score).select_from(Ticket).join(Rating, Rating.ticket_id == Ticket.id)
                     .where(Rating.id.in_(flagged[start:start + 500])))
        for group_key, score in session.execute(statement):
            figures.setdefault(group_key, Figures()).flagged_scores[int(score)] += 1


def _visits(session: Session, scope: ReportScope, key: Any, figures: dict[Any, Figures]) -> None:
    """Repeat visits and dossier outcomes per group, from the tickets that have a dossier or a kiosk
    answer. A visit is a repeat when its dossier code was seen within the window, or the citizen said at
    the kiosk that this is the 2nd or a later visit."""
    repeat = (DossierVisit.repeat.is_(True)) | (Ticket.declared_visit >= 2)
    statement = (
        select(
            key,
            func.count(Ticket.id),
            func.count(case((repeat, 1))),
            func.count(DossierVisit.id),
            func.count(case((DossierVisit.outcome == DossierOutcome.RETURNED, 1))),
            func.count(case((DossierVisit.breach.is_(True), 1))),
        )
        .select_from(Ticket)
        .outerjoin(DossierVisit, DossierVisit.ticket_id == Ticket.id)
        .where(*_ticket_filter(scope), DossierVisit.id.is_not(None) | Ticket.declared_visit.is_not(None))
        .group_by(key)
    )
    for group_key, known, repeats, dossiers, returned, breaches in session.execute(statement):
        group = figures.setdefault(group_key, Figures())
        group.visits_known, group.repeat_visits = int(known), int(repeats)
        group.dossier_visits, group.returned, group.guidance_breaches = int(dossiers), int(returned), int(breaches)


def _rating_reasons(session: Session, scope: ReportScope, key: Any) -> Iterable[tuple[Any, list[str]]]:
    """Only ratings that gave reasons (usually the low ones) are read; counting a JSON list is done here."""
    statement = (
        select(key, Rating.reasons)
        .select_from(Ticket)
        .join(Rating, Rating.ticket_id == Ticket.id)
        .where(*_ticket_filter(scope), cast(Rating.reasons, String) != "[]")
    )
    for group_key, reasons in session.execute(statement):
        yield group_key, [str(code) for code in (reasons or [])]


def _transfers(session: Session, scope: ReportScope) -> Tally[Any]:
    """ticket_transferred events in the period, by the counter/clerk/field the ticket left, or site."""
    tally: Tally[Any] = Tally()
    zones: dict[str, list[int]] = {}
    for site_id, zone in session.execute(select(Site.id, Site.timezone).where(Site.id.in_(scope.site_ids))):
        zones.setdefault(zone, []).append(site_id)
    for zone, site_ids in zones.items():
        start, end = scope.period.utc_bounds(zone)
        rows = session.execute(
            select(Event.site_id, Event.counter_id, Event.actor, Event.payload).where(
                Event.site_id.in_(site_ids), Event.type == ev.TICKET_TRANSFERRED,
                Event.created_at >= start, Event.created_at < end,
            )
        )
        for site_id, counter_id, actor, payload in rows:
            payload = payload or {}
            if scope.group_by == "counter":
                tally[counter_id] += 1
            elif scope.group_by == "service":
                tally[payload.get("from_service_id")] += 1
            elif scope.group_by == "clerk":
                tally[payload.get("from_clerk_id") or _clerk_of_actor(actor)] += 1
            else:
                tally[site_id] += 1
    return tally


def _clerk_of_actor(actor: str) -> int | None:
    """Older transfer events name no clerk; a clerk's own action says who in the actor label."""
    kind, _, rest = (actor or "").partition(":")
    role, _, identifier = rest.partition(":")
    return int(identifier) if kind == "staff" and role == "clerk" and identifier.isdigit() else None


def _seconds_between(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _durations(session: Session) -> dict[str, tuple[ColumnElement[float], ColumnElement[bool]]]:
    """Waiting time = first call − issue; service time = finish − start (start falls back to the call)."""
    return {
        "wait": (_seconds_between(session, Ticket.first_called_at, Ticket.issued_at),
                 Ticket.first_called_at.is_not(None)),
        "service": (_seconds_between(session, Ticket.finished_at, func.coalesce(Ticket.started_at, Ticket.called_at)),
                    (Ticket.status == TicketStatus.DONE) & Ticket.finished_at.is_not(None)),
    }


def _percentiles(session: Session, scope: ReportScope, figures: dict[Any, Figures], totals: Figures) -> None:
    key = group_column(scope.group_by)
    postgres = session.get_bind().dialect.name == "postgresql"
    for name, (duration, present) in _durations(session).items():
        if postgres:
            statement = (
                select(key, func.grouping(key),
                       func.percentile_cont(0.5).within_group(duration),
                       func.percentile_cont(0.9).within_group(duration))
                .where(*_ticket_filter(scope), present)
                .group_by(func.rollup(key))
            )
            for group_key, is_total, p50, p90 in session.execute(statement):
                target = totals if is_total else figures.setdefault(group_key, Figures())
                setattr(target, f"{name}_p50_s", p50)
                setattr(target, f"{name}_p90_s", p90)
            continue
        statement = select(key, duration).where(*_ticket_filter(scope), present).order_by(key, duration)
        per_group: list[list[float]] = []
        for group_key, rows in groupby(session.execute(statement), key=lambda row: row[0]):
            values = [float(row[1]) for row in rows]
            per_group.append(values)
            target = figures.setdefault(group_key, Figures())
            setattr(target, f"{name}_p50_s", percentile(values, 0.5))
            setattr(target, f"{name}_p90_s", percentile(values, 0.9))
        everything = list(heapq.merge(*per_group))
        setattr(totals, f"{name}_p50_s", percentile(everything, 0.5))
        setattr(totals, f"{name}_p90_s", percentile(everything, 0.9))


def _labels(session: Session, scope: ReportScope, keys: list[Any]) -> dict[Any, dict[str, Any]]:
    """Names for each group key, and the order rows appear in (unassigned rows last)."""
    ids = [key for key in keys if key is not None]
    labels: dict[Any, dict[str, Any]] = {None: {"label": None, "_order": (2, 0, "")}}
    if scope.group_by == "service":
        for service in session.scalars(select(Service).where(Service.id.in_(ids))):
            labels[service.id] = {"label": service.name, "service_id": service.id, "service_code": service.code,
                                  "service_name": service.name, "service_name_en": service.name_en,
                                  "_order": (0, service.position, str(service.id))}
    elif scope.group_by == "counter":
        for counter in session.scalars(select(Counter).where(Counter.id.in_(ids))):
            labels[counter.id] = {"label": counter.name or str(counter.number), "counter_id": counter.id,
                                  "counter_number": counter.number, "counter_name": counter.name,
                                  "_order": (0, counter.number, "")}
        labels[None].update(counter_id=None, counter_number=None)
    elif scope.group_by == "clerk":
        for staff in session.scalars(select(Staff).where(Staff.id.in_(ids))):
            labels[staff.id] = {"label": staff.full_name or staff.username, "clerk_id": staff.id,
                                "clerk_name": staff.full_name or staff.username, "username": staff.username,
                                "_order": (0, 0, _sort_name(staff.full_name or staff.username))}
        labels[None].update(clerk_id=None, clerk_name=None)
    else:
        for site in session.scalars(select(Site).where(Site.id.in_(ids))):
            labels[site.id] = {"label": site.name, "site_id": site.id, "site_name": site.name,
                               "_order": (0, site.id, "")}
    return labels


def _sort_name(full_name: str) -> str:
    """Vietnamese names sort by the given name (the last word), then the whole name."""
    words = full_name.split()
    return f"{words[-1] if words else ''} {full_name}".lower()
