"""The uplink's health at the site: GET /api/v1/uplink for the dashboard, and starting the uplink thread."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, jsonify

from server.api.schemas import Answer
from server.api.validation import documented
from server.auth.access import allow
from server.errors import N_
from server.runtime import Runtime, db_session, runtime

blueprint = Blueprint("uplink_api", __name__, url_prefix="/api/v1")

UPLINK_MESSAGES = {
    "disabled": N_("Not configured: this site does not send its data to a province server."),
    "current": N_("Connected, up to date"),
    "behind": N_("Connected, %(count)s events still to send"),
    "down": N_("Not connected: %(count)s events waiting to be sent, the oldest %(minutes)s minutes ago"),
    "refused": N_("Refused by the province server: %(error)s"),
}


class UplinkHealth(Answer):
    enabled: bool
    connected: bool
    lag_events: int
    lag_s: int


@blueprint.get("/uplink")
@allow("supervisor", "admin", "inspector")
@documented("The link to the province server: connected, and how far behind it is (events, seconds)",
            responses={200: UplinkHealth}, tags=("site",))
def uplink_health():  # type: ignore[no-untyped-def]
    from server.models import Site
    from server.uplink.client import lag
    from sqlalchemy import select

    settings = runtime().settings
    session = db_session()
    site_id = session.scalar(select(Site.id).order_by(Site.id).limit(1))
    answer: dict[str, Any] = {"enabled": settings.uplink_enabled, "connected": False, "lag_events": 0, "lag_s": 0}
    if site_id is not None:
        answer.update(lag(session, site_id, runtime().clock.now()))
    answer["enabled"] = settings.uplink_enabled
    if not settings.uplink_enabled:
        answer["connected"] = False
    return jsonify(answer)


def init_uplink_health(app: Flask) -> None:
    app.register_blueprint(blueprint)


def start_uplink(runtime_: Runtime) -> Any:
    """Start this process's uplink thread when the site is configured to uplink (see UplinkLock)."""
    settings = runtime_.settings
    if not settings.uplink_enabled:
        return None
    from server.uplink.client import Uplink
    from server.uplink.phone import rate_relayed

    def relayed_rating(site_id: int, data: Any) -> dict[str, Any]:
        return rate_relayed(runtime_.service, runtime_.write_session_factory, site_id, data)

    uplink = Uplink(runtime_.engine, runtime_.session_factory, runtime_.write_session_factory, settings.central_url,
                    settings.uplink_key, batch_size=settings.uplink_batch_size, poll_s=settings.uplink_poll_s,
                    max_backoff_s=settings.uplink_max_backoff_s, relayed_rating=relayed_rating)
    uplink.start()
    return uplink
