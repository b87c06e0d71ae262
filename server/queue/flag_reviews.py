"""Rating flags into the event log, so the province can know them (docs/ratings.md, docs/rollups.md).

Flags are computed from the stored ratings (server/reports/rating_flags.py), never stored on a rating,
and a changed threshold applies to the past. The event log (the outbox the central reads) therefore
gets a reading, not a change: `review_rating_flags(site, day)` computes the flags of the ratings of one
business day's tickets and, when they differ from what the log last said for that day, records
`rating_flags_reviewed {business_date, flags, unflagged}`: the day's whole set (each rating once, with
its kinds, ticket, field, counter, clerk and score) and the ratings flagged before that no longer are.
The last set sent is kept in `rating_flag_days` only to tell what changed. No personal data: ids,
scores and kinds.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from server.models import RatingFlagDay
from server.queue import events as ev
from server.queue.unit_of_work import Concern, verb

# Today and the two days before it are read again: a phone may still rate a ticket 48 h after its service
# (`rating.phone_window_hours`), which can change that day's flags; older days keep what was sent.
REVIEW_DAYS = 3


def day_flags(session: Any, site_id: int, day: dt.date) -> list[dict[str, Any]]:
    """The flagged ratings of one business day's tickets, one entry per rating with all its kinds."""
    from server.reports.periods import Period
    from server.reports.rating_flags import KINDS, rating_flags

    entries: dict[int, dict[str, Any]] = {}
    for entry in rating_flags(session, [site_id], Period(day, day)).entries:
        found = entries.setdefault(entry["rating_id"], {
            "rating_id": entry["rating_id"], "ticket_id": entry["ticket_id"], "service_id": entry["service_id"],
            "counter_id": entry["counter_id"], "clerk_id": entry["clerk_id"], "score": entry["score"], "kinds": []})
        if entry["kind"] not in found["kinds"]:
            found["kinds"].append(entry["kind"])
    for found in entries.values():
        found["kinds"].sort(key=KINDS.index)
    return [entries[rating_id] for rating_id in sorted(entries)]


class FlagReviews(Concern):
    @verb
    def review_rating_flags(self, site_id: int, day: dt.date) -> bool:
        """Log the day's rating flags when they changed since the log last said; True when logged."""
        site = self.uow.lock_site(site_id)
        flags = day_flags(self.session, site.id, day)
        row = self.session.scalar(select(RatingFlagDay).where(RatingFlagDay.site_id == site.id,
                                                             RatingFlagDay.business_date == day))
        before = list(row.flags) if row is not None else []
        if flags == before:
            return False
        now_flagged = {entry["rating_id"] for entry in flags}
        unflagged = [{"rating_id": entry["rating_id"], "ticket_id": entry["ticket_id"]}
                     for entry in before if entry["rating_id"] not in now_flagged]
        if row is None:
            row = RatingFlagDay(site_id=site.id, business_date=day)
            self.session.add(row)
        row.flags = flags
        row.updated_at = self.uow.now()
        self.uow.record(ev.RATING_FLAGS_REVIEWED, site.id,
                        {"business_date": day.isoformat(), "flags": flags, "unflagged": unflagged},
                        (ev.dashboard_room(site.id),))  # flags name clerks: never to a counter's room
        return True
