"""The live state of each site at the central, folded from the events as they are ingested.

Pure folding over the event payloads the site's core writes (ticket status, counter status, ratings,
alerts); the board reads the folded row and never scans the events.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from server.province.models import ProvinceSite, SiteLiveState
from server.queue.hashchain import ChainedEvent

TICKET_EVENTS = frozenset({"ticket_issued", "ticket_called", "ticket_recalled", "ticket_skipped", "ticket_started",
                           "ticket_finished", "ticket_transferred", "ticket_cancelled"})
LEADER_EVENTS = frozenset({"leader_items_raised", "leader_action_recorded", "leader_item_cleared"})
# The leader's kinds of red item (server/queue/leadership.py KINDS), most serious first: the board names
# the first open item of a site by this order after "overdue first, oldest week first".
RED_ITEM_ORDER = ("satisfaction_low", "repeat_rate_high", "rating_flags", "wait_p90_high", "response_rate_low",
                  "alerts_open")
SATISFIED_SCORES = (4, 5)  # the official "rất hài lòng" + "hài lòng" levels (server/reports/summary.py)


def local_date(instant: dt.datetime, timezone: str) -> dt.date:
    return instant.astimezone(ZoneInfo(timezone)).date()


def fold(state: SiteLiveState, events: Sequence[ChainedEvent], timezone: str, now: dt.datetime) -> None:
    """Apply events (in seq order) to the site's live state."""
    waiting = dict(state.waiting_tickets or {})
    counters = dict(state.counters or {})
    alerts = dict(state.open_alerts or {})
    red = {key: dict(item) for key, item in (state.red_items or {}).items()}
    for event in events:
        day = local_date(event.created_at, timezone)
        if state.business_date is None or day > state.business_date:
            state.business_date = day
            state.issued_today = state.served_today = state.ratings_today = state.satisfied_today = 0
            waiting = {key: at for key, at in waiting.items() if local_date(dt.datetime.fromisoformat(at), timezone) >= day}
        payload = event.payload
        if event.type in TICKET_EVENTS and "id" in payload:
            key = str(payload["id"])
            if payload.get("status") == "waiting":
                waiting[key] = str(payload.get("issued_at") or event.created_at.isoformat())
            else:
                waiting.pop(key, None)
            if event.type == "ticket_issued":
                state.issued_today += 1
            elif event.type == "ticket_finished":
                state.served_today += 1
        elif event.type == "tickets_expired":
            for ticket_id in payload.get("ticket_ids") or []:
                waiting.pop(str(ticket_id), None)
            before = payload.get("before")
            if before:
                cutoff = dt.date.fromisoformat(str(before))
                waiting = {key: at for key, at in waiting.items()
                           if local_date(dt.datetime.fromisoformat(at), timezone) >= cutoff}
        elif event.type == "counter_status" and "counter_id" in payload:
            counters[str(payload["counter_id"])] = str(payload.get("status") or "closed")
        elif event.type == "rating_received":
            state.ratings_today += 1
            if payload.get("score") in SATISFIED_SCORES:
                state.satisfied_today += 1
        elif event.type == "alert" and "alert_id" in payload:
            alerts[str(payload["alert_id"])] = str(payload.get("kind") or "")
        elif event.type in ("alert_resolved", "alert_acknowledged") and "alert_id" in payload:
            alerts.pop(str(payload["alert_id"]), None)
        elif event.type in LEADER_EVENTS:
            fold_red_items(red, event.type, payload)
    state.waiting_tickets, state.counters, state.open_alerts, state.red_items = waiting, counters, alerts, red
    state.updated_at = now


def fold_red_items(red: dict[str, Any], event_type: str, payload: dict[str, Any]) -> None:
    """A site's open red items: raised by the weekly review, given a due date by the head of the centre's
    action, gone once cleared (only with an action and a note, at the site)."""
    if event_type == "leader_items_raised":
        items = payload.get("items")
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("item_id") is not None:
                red[str(item["item_id"])] = {"kind": str(item.get("kind") or ""),
                                             "week_start": str(payload.get("week_start") or ""), "due": None}
    elif event_type == "leader_action_recorded" and str(payload.get("item_id")) in red:
        red[str(payload["item_id"])]["due"] = str(payload.get("due") or "") or None
    elif event_type == "leader_item_cleared":
        red.pop(str(payload.get("item_id")), None)


def red_item_rows(red: dict[str, Any], today: dt.date) -> list[dict[str, Any]]:
    """The open items, worst first: overdue, then the oldest week, then the kind's seriousness."""
    rows = []
    for item_id, item in red.items():
        due = item.get("due")
        overdue = bool(due) and due < today.isoformat()
        rows.append({"item_id": int(item_id), "kind": item.get("kind", ""), "week_start": item.get("week_start"),
                     "due": due, "overdue": overdue})
    order = {kind: index for index, kind in enumerate(RED_ITEM_ORDER)}
    rows.sort(key=lambda row: (not row["overdue"], row["week_start"] or "", order.get(row["kind"], len(order)),
                               row["item_id"]))
    return rows


def site_row(site: ProvinceSite, state: SiteLiveState | None, open_province_alerts: int, now: dt.datetime,
             timezone: str, stale_s: float) -> dict[str, Any]:
    """One site as GET /province/sites and the board show it (today's figures only when they are today's)."""
    today = local_date(now, timezone)
    current = state is not None and state.business_date == today
    waiting_since = [dt.datetime.fromisoformat(at) for at in (state.waiting_tickets or {}).values()] if current else []
    satisfaction = None
    if current and state.ratings_today:
        satisfaction = round(100.0 * state.satisfied_today / state.ratings_today, 1)
    red_items = red_item_rows(state.red_items or {}, today) if state is not None else []
    connected = bool(site.connected and site.last_seen_at is not None
                     and (now - site.last_seen_at).total_seconds() <= stale_s)
    return {
        "id": site.id,
        "code": site.code,
        # The province's registered name is the official one (a site cannot rename itself on the province's
        # board); the name the site gives itself (its site_status) is shown beside it.
        "name": site.name,
        "site_name": (state.site_name if state is not None else "") or "",
        "demo": site.demo,
        "revoked": site.revoked_at is not None,
        "connected": connected,
        "last_seen_at": site.last_seen_at.isoformat() if site.last_seen_at else None,
        "last_seq": site.last_seq,
        "lag_events": max(0, site.site_seq - site.last_seq),
        "waiting": len(waiting_since),
        "longest_wait_s": int(max(0.0, (now - min(waiting_since)).total_seconds())) if waiting_since else 0,
        "counters_open": sum(1 for status in (state.counters or {}).values() if status == "open") if state else 0,
        "issued_today": state.issued_today if current else 0,
        "served_today": state.served_today if current else 0,
        "ratings_today": state.ratings_today if current else 0,
        "satisfaction_today": satisfaction,
        "open_alerts": (len(state.open_alerts or {}) if state else 0) + open_province_alerts,
        "red_items_open": len(red_items),
        "red_items_overdue": sum(1 for item in red_items if item["overdue"]),
        "red_items": red_items,
    }
