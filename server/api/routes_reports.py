"""Reports: GET /reports/summary (JSON, or CSV/XLSX exports of the same rows), the clerk ranking, and
GET /reports/comments (citizens' comments, also as CSV/XLSX)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from flask import Response, jsonify
from flask_babel import gettext
from pydantic import Field, model_validator
from sqlalchemy import select

from server import errors
from server.api import api
from server.api.schemas import Answer, IsoDate, Query, QueryId, QueryWhole
from server.api.validation import documented, query_args
from server.auth.access import allow, require_actor
from server.models import Site
from server.queue.actors import Actor
from server.queue.rules import business_date
from server.queue.site_settings import site_settings
from server.reports import export
from server.reports.comments import comments_report
from server.reports.rating_flags import rating_flags
from server.reports.periods import MAX_PERIOD_DAYS, Period
from server.reports.summary import summary_report
from server.runtime import db_session, runtime

READERS = ("supervisor", "admin", "inspector")


class PeriodQuery(Query):
    """`from`/`to` are local dates, both included (default: today), in that order; the answer as JSON, CSV
    or XLSX."""

    date_from: IsoDate | None = Field(default=None, alias="from")
    date_to: IsoDate | None = Field(default=None, alias="to")
    format: Literal["json", "csv", "xlsx"] = "json"
    site_id: QueryId | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "PeriodQuery":
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("from must not be after to")
        return self


class ReportQuery(PeriodQuery):
    """A period and one of the groupings."""

    group_by: Literal["service", "counter", "clerk", "site"] = "service"


class CommentsQuery(PeriodQuery):
    """A period, and at most `limit` comments (the newest)."""

    limit: QueryWhole | None = Field(default=None, gt=0, le=1000)


def _site_ids(actor: Actor, requested: int | None) -> list[int]:
    """Staff of a site see their site; staff without one (a central server) see one named site or all."""
    session = db_session()
    if actor.site_id is not None:
        if requested is not None and requested != actor.site_id:
            raise errors.Forbidden()
        return [actor.site_id]
    if requested is not None:
        if session.get(Site, requested) is None:
            raise errors.NotFound()
        return [requested]
    return list(session.scalars(select(Site.id).order_by(Site.id)))


def _period(query: PeriodQuery, site: Site | None) -> Period:
    today = business_date(runtime().clock.now(), site.timezone if site else runtime().settings.timezone)
    start = query.date_from or query.date_to or today
    end = query.date_to or query.date_from or today
    period = Period(start, end)
    if period.days > MAX_PERIOD_DAYS:
        raise errors.ValidationFailed(message=errors.N_("The period is too long: at most five years."),
                                      fields={"to": "at most five years after from"})
    return period


def _scope(query: PeriodQuery) -> tuple[list[int], Site | None, Period]:
    """The sites the reader may see, the first of them, and the period in its local dates."""
    site_ids = _site_ids(require_actor(), query.site_id)
    site = db_session().get(Site, site_ids[0]) if site_ids else None
    return site_ids, site, _period(query, site)


def _report(query: ReportQuery) -> tuple[dict[str, Any], Site | None]:
    site_ids, site, period = _scope(query)
    report = summary_report(db_session(), site_ids, period, query.group_by)
    for row in [*report["rows"], report["totals"]]:
        row["label"] = export.row_label(row, gettext)
    return report, site


def _reason_labels(site: Site | None, lang: str | None) -> dict[str, str]:
    return {reason.code: reason.label if (lang or "vi") == "vi" or not reason.label_en else reason.label_en
            for reason in site_settings(site.settings if site else None).rating.reasons}


def _download(body: bytes, stem: str, kind: str) -> Response:
    mimetype = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[kind]
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{stem}.{kind}"'})


def _made_at(site: Site | None) -> dt.datetime:
    return runtime().clock.now().astimezone(ZoneInfo(site.timezone if site else runtime().settings.timezone))


Q = TypeVar("Q", bound=PeriodQuery)


def _parse_query(model: type[Q]) -> Q:
    try:
        return query_args(model)
    except errors.ValidationFailed as error:
        if any("after" in str(problem) for problem in error.fields.values()):
            raise errors.ValidationFailed(message=errors.N_("The start date must not be after the end date."),
                                          fields=error.fields) from None
        raise errors.ValidationFailed(message=errors.N_("Check the dates (YYYY-MM-DD) and the grouping."),
                                      fields=error.fields) from None


@api.get("/reports/summary")
@allow(*READERS)
@documented("Figures per field, counter, clerk or site for a period of local dates (inclusive); "
            "format=csv or xlsx downloads the same rows", query=ReportQuery, tags=("reports",))
def report_summary():  # type: ignore[no-untyped-def]
    query = _parse_query(ReportQuery)
    report, site = _report(query)
    if query.format == "json":
        return jsonify(report)
    reasons = _reason_labels(site, query.lang)
    stem = f"bao-cao-{report['group_by']}-{report['from']}-{report['to']}"
    if query.format == "csv":
        return _download(export.to_csv(report, gettext, reasons), stem, "csv")
    title = gettext("Summary report %(start)s – %(end)s, %(site)s") % {
        "start": report["from"], "end": report["to"], "site": site.name if site else ""}
    site_ids, _site, period = _scope(query)
    comments = comments_report(db_session(), site_ids, period)
    body = export.to_xlsx(report, gettext, reasons, title, _made_at(site), comments=comments)
    return _download(body, stem, "xlsx")


@api.get("/reports/comments")
@allow(*READERS)
@documented("Citizens' comments of a period (local dates, inclusive), newest first, with the ticket number, "
            "field, counter, clerk, score and reasons; format=csv or xlsx downloads them", query=CommentsQuery,
            tags=("reports",))
def report_comments():  # type: ignore[no-untyped-def]
    query = _parse_query(CommentsQuery)
    site_ids, site, period = _scope(query)
    comments = comments_report(db_session(), site_ids, period, query.limit)
    reasons = _reason_labels(site, query.lang)
    if query.format == "json":
        for comment in comments:
            comment["reason_labels"] = [reasons.get(code, code) for code in comment["reasons"]]
        return jsonify({"from": period.start.isoformat(), "to": period.end.isoformat(), "comments": comments})
    stem = f"y-kien-cong-dan-{period.start.isoformat()}-{period.end.isoformat()}"
    if query.format == "csv":
        return _download(export.comments_to_csv(comments, gettext, reasons), stem, "csv")
    title = gettext("Citizens' comments %(start)s – %(end)s, %(site)s") % {
        "start": period.start.isoformat(), "end": period.end.isoformat(), "site": site.name if site else ""}
    return _download(export.comments_to_xlsx(comments, gettext, reasons, title, _made_at(site)), stem, "xlsx")


class RankingQuery(PeriodQuery):
    """The period of a ranking (from > to is refused with 422, like the summary's)."""


@api.get("/reports/ranking")
@allow(*READERS)
@documented("Clerks ranked by citizen satisfaction over a period", query=RankingQuery, tags=("reports",))
def report_ranking():  # type: ignore[no-untyped-def]
    ranking_query = _parse_query(RankingQuery)
    query = ReportQuery.model_validate({"from": ranking_query.date_from, "to": ranking_query.date_to,
                                        "group_by": "clerk", "site_id": ranking_query.site_id})
    report, _site = _report(query)
    return jsonify({"from": report["from"], "to": report["to"], "ranking": report["ranking"]})


class FlagsQuery(PeriodQuery):
    """A period of local dates (the tickets issued in it); JSON only."""

    format: Literal["json"] = "json"


class RatingFlagAnswer(Answer):
    rating_id: int
    ticket_id: int
    kind: Literal["burst", "too_soon", "counter_not_open", "clerk_above_median"]
    evidence: dict[str, Any]


@api.get("/ratings/flags")
@allow(*READERS)
@documented("Ratings that look gamed, each with its evidence (flags never change or hide a rating; "
            "docs/ratings.md); never readable by a clerk", query=FlagsQuery,
            responses={200: list[RatingFlagAnswer]}, tags=("ratings",))
def list_rating_flags():  # type: ignore[no-untyped-def]
    query = _parse_query(FlagsQuery)
    site_ids, _site, period = _scope(query)
    return jsonify(rating_flags(db_session(), site_ids, period).entries)


class WeeklyTrendAnswer(Answer):
    clerk_id: int
    min_ratings: int
    weeks: list[dict[str, Any]]


@api.get("/me/weekly-summary")
@allow("clerk", "supervisor", "admin")
@documented("The caller's own service over the last four complete weeks against the site's median clerk "
            "(satisfaction only from a minimum of ratings; never a single ticket, never today)",
            responses={200: WeeklyTrendAnswer}, tags=("counters",))
def my_weekly_summary():  # type: ignore[no-untyped-def]
    from server.reports.clerk_trend import weekly_trend

    actor = require_actor()
    site_ids = _site_ids(actor, None)
    site = db_session().get(Site, site_ids[0]) if site_ids else None
    if site is None or actor.id is None:
        raise errors.NotFound()
    return jsonify(weekly_trend(db_session(), site, actor.id, runtime().clock.now()))


class InspectionQuery(PeriodQuery):
    """A period of local dates; the answer is one JSON file."""

    format: Literal["json"] = "json"


@api.get("/inspection/export")
@allow("inspector", "admin")
@documented("One file for an inspection: the period's raw tickets, dossier visits, ratings, rating flags and "
            "leader's board with the events and their hash-chain proof (verify offline with "
            "docs/verify_inspection.py)", query=InspectionQuery, tags=("reports",))
def inspection_export_file():  # type: ignore[no-untyped-def]
    from server.reports.inspection import export_bytes, inspection_export

    query = _parse_query(InspectionQuery)
    site_ids, site, period = _scope(query)
    if site is None or len(site_ids) != 1:
        raise errors.ValidationFailed(fields={"site_id": errors.N_("name one site")})
    document = inspection_export(db_session(), site, period, runtime().clock.now())
    stem = f"thanh-tra-{site.code}-{period.start.isoformat()}-{period.end.isoformat()}"
    return Response(export_bytes(document), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{stem}.json"'})
