"""Health, the public field list, live snapshots and alerts."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import text

from server import __version__
from server.api import api
from server.api.common import resolve_site_id
from server.api.schemas import HealthAnswer, ServiceRow, SiteQuery
from server.api.validation import documented, query_args
from server.auth.access import allow, current_actor, public, require_actor
from server.queue import queries
from server.runtime import db_session, queue_service, runtime


@api.get("/health")
@public
@documented("Liveness and database check", responses={200: HealthAnswer}, tags=("site",))
def health():  # type: ignore[no-untyped-def]
    db_session().execute(text("SELECT 1"))
    return jsonify({"status": "ok", "version": __version__, "database": "ok"})


@api.get("/services")
@public
@documented("The fields (lĩnh vực) of a site with their waiting counts", query=SiteQuery,
            responses={200: list[ServiceRow]}, tags=("site",))
def services():  # type: ignore[no-untyped-def]
    query = query_args(SiteQuery)
    site_id = resolve_site_id(current_actor(), query.site_id)
    return jsonify(queries.services_view(db_session(), site_id, runtime().clock))


@api.get("/snapshot")
@allow("staff", "device")
@documented("The full live state for the caller, with seq", query=SiteQuery, tags=("site",))
def snapshot():  # type: ignore[no-untyped-def]
    from server.realtime import snapshot_for

    actor = require_actor()
    site_id = resolve_site_id(actor, query_args(SiteQuery).site_id)
    return jsonify(snapshot_for(db_session(), actor, site_id))


@api.get("/alerts")
@allow("supervisor", "admin", "inspector")
@documented("Open alerts of the site", query=SiteQuery, tags=("alerts",))
def alerts():  # type: ignore[no-untyped-def]
    actor = require_actor()
    site_id = resolve_site_id(actor, query_args(SiteQuery).site_id)
    return jsonify(queries.dashboard_snapshot(db_session(), site_id, runtime().clock)["alerts"])


@api.post("/alerts/<int:alert_id>/acknowledge")
@allow("supervisor", "admin")
@documented("Acknowledge an alert", tags=("alerts",))
def acknowledge_alert(alert_id: int):  # type: ignore[no-untyped-def]
    alert = queue_service().acknowledge_alert(alert_id, require_actor())
    return jsonify({"alert_id": alert.id, "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None})
