"""The site's side of the phone page through the province server (docs/phone-via-central.md).

- `phone_views`: what the site's own phone page would show for each ticket that may have changed, keyed
  by the SHA-256 of the ticket's token (never the token), for the uplink's `phone_tickets` call. The
  same code as the site's phone page (queries.public_views / ticket_public_view), so both pages agree.
- `rate_relayed`: a phone's rating relayed by the central over this site's own uplink connection, handed
  to the site's own rating verb with every rule it has, judged at the time the citizen gave it.
- `phone_base_url`: where the QR codes of new tickets point (the central once it has said so).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import errors
from server.models import Event, Site, Ticket, TicketStatus
from server.queue import queries
from server.queue.actors import Actor
from server.queue.ratings import RELAYED_BY_CENTRAL, RatingRequest
from server.queue.rules import business_date
from server.uplink.models import UplinkState


HEX64 = re.compile(r"^[0-9a-f]{64}$")
ACTIVE = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING)
MAX_VIEWS_PER_CALL = 500
MAX_REASONS = 20


def phone_base_url(session: Session, site_id: int) -> str:
    """The central's public base URL as its last `hello` answer gave it; empty when none did."""
    return session.scalar(select(UplinkState.phone_base_url).where(UplinkState.site_id == site_id)) or ""


def phone_views(session: Session, site_id: int, now: dt.datetime, after_seq: int | None) -> list[dict[str, Any]]:
    """The public views of today's active tickets and of every ticket named by an event after
    `after_seq`; with `after_seq` None (a new connection), of every ticket of today."""
    site = session.get(Site, site_id)
    if site is None:
        return []
    today = business_date(now, site.timezone)
    of_today = select(Ticket.id).where(Ticket.site_id == site_id, Ticket.business_date == today)
    ids = set(session.scalars(of_today if after_seq is None else of_today.where(Ticket.status.in_(ACTIVE))))
    if after_seq is not None:
        ids.update(session.scalars(select(Event.ticket_id).where(
            Event.site_id == site_id, Event.seq > after_seq, Event.ticket_id.is_not(None)).distinct()))
    tickets = list(session.scalars(select(Ticket).where(Ticket.id.in_(ids), Ticket.public_token_sha256 != "")
                                   .order_by(Ticket.id)))
    return [{"token_sha256": ticket.public_token_sha256, "business_date": ticket.business_date.isoformat(),
             "view": view} for ticket, view in zip(tickets, queries.public_views(session, tickets))]


def rate_relayed(service_for: Callable[[Session], Any], session_factory: Callable[[], Session], site_id: int,
                 data: Any) -> dict[str, Any]:
    """The `relayed_rating` message of this site's central → the site's answer, as the central passes it
    to the phone: {"ok": true, "status": 201, "rating": …} or {"ok": false, "status", "error", "message",
    "params"}. Idempotent on the central's rating id: a second delivery never stores a second rating."""
    try:
        request, rating_id, digest = _relayed_request(data)
        with session_factory() as session:
            ticket = session.scalar(select(Ticket).where(Ticket.public_token_sha256 == digest,
                                                         Ticket.site_id == site_id))
            if ticket is None:
                raise errors.InvalidRatingToken()
            request = RatingRequest(score=request.score, token=ticket.public_token, reasons=request.reasons,
                                    comment=request.comment, given_at=request.given_at)
            rating = service_for(session).rate(
                request, Actor(kind="citizen", role=RELAYED_BY_CENTRAL, site_id=site_id),
                idempotency_key=f"central-rating:{rating_id}")
            return {"ok": True, "status": 201,
                    "rating": {"id": rating.id, "ticket_id": rating.ticket_id, "score": rating.score,
                               "reasons": rating.reasons, "channel": rating.channel.value,
                               "created_at": rating.created_at.isoformat()}}
    except errors.HangChoError as refusal:
        params = {key: value for key, value in refusal.params.items() if isinstance(value, (str, int, float, type(None)))}
        return {"ok": False, "status": refusal.status, "error": refusal.code, "message": refusal.message,
                "params": params}


def _relayed_request(data: Any) -> tuple[RatingRequest, int, str]:
    """The relayed rating, strictly typed (it crossed the network)."""
    body = data if isinstance(data, dict) else {}
    rating_id, digest, score = body.get("rating_id"), body.get("token_sha256"), body.get("score")
    reasons, comment = body.get("reasons") or [], body.get("comment") or ""
    try:
        given_at = dt.datetime.fromisoformat(str(body.get("given_at")))
    except ValueError:
        given_at = None
    if (type(rating_id) is not int or rating_id < 1 or not isinstance(digest, str) or not HEX64.match(digest)
            or type(score) is not int or not isinstance(reasons, list) or len(reasons) > MAX_REASONS
            or not all(isinstance(code, str) and len(code) <= 64 for code in reasons)
            or not isinstance(comment, str) or len(comment) > 1000 or given_at is None or given_at.tzinfo is None):
        raise errors.ValidationFailed(fields={"rating": "rating_id, token_sha256, score, reasons, comment, given_at"})
    return (RatingRequest(score=score, reasons=tuple(reasons), comment=comment, given_at=given_at),
            rating_id, digest)
