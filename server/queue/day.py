"""The business day: working sessions, holidays and the cut-off (may a kiosk issue now?), and the
expiry of what an earlier day left open. The day rolls at local midnight, never at UTC midnight."""
from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select

from server.models import Holiday, Site, Ticket, WorkingSession
from server.queue import events as ev
from server.queue.rules import OPEN_STATUSES, IssuingState, Verb, WorkingPeriod, business_date, issuing_state, next_status
from server.queue.site_settings import site_settings
from server.queue.unit_of_work import Concern, verb

_calendar_cache: dict[tuple[int, int, int, dt.date], tuple[list[WorkingPeriod], set[dt.date]]] = {}
_calendar_lock = threading.Lock()


def forget_calendars() -> None:
    """Drop cached working hours (tests start each database from scratch)."""
    with _calendar_lock:
        _calendar_cache.clear()


class Day(Concern):
    def issuing_state(self, site: Site, now: dt.datetime | None = None) -> IssuingState:
        now = now or self.uow.now()
        periods, holidays = self._calendar(site, business_date(now, site.timezone))
        return issuing_state(now, site.timezone, periods, holidays, site_settings(site.settings).cutoff)

    def _calendar(self, site: Site, today: dt.date) -> tuple[list[WorkingPeriod], set[dt.date]]:
        """Working sessions and the coming holidays, cached per site configuration version."""
        key = (id(self.session.get_bind()), site.id, site.config_version, today)
        with _calendar_lock:
            cached = _calendar_cache.get(key)
        if cached is not None:
            return cached
        periods = [WorkingPeriod(row.weekday, row.opens_at, row.closes_at)
                   for row in self.session.scalars(select(WorkingSession).where(WorkingSession.site_id == site.id))]
        holidays = set(self.session.scalars(select(Holiday.date).where(
            Holiday.site_id == site.id, Holiday.date.between(today, today + dt.timedelta(days=15)))))
        with _calendar_lock:
            if len(_calendar_cache) > 1000:
                _calendar_cache.clear()
            _calendar_cache[key] = (periods, holidays)
        return periods, holidays

    @verb
    def expire_previous_days(self, site_id: int) -> int:
        """Tickets still open from an earlier business day become expired; history is kept."""
        site = self.uow.lock_site(site_id)
        now = self.uow.now()
        today = business_date(now, site.timezone)
        stale = list(self.session.scalars(select(Ticket).where(
            Ticket.site_id == site_id, Ticket.business_date < today, Ticket.status.in_(OPEN_STATUSES))))
        for ticket in stale:
            ticket.status = next_status(ticket.status, Verb.EXPIRE)
            ticket.ended_at = now
        if stale:
            self.uow.record(ev.TICKETS_EXPIRED, site_id,
                            {"count": len(stale), "ticket_ids": [t.id for t in stale][:500], "before": today.isoformat()},
                            (ev.site_room(site_id), ev.dashboard_room(site_id)))
        return len(stale)

