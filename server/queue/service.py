"""QueueService: the one door into the domain core. Every change to the queue goes through one of its
verbs, each a single call into the concern module that owns it:

| concern | module | verbs |
|---|---|---|
| tickets | tickets.py | issue_ticket, call_next, recall, skip, start, finish, transfer, cancel, counter_action |
| counters | counters.py | open_counter, close_counter, pause_counter, resume_counter |
| ratings | ratings.py | rate |
| rating flags into the log | flag_reviews.py | review_rating_flags |
| printing | printing.py | reprint, record_print_result, fail_overdue_print_jobs |
| devices and alerts | devices.py, alerts.py | report_device_status, raise_overdue_device_alerts, acknowledge_alert, raise_alert, settle_alerts |
| the business day | day.py | issuing_state, expire_previous_days |
| announcements | announcements.py | record_setting_change |
| dossiers | dossiers.py | attach_dossier |
| the leader's board | leadership.py | review_week, record_leader_action, clear_leader_item |

All of them share one UnitOfWork (unit_of_work.py): the session, the clock, the event log with its seq
and hash chain, the commit and the publishing after it.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from server.models import Alert, Counter, DossierVisit, LeaderItem, PrintJob, Rating, Site, Ticket
from server.queue import queries
from server.queue.actors import Actor
from server.queue.alerts import Alerts
from server.queue.announcements import Announcements
from server.queue.clock import Clock
from server.queue.counters import Counters
from server.queue.day import Day, forget_calendars
from server.queue.devices import Devices
from server.queue.dossiers import Dossiers
from server.queue.flag_reviews import FlagReviews
from server.queue.leadership import Leadership
from server.queue.printing import Printing
from server.queue.ratings import RatingRequest, Ratings
from server.queue.rules import IssuingState
from server.queue.tickets import IssuedTicket, Tickets
from server.queue.unit_of_work import NullPublisher, Publisher, UnitOfWork

__all__ = ["QueueService", "IssuedTicket", "RatingRequest", "Publisher", "NullPublisher", "forget_calendars"]


class QueueService:
    """The domain core's write side. One instance per unit of work (request, socket event, job)."""

    def __init__(self, session: Session, clock: Clock | None = None, publisher: Publisher | None = None,
                 public_base_url: str = "", print_timeout_s: float = 10.0) -> None:
        self.uow = UnitOfWork(session, clock, publisher, public_base_url, print_timeout_s)
        self.tickets = Tickets(self.uow)
        self.counters = Counters(self.uow)
        self.ratings = Ratings(self.uow)
        self.printing = Printing(self.uow)
        self.devices = Devices(self.uow)
        self.alerts = Alerts(self.uow)
        self.day = Day(self.uow)
        self.announcements = Announcements(self.uow)
        self.dossiers = Dossiers(self.uow)
        self.leadership = Leadership(self.uow)
        self.flag_reviews = FlagReviews(self.uow)

    @property
    def session(self) -> Session:
        return self.uow.session

    @property
    def clock(self) -> Clock:
        return self.uow.clock

    @property
    def publisher(self) -> Publisher:
        return self.uow.publisher

    @publisher.setter
    def publisher(self, publisher: Publisher) -> None:
        self.uow.publisher = publisher

    @property
    def print_timeout_s(self) -> float:
        return self.uow.print_timeout_s

    # ------------------------------------------------------------------ tickets
    def issue_ticket(self, service_id: int, actor: Actor, priority_code: str | None = None, language: str = "vi",
                     idempotency_key: str | None = None, declared_visit: int | None = None) -> IssuedTicket:
        return self.tickets.issue(service_id, actor, priority_code, language, idempotency_key, declared_visit)

    def call_next(self, counter_id: int, actor: Actor, idempotency_key: str | None = None) -> Ticket:
        return self.tickets.call_next(counter_id, actor, idempotency_key)

    def recall(self, ticket_id: int, actor: Actor, counter_id: int | None = None) -> Ticket:
        return self.tickets.recall(ticket_id, actor, counter_id)

    def skip(self, ticket_id: int, actor: Actor) -> Ticket:
        return self.tickets.skip(ticket_id, actor)

    def start(self, ticket_id: int, actor: Actor) -> Ticket:
        return self.tickets.start(ticket_id, actor)

    def finish(self, ticket_id: int, actor: Actor) -> Ticket:
        return self.tickets.finish(ticket_id, actor)

    def transfer(self, ticket_id: int, actor: Actor, to_service_id: int | None = None,
                 to_counter_id: int | None = None, note: str = "") -> Ticket:
        return self.tickets.transfer(ticket_id, actor, to_service_id, to_counter_id, note)

    def cancel(self, ticket_id: int, actor: Actor) -> Ticket:
        return self.tickets.cancel(ticket_id, actor)

    def counter_action(self, counter_id: int, action: str, actor: Actor, press_id: str) -> Ticket | None:
        return self.tickets.counter_action(counter_id, action, actor, press_id)

    def position(self, ticket: Ticket) -> tuple[int, int]:
        """People ahead of a waiting ticket in its field, and the estimated wait in seconds."""
        return queries.position(self.session, ticket)

    # ------------------------------------------------------------------ counters
    def open_counter(self, counter_id: int, actor: Actor) -> Counter:
        return self.counters.open(counter_id, actor)

    def close_counter(self, counter_id: int, actor: Actor) -> Counter:
        return self.counters.close(counter_id, actor)

    def pause_counter(self, counter_id: int, actor: Actor, reason: str) -> Counter:
        return self.counters.pause(counter_id, actor, reason)

    def resume_counter(self, counter_id: int, actor: Actor) -> Counter:
        return self.counters.resume(counter_id, actor)

    # ------------------------------------------------------------------ dossiers
    def attach_dossier(self, ticket_id: int, actor: Actor, code: str, outcome: str,
                       missing: tuple[str, ...] | list[str] = (), citizen_key_hash: str | None = None) -> DossierVisit:
        return self.dossiers.attach(ticket_id, actor, code, outcome, missing, citizen_key_hash)

    def forget_expired_citizen_keys(self, site_id: int) -> int:
        return self.dossiers.forget_expired_citizen_keys(site_id)

    # ------------------------------------------------------------------ the leader's board
    def review_week(self, site_id: int, week_start: dt.date) -> list[LeaderItem]:
        return self.leadership.review_week(site_id, week_start)

    def record_leader_action(self, item_id: int, actor: Actor, action: str, due: dt.date) -> LeaderItem:
        return self.leadership.record_action(item_id, actor, action, due)

    def clear_leader_item(self, item_id: int, actor: Actor, note: str) -> LeaderItem:
        return self.leadership.clear_item(item_id, actor, note)

    # ------------------------------------------------------------------ ratings
    def review_rating_flags(self, site_id: int, day: dt.date) -> bool:
        return self.flag_reviews.review_rating_flags(site_id, day)

    def rate(self, request: RatingRequest, actor: Actor, idempotency_key: str | None = None) -> Rating:
        return self.ratings.rate(request, actor, idempotency_key)

    # ------------------------------------------------------------------ printing
    def public_url(self, ticket: Ticket) -> str:
        return self.printing.public_url(ticket)

    def reprint(self, ticket_id: int, actor: Actor, kiosk_device_id: int | None = None) -> int:
        return self.printing.reprint(ticket_id, actor, kiosk_device_id)

    def record_print_result(self, job_id: int, actor: Actor, ok: bool, error: str = "", message: str = "") -> PrintJob:
        return self.printing.record_result(job_id, actor, ok, error, message)

    def fail_overdue_print_jobs(self, site_id: int) -> int:
        return self.printing.fail_overdue_jobs(site_id)

    # ------------------------------------------------------------------ devices and alerts
    def report_device_status(self, device_id: int, status: str, message: str = "", hardware: str | None = None) -> None:
        self.devices.report_status(device_id, status, message, hardware)

    def raise_overdue_device_alerts(self, site_id: int) -> int:
        return self.devices.raise_overdue_alerts(site_id)

    def acknowledge_alert(self, alert_id: int, actor: Actor) -> Alert:
        return self.alerts.acknowledge(alert_id, actor)

    def raise_alert(self, site_id: int, kind: str, dedupe_key: str, message: str, params: dict[str, Any]) -> None:
        self.alerts.raise_checked(site_id, kind, dedupe_key, message, params)

    def settle_alerts(self, site_id: int, kinds: tuple[str, ...], still_true: set[str]) -> int:
        return self.alerts.settle_checked(site_id, kinds, still_true)

    # ------------------------------------------------------------------ the day and announcements
    def issuing_state(self, site: Site, now: dt.datetime | None = None) -> IssuingState:
        return self.day.issuing_state(site, now)

    def expire_previous_days(self, site_id: int) -> int:
        return self.day.expire_previous_days(site_id)

    def record_setting_change(self, site_id: int, event_type: str, payload: dict[str, Any]) -> None:
        self.announcements.record_setting_change(site_id, event_type, payload)
