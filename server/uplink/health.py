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
                    max_backoff_s=settings.uplink_max_backoff_s, relayed_rating=relayed_rating,
                    apply_catalogue=lambda fields: apply_province_catalogue(runtime_, fields))
    uplink.start()
    return uplink


def apply_province_catalogue(runtime_: Runtime, fields: list[dict[str, Any]]) -> dict[str, int]:
    """The province's list of fields, applied by the site's audited admin code in one transaction with the
    `settings_changed` event that makes every screen of the site refresh (the site's row locked first,
    as every administrative change does)."""
    from sqlalchemy import select

    from server import administration
    from server.models import Site
    from server.queue import events as ev

    with runtime_.write_session_factory() as session:
        site = session.scalar(select(Site).order_by(Site.id).limit(1).with_for_update())
        if site is None:
            return {}
        counts = administration.apply_province_catalogue(session, site.id, _catalogue_entries(fields),
                                                         runtime_.clock.now())
        runtime_.service(session).record_setting_change(site.id, ev.SETTINGS_CHANGED,
                                                        {"what": "services", "source": "province", **counts})
        return counts


def _catalogue_entries(fields: list[Any]) -> list[dict[str, str]]:
    """What the central sent, as text values; a malformed entry refuses the whole list."""
    from server import errors

    entries = []
    for field in fields:
        if not isinstance(field, dict) or not all(isinstance(field.get(key, ""), str)
                                                  for key in ("code", "name", "name_en", "prefix")):
            raise errors.ValidationFailed(fields={"catalogue": "code, name, name_en, prefix"})
        entries.append({key: str(field.get(key, "")) for key in ("code", "name", "name_en", "prefix")})
    return entries
