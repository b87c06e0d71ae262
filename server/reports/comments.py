"""Citizens' comments: every rating that carries free text, with what a supervisor needs to act on it
(the ticket's number, its field, the counter and clerk who served it, the score and the reasons)."""
from __future__ import annotations

from typing import Any, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from server.models import Counter, Rating, Service, Site, Staff, Ticket
from server.reports.periods import Period

# The dashboard lists the newest ones; a report may hold a year of them.
DASHBOARD_LIMIT = 20


def comments_report(session: Session, site_ids: Iterable[int], period: Period,
                    limit: int | None = None) -> list[dict[str, Any]]:
    """Comments given in `period` (local dates of the first site), newest first."""
    site_ids = list(site_ids)
    if not site_ids:
        return []
    timezone = session.scalar(select(Site.timezone).where(Site.id == site_ids[0])) or "Asia/Ho_Chi_Minh"
    start, end = period.utc_bounds(timezone)
    clerk = aliased(Staff)
    query = (
        select(Rating, Ticket.number, Service.name, Service.name_en, Counter.number, clerk.full_name, clerk.username)
        .join(Ticket, Ticket.id == Rating.ticket_id)
        .join(Service, Service.id == Rating.service_id)
        .outerjoin(Counter, Counter.id == Rating.counter_id)
        .outerjoin(clerk, clerk.id == Rating.clerk_id)
        .where(Rating.site_id.in_(site_ids), Rating.created_at >= start, Rating.created_at < end,
               func.length(func.trim(Rating.comment)) > 0)
        .order_by(Rating.created_at.desc(), Rating.id.desc())
    )
    if limit is not None:
        query = query.limit(limit)
    zone = ZoneInfo(timezone)
    return [
        {
            "rating_id": rating.id,
            "ticket_id": rating.ticket_id,
            "number": number,
            "service_id": rating.service_id,
            "service_name": service_name,
            "service_name_en": service_name_en,
            "counter_id": rating.counter_id,
            "counter_number": counter_number,
            "clerk_id": rating.clerk_id,
            "clerk_name": (full_name or username) if rating.clerk_id is not None else None,
            "score": rating.score,
            "reasons": list(rating.reasons or []),
            "comment": rating.comment.strip(),
            "channel": rating.channel.value,
            "created_at": rating.created_at.astimezone(zone).isoformat(),
        }
        for rating, number, service_name, service_name_en, counter_number, full_name, username in session.execute(query)
    ]
