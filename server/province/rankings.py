"""Province reports on the central server: rankings and a site's reports.

`blueprint()` serves (central role) the pages /province/rankings and /province/sites/<id> and the API
/api/v1/province/rankings and /api/v1/province/sites/{id}/summary. Every figure comes from the roll-ups
(server/rollups); the sites come from the central's own `province_sites` table.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Callable, Literal
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_babel import gettext
from pydantic import Field, model_validator
from sqlalchemy import text
from sqlalchemy.orm import Session

from server import errors
from server.api.schemas import Answer, IsoDate, Query
from server.api.validation import documented, query_args
from server.auth.access import allow, public, require_actor
from server.errors import N_
from server.reports import export
from server.reports.periods import MAX_PERIOD_DAYS, Period
from server.rollups.rankings import SiteRef, rank_sites, ranking_csv, ranking_xlsx, site_summary
from server.queue.rules import business_date
from server.runtime import db_session, runtime

READERS = ("leader", "inspector", "admin")
METRIC_LABELS = {
    "satisfaction_index": N_("Satisfaction index"),
    "wait_p90_s": N_("Wait, 90th percentile"),
    "response_rate": N_("Response rate"),
    "repeat_visit_rate": N_("Repeat visit rate"),
}
GROUP_LABELS = {"service": N_("Field"), "counter": N_("Counter"), "clerk": N_("Clerk")}


# --------------------------------------------------------------------------- what the central knows

SITES_TABLE = "province_sites"


def province_sites(session: Session) -> list[SiteRef]:
    """Every site registered at the central: `id`, `code` and `name` of the `province_sites` table, by code."""
    rows = session.execute(text(f"SELECT id, code, name FROM {SITES_TABLE} ORDER BY code"))
    return [SiteRef(int(row.id), str(row.code), str(row.name)) for row in rows]


def open_red_items(session: Session, site_id: int, today: dt.date) -> list[dict[str, Any]]:
    """The site's open red items as the central's live state folded them (server/province/live.py), worst
    first."""
    from server.province.live import red_item_rows
    from server.province.models import SiteLiveState

    state = session.get(SiteLiveState, site_id)
    return red_item_rows(state.red_items or {}, today) if state is not None else []
def site_field_names(session: Session, site_id: int) -> dict[str, str]:
    """The site's own field ids → names, from its last `site_status` (its active fields): the roll-ups
    carry only the ids."""
    raw = session.execute(text("SELECT fields FROM province_live_states WHERE site_id = :site_id"),
                          {"site_id": site_id}).scalar()
    fields = json.loads(raw) if isinstance(raw, str) else raw or []
    return {str(field["id"]): str(field["name"]) for field in fields if isinstance(field, dict) and "id" in field}


def site_own_name(session: Session, site_id: int) -> str:
    """The name the site gives itself (its last `site_status`), shown beside the registered one."""
    return str(session.execute(text("SELECT site_name FROM province_live_states WHERE site_id = :site_id"),
                               {"site_id": site_id}).scalar() or "")


# --------------------------------------------------------------------------- queries and answers

class ProvincePeriodQuery(Query):
    """`from`/`to`: local dates, both included (default: the current month up to today)."""

    date_from: IsoDate | None = Field(default=None, alias="from")
    date_to: IsoDate | None = Field(default=None, alias="to")
    format: Literal["json", "csv", "xlsx"] = "json"

    @model_validator(mode="after")
    def _ordered(self) -> "ProvincePeriodQuery":
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("from must not be after to")
        return self


class RankingQuery(ProvincePeriodQuery):
    """A period, the metric to rank by and the minimum number of ratings for a full rank."""

    metric: Literal["satisfaction_index", "wait_p90_s", "response_rate", "repeat_visit_rate"] = "satisfaction_index"
    min_ratings: int | None = Field(default=None, ge=0, le=100_000)


class SiteSummaryQuery(ProvincePeriodQuery):
    group_by: Literal["service", "counter", "clerk", "site"] = "service"


def _today() -> dt.date:
    return business_date(runtime().clock.now(), runtime().settings.timezone)


def _period(query: ProvincePeriodQuery) -> Period:
    today = _today()
    if query.date_from is None and query.date_to is None:
        return Period(today.replace(day=1), today)
    start = query.date_from or query.date_to
    end = query.date_to or query.date_from
    assert start is not None and end is not None
    period = Period(start, end)
    if period.days > MAX_PERIOD_DAYS:
        raise errors.ValidationFailed(message=N_("The period is too long: at most five years."),
                                      fields={"to": "at most five years after from"})
    return period


def _parse(model: type[Any]) -> Any:
    try:
        return query_args(model)
    except errors.ValidationFailed as error:
        raise errors.ValidationFailed(message=N_("Check the dates (YYYY-MM-DD) and the choices."),
                                      fields=error.fields) from None


def _download(body: bytes, stem: str, kind: str) -> Response:
    mimetype = {"csv": "text/csv; charset=utf-8",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[kind]
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{stem}.{kind}"'})


def _made_at() -> str:
    return runtime().clock.now().astimezone(ZoneInfo(runtime().settings.timezone)).strftime("%d/%m/%Y %H:%M")


def _site(sites: list[SiteRef], site_id: int) -> SiteRef:
    for site in sites:
        if site.id == site_id:
            return site
    raise errors.NotFound()


# --------------------------------------------------------------------------- the blueprint

def blueprint(sites: Callable[[Session], list[SiteRef]] = province_sites,
              red_items: Callable[[Session, int, dt.date], list[dict[str, Any]]] = open_red_items) -> Blueprint:
    """The province report pages and API (the central's app factory registers it)."""
    bp = Blueprint("province_reports", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/province/reports-static")

    def staff_context(page: str) -> dict[str, Any]:
        actor = require_actor()
        return {"actor": actor, "page": page, "has_dashboard": "dashboard" in current_app.blueprints}

    @bp.get("/api/v1/province/rankings")
    @allow(*READERS)
    @documented("Sites ranked by satisfaction index, 90th percentile wait, response rate or repeat visit rate "
                "(lower first) over a period (local dates, inclusive), from the daily roll-ups; sites below the "
                "minimum of ratings rank last. JSON: a list of {rank, site_id, code, name, issued, served, no_show, "
                "ratings, response_rate, satisfaction_index, wait_p50_s, wait_p90_s, service_p50_s, enough_ratings, "
                "visits_known, repeat_visits, repeat_visit_rate, returned, flagged_ratings, "
                "satisfaction_index_unflagged}; format=csv or xlsx downloads the same rows", query=RankingQuery,
                tags=("province",))
    def api_rankings():  # type: ignore[no-untyped-def]
        query = _parse(RankingQuery)
        period = _period(query)
        minimum = query.min_ratings if query.min_ratings is not None else runtime().settings.province_min_ratings
        rows = rank_sites(db_session(), period.start, period.end, query.metric, minimum, sites(db_session()))
        if query.format == "json":
            return jsonify(rows)
        stem = f"xep-hang-{query.metric}-{period.start.isoformat()}-{period.end.isoformat()}"
        if query.format == "csv":
            return _download(ranking_csv(rows, gettext), stem, "csv")
        title = gettext("Ranking of centres %(start)s – %(end)s") % {"start": period.start.isoformat(),
                                                                      "end": period.end.isoformat()}
        about = [(N_("From"), period.start.isoformat()), (N_("To"), period.end.isoformat()),
                 (N_("Ranked by"), gettext(METRIC_LABELS[query.metric])), (N_("Minimum ratings"), minimum),
                 (N_("Made at"), _made_at())]
        return _download(ranking_xlsx(rows, gettext, title, about), stem, "xlsx")

    @bp.get("/api/v1/province/sites/<int:site_id>/summary")
    @allow(*READERS)
    @documented("One site's figures per field, counter or clerk for a period, in the shape of the site's "
                "GET /reports/summary, from the daily roll-ups; format=csv or xlsx", query=SiteSummaryQuery,
                tags=("province",))
    def api_site_summary(site_id: int):  # type: ignore[no-untyped-def]
        query = _parse(SiteSummaryQuery)
        site = _site(sites(db_session()), site_id)
        period = _period(query)
        report = site_summary(db_session(), site.id, period, query.group_by, gettext,
                              site_field_names(db_session(), site.id))
        if query.format == "json":
            return jsonify(report)
        stem = f"bao-cao-{site.code}-{report['group_by']}-{report['from']}-{report['to']}"
        if query.format == "csv":
            return _download(export.to_csv(report, gettext, {}), stem, "csv")
        title = gettext("Summary report %(start)s – %(end)s, %(site)s") % {
            "start": report["from"], "end": report["to"], "site": site.name}
        made = runtime().clock.now().astimezone(ZoneInfo(runtime().settings.timezone))
        return _download(export.to_xlsx(report, gettext, {}, title, made), stem, "xlsx")

    @bp.get("/province/rankings")
    @allow(*READERS)
    def rankings_page():  # type: ignore[no-untyped-def]
        """Pick a period, a metric and a minimum sample; the table, and CSV/XLSX of the same rows."""
        try:
            query = query_args(RankingQuery)
            period = _period(query)
            problem = None
        except errors.ValidationFailed:
            query, period = RankingQuery(), _period(RankingQuery())
            problem = gettext("Check the dates (YYYY-MM-DD) and the choices.")
        minimum = query.min_ratings if query.min_ratings is not None else runtime().settings.province_min_ratings
        rows = rank_sites(db_session(), period.start, period.end, query.metric, minimum, sites(db_session()))
        arguments = {"from": period.start.isoformat(), "to": period.end.isoformat(), "metric": query.metric,
                     "min_ratings": minimum}
        return render_template("province/rankings.html", rows=rows, period=period, metric=query.metric,
                               minimum=minimum, arguments=arguments, metrics=METRIC_LABELS, problem=problem,
                               **staff_context("rankings"))

    @bp.get("/province/sites/<int:site_id>")
    @allow(*READERS)
    def site_page(site_id: int):  # type: ignore[no-untyped-def]
        """A site's reports at the central: totals and the rows by field, counter or clerk for a period."""
        site = _site(sites(db_session()), site_id)
        try:
            query = query_args(SiteSummaryQuery)
            problem = None
        except errors.ValidationFailed:
            query, problem = SiteSummaryQuery(), gettext("Check the dates (YYYY-MM-DD) and the choices.")
        group_by = query.group_by if query.group_by != "site" else "service"
        period = _period(query)
        report = site_summary(db_session(), site.id, period, group_by, gettext, site_field_names(db_session(), site.id))
        arguments = {"from": period.start.isoformat(), "to": period.end.isoformat(), "group_by": group_by}
        from server.province.views import BOARD_MESSAGES

        return render_template("province/site.html", site=site, report=report, period=period, group_by=group_by,
                               groups=GROUP_LABELS, arguments=arguments, problem=problem,
                               red_items=red_items(db_session(), site.id, _today()), board_messages=BOARD_MESSAGES,
                               own_name=site_own_name(db_session(), site.id), **staff_context("site"))

    return bp
