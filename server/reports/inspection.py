"""The inspection export: one JSON file with a period's raw tickets, dossier visits, ratings, rating flags
and the leader's board, together with the events of the period and the hash-chain proof that they are
the site's log as written (docs/inspection.md; verified offline by docs/verify_inspection.py).

Nothing secret or personal beyond what the records are: no ticket tokens, no password or key hashes, no
comments' authors (there are none), no phone numbers or ID numbers (the product keeps none).
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import __version__
from server.models import DossierVisit, Event, LeaderItem, Rating, Site, Ticket
from server.queue.hashchain import GENESIS, canonical_time
from server.reports.periods import Period
from server.reports.rating_flags import rating_flags

FORMAT = "hangcho-inspection/1"


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def inspection_export(session: Session, site: Site, period: Period, now: dt.datetime) -> dict[str, Any]:
    start, end = period.utc_bounds(site.timezone)
    events = list(session.scalars(select(Event).where(Event.site_id == site.id, Event.created_at >= start,
                                                      Event.created_at < end).order_by(Event.seq)))
    if events:
        # The run of the log from the first to the last event of the period, gap-free by seq (an event
        # written at a clock's edge is included rather than leaving a hole the chain cannot cross).
        first_seq, last_seq = events[0].seq, events[-1].seq
        events = list(session.scalars(select(Event).where(Event.site_id == site.id, Event.seq >= first_seq,
                                                          Event.seq <= last_seq).order_by(Event.seq)))
        previous = session.scalar(select(Event.hash).where(Event.site_id == site.id, Event.seq == first_seq - 1))
        anchor = {"seq": first_seq - 1, "hash": previous if previous else GENESIS}
    else:
        anchor = None
    tickets = list(session.scalars(select(Ticket).where(
        Ticket.site_id == site.id, Ticket.business_date.between(period.start, period.end)).order_by(Ticket.id)))
    ticket_ids = [ticket.id for ticket in tickets]
    ratings = _in_chunks(session, Rating, Rating.ticket_id, ticket_ids)
    visits = _in_chunks(session, DossierVisit, DossierVisit.ticket_id, ticket_ids)
    items = list(session.scalars(select(LeaderItem).where(
        LeaderItem.site_id == site.id, LeaderItem.week_start.between(period.start - dt.timedelta(days=6), period.end))
        .order_by(LeaderItem.id)))
    document: dict[str, Any] = {
        "format": FORMAT,
        "software": f"Hàng Chờ {__version__}",
        "exported_at": now.isoformat(),
        "site": {"id": site.id, "code": site.code, "name": site.name, "timezone": site.timezone},
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat(),
                   "utc_from": canonical_time(start), "utc_to": canonical_time(end)},
        # The head of the whole chain when exported: a later export, the site's verify-log or the province
        # server can confirm the log went on from exactly here.
        "chain_head": {"seq": site.event_seq, "hash": site.event_hash},
        "proof": {"algorithm": "sha256(previous_hash || canonical_event)", "genesis": GENESIS, "anchor": anchor,
                  "first_seq": events[0].seq if events else None, "last_seq": events[-1].seq if events else None},
        "events": [{"site_id": event.site_id, "seq": event.seq, "type": event.type, "ticket_id": event.ticket_id,
                    "counter_id": event.counter_id, "actor": event.actor, "payload": event.payload,
                    "created_at": canonical_time(event.created_at), "hash": event.hash} for event in events],
        "tickets": [{"id": t.id, "number": t.number, "business_date": _iso(t.business_date), "service_id": t.service_id,
                     "issued_service_id": t.issued_service_id, "status": t.status.value, "priority_level": t.priority_level,
                     "issued_at": _iso(t.issued_at), "first_called_at": _iso(t.first_called_at), "called_at": _iso(t.called_at),
                     "started_at": _iso(t.started_at), "finished_at": _iso(t.finished_at), "ended_at": _iso(t.ended_at),
                     "counter_id": t.counter_id, "clerk_id": t.clerk_id, "call_count": t.call_count,
                     "transfer_count": t.transfer_count, "dossier_code": t.dossier_code or None,
                     "declared_visit": t.declared_visit} for t in tickets],
        "dossier_visits": [{"ticket_id": v.ticket_id, "code": v.code, "outcome": v.outcome.value, "missing": v.missing,
                            "service_id": v.service_id, "counter_id": v.counter_id, "clerk_id": v.clerk_id,
                            "visit_number": v.visit_number, "repeat": v.repeat, "breach": v.breach,
                            "new_missing": v.new_missing, "created_at": _iso(v.created_at),
                            "updated_at": _iso(v.updated_at)} for v in visits],
        "ratings": [{"id": r.id, "ticket_id": r.ticket_id, "service_id": r.service_id, "counter_id": r.counter_id,
                     "clerk_id": r.clerk_id, "score": r.score, "reasons": r.reasons, "comment": r.comment,
                     "channel": r.channel.value, "device_id": r.device_id, "created_at": _iso(r.created_at)}
                    for r in ratings],
        "rating_flags": rating_flags(session, [site.id], period).entries,
        "leader_items": [{"id": i.id, "week_start": _iso(i.week_start), "kind": i.kind, "figure": i.figure,
                          "target": i.target, "evidence": i.evidence, "action": i.action or None,
                          "action_due": _iso(i.action_due), "action_by_id": i.action_by_id, "action_at": _iso(i.action_at),
                          "cleared_note": i.cleared_note or None, "cleared_by_id": i.cleared_by_id,
                          "cleared_at": _iso(i.cleared_at)} for i in items],
    }
    document["counts"] = {key: len(document[key]) for key in
                          ("events", "tickets", "dossier_visits", "ratings", "rating_flags", "leader_items")}
    return document


def _in_chunks(session: Session, model: Any, column: Any, ids: list[int]) -> list[Any]:
    rows: list[Any] = []
    for start in range(0, len(ids), 500):
        rows.extend(session.scalars(select(model).where(column.in_(ids[start:start + 500])).order_by(model.id)))
    return rows


def export_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False).encode("utf-8")
