"""What each site says of itself over the uplink (`site_status`: its own name and, per active field, the
waiting line and the wait a citizen taking a number now is told), kept in its live state, and the public
wait times of the province built from it (GET /api/v1/public/wait-times, the /wait page). The fields'
own ids also name the rows of the site's reports at the central (province/rankings.site_field_names).

The figures are the site's own (server/queue/queries.field_waits: the kiosk's and the phone page's
estimate); the central only stores and shows them, so a citizen reads the same wait on /wait as on the
kiosk's paper.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import errors
from server.province.models import ProvinceSite, SiteLiveState

MAX_FIELDS = 200
MAX_WAITING = 100_000
MAX_WAIT_S = 7 * 24 * 3600
MAX_COUNTERS = 1000


def _bounded_text(value: Any, longest: int, *, required: bool) -> str:
    if not isinstance(value, str) or len(value) > longest or (required and not value.strip()) \
            or any(ord(character) < 32 for character in value):
        raise ValueError("text")
    return value.strip()


def _bounded_whole(value: Any, highest: int) -> int:
    if type(value) is not int or not 0 <= value <= highest:
        raise ValueError("number")
    return value


def parse_site_status(raw: Any) -> tuple[str, list[dict[str, Any]]]:
    """The site's `site_status` call, strictly typed and bounded; anything else is a validation error."""
    try:
        if not isinstance(raw, dict) or not isinstance(raw.get("fields"), list) or len(raw["fields"]) > MAX_FIELDS:
            raise ValueError("status")
        name = _bounded_text(raw.get("name"), 200, required=False)
        fields, seen = [], set()
        for item in raw["fields"]:
            if not isinstance(item, dict):
                raise ValueError("field")
            code = _bounded_text(item.get("code"), 32, required=True)
            if code in seen:
                raise ValueError("duplicate field")
            seen.add(code)
            field_id = item.get("id")  # the site's own id of the field (its reports at the central are by id)
            if field_id is not None:
                _bounded_whole(field_id, 2**31 - 1)
            fields.append({"id": field_id, "code": code, "name": _bounded_text(item.get("name"), 200, required=True),
                           "waiting": _bounded_whole(item.get("waiting"), MAX_WAITING),
                           "estimated_wait_s": _bounded_whole(item.get("estimated_wait_s"), MAX_WAIT_S),
                           "counters_serving": _bounded_whole(item.get("counters_serving"), MAX_COUNTERS)})
    except (ValueError, TypeError) as bad:
        raise errors.ValidationFailed(fields={"site_status": "name (≤ 200 characters) and fields: "
                                                             "[{code, name, waiting, estimated_wait_s, counters_serving}]"}) from bad
    return name, fields


def record_site_status(session: Session, site_id: int, raw: Any, now: dt.datetime) -> None:
    """Store the site's own name and field figures in its live state; commits."""
    name, fields = parse_site_status(raw)
    site = session.get(ProvinceSite, site_id)
    if site is None:
        raise errors.NotFound()
    state = session.get(SiteLiveState, site_id)
    if state is None:
        state = SiteLiveState(site_id=site_id, waiting_tickets={}, counters={}, open_alerts={}, issued_today=0,
                              served_today=0, ratings_today=0, satisfied_today=0)
        session.add(state)
    state.site_name, state.fields, state.fields_at = name, fields, now
    site.connected, site.last_seen_at = True, now
    session.commit()


def is_connected(site: ProvinceSite, now: dt.datetime, stale_s: float) -> bool:
    """Connected while its uplink is and it spoke within the stale time (the board's rule, live.site_row)."""
    return bool(site.connected and site.last_seen_at is not None
                and (now - site.last_seen_at).total_seconds() <= stale_s)


def wait_row(site: ProvinceSite, state: SiteLiveState | None, now: dt.datetime, stale_s: float,
             field_code: str | None = None) -> dict[str, Any]:
    """One centre as the public sees it: no personal data, only its fields' lines and estimates."""
    fields = [{"code": field["code"], "name": field["name"], "waiting": field["waiting"],
               "estimated_wait_s": field["estimated_wait_s"], "counters_serving": field.get("counters_serving", 0)}
              for field in (state.fields if state is not None and state.fields else [])
              if field_code is None or field["code"] == field_code]
    return {"site_id": site.id, "code": site.code, "name": site.name, "connected": is_connected(site, now, stale_s),
            "updated_at": state.fields_at.isoformat() if state is not None and state.fields_at else None,
            "fields": fields}


def wait_times(session: Session, now: dt.datetime, stale_s: float, *, field_code: str | None = None,
               site_ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Every unrevoked site of the province with its fields' waits (one field when `field_code` is given)."""
    query = (select(ProvinceSite, SiteLiveState).outerjoin(SiteLiveState, SiteLiveState.site_id == ProvinceSite.id)
             .where(ProvinceSite.revoked_at.is_(None)))
    if site_ids is not None:
        query = query.where(ProvinceSite.id.in_(list(site_ids)))
    return [wait_row(site, state, now, stale_s, field_code)
            for site, state in session.execute(query.order_by(ProvinceSite.name, ProvinceSite.id)).all()]
