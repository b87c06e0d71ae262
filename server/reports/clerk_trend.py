"""A clerk's own weekly trend (the console's "Tuần của tôi"): the clerk's figures for each of the last
four complete weeks against the site's median clerk, never a single ticket and never today.

Satisfaction and the top reasons appear only once a week holds `min_ratings` ratings of the clerk, so no
figure can be traced back to one citizen's verdict; the clerk never sees a rating, only shares.
"""
from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from sqlalchemy.orm import Session

from server.models import Site
from server.queue.rules import business_date
from server.queue.site_settings import site_settings
from server.reports.periods import Period
from server.reports.summary import summary_report

WEEKS = 4


def weekly_trend(session: Session, site: Site, clerk_id: int, now: dt.datetime) -> dict[str, Any]:
    settings = site_settings(site.settings).clerk_trend
    today = business_date(now, site.timezone)
    # Weeks run Monday–Sunday; the latest complete week ended last Sunday.
    last_sunday = today - dt.timedelta(days=today.weekday() + 1)
    labels = {reason.code: {"label": reason.label, "label_en": reason.label_en or reason.label}
              for reason in site_settings(site.settings).rating.reasons}
    weeks = []
    for back in range(WEEKS):
        end = last_sunday - dt.timedelta(weeks=back)
        period = Period(end - dt.timedelta(days=6), end)
        rows = [row for row in summary_report(session, [site.id], period, "clerk")["rows"] if row["key"] is not None]
        mine = next((row for row in rows if row["key"] == clerk_id), None)
        rated_enough = [row for row in rows if row["ratings"] >= settings.min_ratings]
        week: dict[str, Any] = {
            "from": period.start.isoformat(), "to": period.end.isoformat(),
            "served": mine["served"] if mine else 0,
            "service_p50_s": mine["service_p50_s"] if mine else None,
            "site_median_served": _median([row["served"] for row in rows if row["served"]]),
            "site_median_service_p50_s": _median([row["service_p50_s"] for row in rows if row["service_p50_s"] is not None]),
            "enough_ratings": bool(mine and mine["ratings"] >= settings.min_ratings),
            "satisfaction_rate": None, "site_median_satisfaction_rate": None, "top_reasons": [],
        }
        if week["enough_ratings"] and mine:
            week["satisfaction_rate"] = mine["satisfaction_rate"]
            week["site_median_satisfaction_rate"] = _median([row["satisfaction_rate"] for row in rated_enough])
            # Labels only (never the codes a rating carries): what was said most, not by whom.
            week["top_reasons"] = [labels.get(code, {"label": code, "label_en": code}) for code in list(mine["low_reasons"])[:3]]
        weeks.append(week)
    return {"clerk_id": clerk_id, "min_ratings": settings.min_ratings, "weeks": weeks}


def _median(values: list[float]) -> float | None:
    return round(float(statistics.median(values)), 4) if values else None
