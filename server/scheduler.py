"""Periodic jobs of a server process: day-end expiry, print time-outs and alert checks.

Every job is idempotent and takes the site lock, so several server processes may run them at once.
Other parts of the server add jobs with `register_job`.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from server.errors import N_
from server.models import (Alert, Counter, CounterService, CounterStatus, PrintJob, PrintJobStatus, Service, Site, Ticket,
                           TicketStatus)
from server.queue.devices import anything_away
from server.queue.rules import business_date
from server.queue.service import QueueService
from server.queue.site_settings import site_settings
from server.rollups.models import RollupCursor
from server.rollups.site import catch_up
from server.runtime import Runtime

logger = logging.getLogger(__name__)

Job = Callable[[Runtime, QueueService, int], None]


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    every_s: float
    run: Job


JOBS: list[ScheduledJob] = []


def register_job(name: str, every_s: float) -> Callable[[Job], Job]:
    def decorate(run: Job) -> Job:
        JOBS.append(ScheduledJob(name, every_s, run))
        return run
    return decorate


@register_job("expire_previous_days", every_s=60)
def expire_previous_days(runtime: Runtime, service: QueueService, site_id: int) -> None:
    count = service.expire_previous_days(site_id)
    if count:
        logger.info("site %s: %d ticket(s) of earlier days expired", site_id, count)


@register_job("print_timeouts", every_s=1)
def print_timeouts(runtime: Runtime, service: QueueService, site_id: int) -> None:
    # Nearly every second nothing is overdue: look first, and take the site's write lock only when needed.
    deadline = runtime.clock.now() - dt.timedelta(seconds=service.print_timeout_s)
    overdue = service.session.scalar(
        select(PrintJob.id).where(PrintJob.site_id == site_id, PrintJob.status == PrintJobStatus.PENDING,
                                  PrintJob.created_at <= deadline).limit(1)
    )
    service.session.rollback()
    if overdue is not None:
        service.fail_overdue_print_jobs(site_id)


@register_job("device_alerts", every_s=5)
def device_alerts(runtime: Runtime, service: QueueService, site_id: int) -> None:
    """A device away past the grace period raises its alert (a reload or a restart does not)."""
    away = anything_away(service.session, site_id)
    service.session.rollback()
    if away:
        service.raise_overdue_device_alerts(site_id)


@register_job("rollups", every_s=15)
def rollups(runtime: Runtime, service: QueueService, site_id: int) -> None:
    """Keep the daily roll-ups current (the first run builds them from the site's history), so long-period
    reports read them and only the few events since the last run in memory."""
    seqs = service.session.execute(
        select(Site.event_seq, RollupCursor.rolled_up_seq)
        .outerjoin(RollupCursor, RollupCursor.site_id == Site.id).where(Site.id == site_id)).first()
    service.session.rollback()
    if seqs is not None and seqs[1] is not None and seqs[1] >= seqs[0]:
        return  # nothing new: no write transaction at all
    session = runtime.write_session_factory()
    try:
        applied = catch_up(session, site_id, limit=50_000, reader=runtime.session_factory)
        session.commit()
    finally:
        session.close()
    if applied:
        logger.debug("site %s: %d event(s) rolled up", site_id, applied)


QUEUE_ALERT_KINDS = ("long_wait", "idle_counter")


@register_job("queue_alerts", every_s=30)
def queue_alerts(runtime: Runtime, service: QueueService, site_id: int) -> None:
    """A wait over the threshold, or an open counter idle while its queue is long; each alert resolves
    itself when its situation is over."""
    session = service.session
    site = session.get(Site, site_id)
    if site is None:
        return
    settings = site_settings(site.settings).alerts
    now = runtime.clock.now()
    day = business_date(now, site.timezone)
    oldest = session.execute(
        select(Ticket.service_id, func.min(Ticket.issued_at))
        .where(Ticket.site_id == site_id, Ticket.business_date == day, Ticket.status == TicketStatus.WAITING)
        .group_by(Ticket.service_id)
    ).all()
    session.rollback()
    names = dict(session.execute(select(Service.id, Service.name).where(Service.site_id == site_id)).all())
    session.rollback()
    still_true: set[str] = set()
    for service_id, issued_at in oldest:
        waited = (now - issued_at).total_seconds() if issued_at else 0
        if waited > settings.long_wait_s:
            still_true.add(f"long_wait:{service_id}:{day.isoformat()}")
            service.raise_alert(site_id, "long_wait", f"long_wait:{service_id}:{day.isoformat()}",
                                N_("A citizen has waited %(minutes)s minutes in field %(service_name)s"),
                                {"minutes": int(waited // 60), "service_id": service_id,
                                 "service_name": names.get(service_id, "")})
    for counter in session.scalars(select(Counter).where(Counter.site_id == site_id, Counter.status == CounterStatus.OPEN)).all():
        busy = session.scalar(select(func.count(Ticket.id)).where(
            Ticket.counter_id == counter.id, Ticket.status.in_([TicketStatus.CALLED, TicketStatus.SERVING]))) or 0
        if busy:
            continue
        last_activity = session.scalar(select(func.max(Ticket.ended_at)).where(Ticket.counter_id == counter.id)) or counter.status_changed_at
        waiting = session.scalar(
            select(func.count(Ticket.id)).join(CounterService, CounterService.service_id == Ticket.service_id).where(
                CounterService.counter_id == counter.id, Ticket.status == TicketStatus.WAITING, Ticket.business_date == day)
        ) or 0
        idle_s = (now - last_activity).total_seconds() if last_activity else 0
        session.rollback()
        if waiting >= settings.idle_counter_queue and idle_s >= settings.idle_counter_s:
            still_true.add(f"idle_counter:{counter.id}:{day.isoformat()}")
            service.raise_alert(site_id, "idle_counter", f"idle_counter:{counter.id}:{day.isoformat()}",
                                N_("Counter %(counter_number)s has been idle %(minutes)s minutes while %(waiting)s citizens wait"),
                                {"counter_number": counter.number, "minutes": int(idle_s // 60), "waiting": waiting})
    over = session.scalar(select(func.count(Alert.id)).where(
        Alert.site_id == site_id, Alert.kind.in_(QUEUE_ALERT_KINDS), Alert.resolved_at.is_(None),
        Alert.dedupe_key.not_in(still_true)))
    session.rollback()
    if over:
        service.settle_alerts(site_id, QUEUE_ALERT_KINDS, still_true)



class Scheduler:
    """One daemon thread running the registered jobs for every site."""

    def __init__(self, runtime: Runtime, tick_s: float = 1.0) -> None:
        self.runtime = runtime
        self.tick_s = tick_s
        self._stop = threading.Event()
        self._last_run: dict[str, float] = {}
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="hangcho-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def run_due_jobs(self, force: bool = False) -> None:
        now = time.monotonic()
        for job in JOBS:
            if not force and now - self._last_run.get(job.name, 0.0) < job.every_s:
                continue
            self._last_run[job.name] = now
            session = self.runtime.session_factory()
            try:
                site_ids = list(session.scalars(select(Site.id)))
                session.rollback()
                for site_id in site_ids:
                    job.run(self.runtime, self.runtime.service(session), site_id)
            except SQLAlchemyError:
                logger.exception("job %s failed; it runs again next time", job.name)
            finally:
                session.close()

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_s):
            try:
                self.run_due_jobs()
            except Exception:  # noqa: BLE001 - the scheduler must outlive any single job's bug
                logger.exception("scheduler tick failed")


@register_job("leader_review", every_s=600)
def leader_review(runtime: Runtime, service: QueueService, site_id: int) -> None:
    """Once a week is over, raise its red items on the leader's board (once per site and week)."""
    from server.models import LeaderReview
    from server.queue.leadership import last_complete_week

    session = service.session
    site = session.get(Site, site_id)
    if site is None:
        return
    week = last_complete_week(site, runtime.clock.now())
    done = session.scalar(select(LeaderReview.id).where(LeaderReview.site_id == site_id, LeaderReview.week_start == week))
    session.rollback()
    if done is None:
        items = service.review_week(site_id, week)
        logger.info("site %s: week of %s reviewed, %d red item(s)", site_id, week, len(items))


@register_job("rating_flag_review", every_s=300)
def rating_flag_review(runtime: Runtime, service: QueueService, site_id: int) -> None:
    """The rating flags of today and the days a late phone rating can still change go to the event log
    when they changed, so the province sees them (server/queue/flag_reviews.py)."""
    from server.models import RatingFlagDay
    from server.queue.flag_reviews import REVIEW_DAYS, day_flags

    session = service.session
    site = session.get(Site, site_id)
    if site is None:
        return
    today = business_date(runtime.clock.now(), site.timezone)
    for day in (today - dt.timedelta(days=back) for back in range(REVIEW_DAYS - 1, -1, -1)):
        # Read first without the site's write lock; the verb reads again under it only when they changed.
        sent = session.scalar(select(RatingFlagDay.flags).where(RatingFlagDay.site_id == site_id,
                                                                RatingFlagDay.business_date == day))
        changed = day_flags(session, site_id, day) != list(sent or [])
        session.rollback()
        if changed and service.review_rating_flags(site_id, day):
            logger.info("site %s: rating flags of %s logged", site_id, day)


@register_job("forget_citizen_keys", every_s=3600)
def forget_citizen_keys(runtime: Runtime, service: QueueService, site_id: int) -> None:
    """Repeat-visit keys (hashed phone numbers or IDs) are deleted once their retention is over."""
    from server.models import CitizenKey

    due = service.session.scalar(select(func.count(CitizenKey.id)).where(
        CitizenKey.site_id == site_id, CitizenKey.expires_at <= runtime.clock.now()))
    service.session.rollback()
    if due:
        service.forget_expired_citizen_keys(site_id)

