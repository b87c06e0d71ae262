"""QueueService: every change to the queue goes through one of its verbs.

Each verb: load → check (raise a meaningful error) → change → append event rows → commit → publish
after the commit succeeded. Only this layer commits. Writers of one site are serialised by locking
the site row first (SQLite: BEGIN IMMEDIATE does the same), so two clerks can never take the same
ticket and event sequence numbers have no gaps.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
import threading
from dataclasses import dataclass
from zoneinfo import ZoneInfo
from typing import Any, Callable, Iterable, Protocol, TypeVar

from sqlalchemy import case, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from server import errors
from server.db import WRITE_OPTION
from server.errors import N_
from server.models import (
    Alert,
    Counter,
    CounterStatus,
    DailySequence,
    Device,
    DeviceKind,
    Event,
    Holiday,
    IdempotencyRecord,
    PrintJob,
    PrintJobStatus,
    PriorityCategory,
    Rating,
    RatingAttempt,
    RatingChannel,
    RatingWindow,
    Service,
    Site,
    Ticket,
    TicketStatus,
    WorkingSession,
)
from server.queue import events as ev
from server.queue import queries
from server.queue.actors import SYSTEM, Actor
from server.queue.clock import Clock, SystemClock
from server.queue.rules import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    Candidate,
    IssuingState,
    NumberFormat,
    Verb,
    WorkingPeriod,
    business_date,
    choose_next,
    issuing_state,
    next_status,
)
from server.queue.site_settings import SiteSettings, kiosk_settings, site_settings

logger = logging.getLogger(__name__)

T = TypeVar("T")


_calendar_cache: dict[tuple[int, int, int, dt.date], tuple[list[WorkingPeriod], set[dt.date]]] = {}
_calendar_lock = threading.Lock()


def forget_calendars() -> None:
    """Drop cached working hours (tests start each database from scratch)."""
    with _calendar_lock:
        _calendar_cache.clear()


class Publisher(Protocol):
    """Pushes committed events to connected clients (Socket.IO in the server)."""

    def publish(self, events: list[ev.DomainEvent]) -> None: ...


class NullPublisher:
    """For command-line tools: the events are in the log; nobody is connected to hear them."""

    def publish(self, events: list[ev.DomainEvent]) -> None:
        return None


@dataclass(frozen=True)
class IssuedTicket:
    ticket: Ticket
    ahead: int
    estimated_wait_s: int
    print_job_id: int | None
    replayed: bool = False


@dataclass(frozen=True)
class RatingRequest:
    """What the rater presents: a ticket id (terminal, keypad) or the ticket's public token (phone)."""

    score: int
    ticket_id: int | None = None
    token: str | None = None
    reasons: tuple[str, ...] = ()
    comment: str = ""
    remote_addr: str = ""
    # A bridge rates for the counter its keypad hangs on, given with the key press.
    counter_id: int | None = None
    # The token of the rating window a keypad press fell in (from `rating_requested`), when known.
    window_token: str | None = None


def verb(method: Callable[..., T]) -> Callable[..., T]:
    """A unit of work that writes: it runs in its own write transaction (BEGIN IMMEDIATE on SQLite,
    after any read transaction of the caller has ended), leaves nothing behind when it is refused or
    fails, and publishes its events only after the commit and after the write lock is released."""

    @functools.wraps(method)
    def run(self: "QueueService", *args: Any, **kwargs: Any) -> T:
        if self._verb_depth:
            return method(self, *args, **kwargs)  # a verb calling another: same unit of work
        self._verb_depth += 1
        try:
            if self.session.in_transaction():
                self.session.commit()  # the caller's reads (e.g. its log-in check) end here
            self.session.connection(execution_options={WRITE_OPTION: True})
            result = method(self, *args, **kwargs)
        except BaseException:
            self._outbox.clear()
            self._published.clear()
            self._last_seq.clear()
            self.session.rollback()
            raise
        finally:
            self._verb_depth -= 1
        self._publish_committed()  # after the commit, which also gave back SQLite's write lock
        return result

    return run


class QueueService:
    """The domain core's write side. One instance per unit of work (request, socket event, job)."""

    def __init__(
        self,
        session: Session,
        clock: Clock | None = None,
        publisher: Publisher | None = None,
        public_base_url: str = "",
        print_timeout_s: float = 10.0,
    ) -> None:
        self.session = session
        self.clock = clock or SystemClock()
        self.publisher = publisher or NullPublisher()
        self.public_base_url = public_base_url.rstrip("/")
        self.print_timeout_s = print_timeout_s
        self._outbox: list[ev.DomainEvent] = []
        self._published: list[ev.DomainEvent] = []  # committed, waiting to be pushed
        self._verb_depth = 0
        self._last_seq: dict[int, int] = {}  # the seq this unit of work last took, per site
        self._actor: Actor = SYSTEM

    # ------------------------------------------------------------------ issuing

    @verb
    def issue_ticket(
        self,
        service_id: int,
        actor: Actor,
        priority_code: str | None = None,
        language: str = "vi",
        idempotency_key: str | None = None,
    ) -> IssuedTicket:
        """Give the citizen the next number of a field; queue a print job for a kiosk's printer."""
        self._actor = actor
        service = self.session.get(Service, service_id)
        if service is None or (actor.site_id is not None and service.site_id != actor.site_id):
            raise errors.ServiceNotFound()
        site = self._lock_site(service.site_id)
        replay = self._replay(actor, idempotency_key)
        if replay is not None:
            ticket = self._ticket(int(replay["ticket_id"]))
            ahead, wait = self.position(ticket)
            self._end_read()
            return IssuedTicket(ticket, ahead, wait, replay.get("print_job_id"), replayed=True)
        if not service.active:
            raise errors.ServiceInactive()
        settings = site_settings(site.settings)
        category = self._priority_category(site.id, priority_code)
        now = self.clock.now()
        state = self.issuing_state(site, now)
        if not state.open:
            raise errors.IssuingClosed(
                reason=state.reason.value if state.reason else "outside_hours",
                opens_at=state.opens_at.isoformat() if state.opens_at else None,
            )
        day = business_date(now, site.timezone)
        sequence = self._allocate_sequence(service.id, day)
        if service.daily_quota is not None and sequence > service.daily_quota:
            raise errors.QuotaReached(service_name=service.name)
        number = _number_format(service).format(sequence)
        ticket = Ticket(
            site_id=site.id,
            service_id=service.id,
            business_date=day,
            sequence=sequence,
            number=number,
            status=TicketStatus.WAITING,
            priority_category_id=category.id if category else None,
            priority_level=category.level if category else 0,
            issued_at=now,
            issued_by_device_id=actor.id if actor.kind == "device" else None,
            issued_by_staff_id=actor.id if actor.kind == "staff" else None,
            public_token=secrets.token_urlsafe(18),
            language=language if language in ("vi", "en") else "vi",
        )
        self.session.add(ticket)
        self.session.flush()
        ahead, wait = self.position(ticket)
        self._record(
            ev.TICKET_ISSUED,
            site.id,
            {
                **self._ticket_payload(ticket),
                "priority": category.code if category else None,
                "waiting": self._waiting_counts(site.id, day, [service.id]),
            },
            ev.ticket_event_rooms(site.id, ticket.id, None),
            ticket_id=ticket.id,
        )
        print_job_id = None
        if actor.is_device(DeviceKind.KIOSK.value):
            kiosk = self.session.get(Device, actor.id)
            if kiosk is not None and kiosk_settings(kiosk.settings).printer:
                print_job_id = self._queue_print_job(site, settings, ticket, kiosk, ahead, wait, reprint=False)
        self._commit(idempotency_key, ticket_id=ticket.id, print_job_id=print_job_id)
        return IssuedTicket(ticket, ahead, wait, print_job_id)

    def issuing_state(self, site: Site, now: dt.datetime | None = None) -> IssuingState:
        now = now or self.clock.now()
        periods, holidays = self._calendar(site, business_date(now, site.timezone))
        return issuing_state(now, site.timezone, periods, holidays, site_settings(site.settings).cutoff)

    def _calendar(self, site: Site, today: dt.date) -> tuple[list[WorkingPeriod], set[dt.date]]:
        """Working sessions and the coming holidays, cached per site configuration version."""
        key = (id(self.session.get_bind()), site.id, site.config_version, today)
        with _calendar_lock:
            cached = _calendar_cache.get(key)
        if cached is not None:
            return cached
        periods = [
            WorkingPeriod(row.weekday, row.opens_at, row.closes_at)
            for row in self.session.scalars(select(WorkingSession).where(WorkingSession.site_id == site.id))
        ]
        holidays = set(
            self.session.scalars(
                select(Holiday.date).where(
                    Holiday.site_id == site.id, Holiday.date.between(today, today + dt.timedelta(days=15))
                )
            )
        )
        with _calendar_lock:
            if len(_calendar_cache) > 1000:
                _calendar_cache.clear()
            _calendar_cache[key] = (periods, holidays)
        return periods, holidays

    def position(self, ticket: Ticket) -> tuple[int, int]:
        """People ahead of a waiting ticket in its field, and the estimated wait in seconds."""
        return queries.position(self.session, ticket)

    # ------------------------------------------------------------------ calling

    @verb
    def call_next(self, counter_id: int, actor: Actor, idempotency_key: str | None = None) -> Ticket:
        """Call the next citizen to a counter; a ticket still active there is finished first."""
        self._actor = actor
        counter = self._counter(counter_id)
        site = self._lock_site(counter.site_id)
        self.session.refresh(counter)
        replay = self._replay(actor, idempotency_key)
        if replay is not None:
            ticket = self._ticket(int(replay["ticket_id"]))
            self._end_read()
            return ticket
        self._check_counter_actor(counter, actor)
        self._check_counter_working(counter)
        now = self.clock.now()
        day = business_date(now, site.timezone)
        settings = site_settings(site.settings)
        for current in self._active_tickets(counter.id):
            self._finish(current, site, settings, now)
        chosen = choose_next(
            self._candidates(counter, day),
            {service_id: index for index, service_id in enumerate(counter.service_ids)},
            self._priority_calls_in_row(counter.id, day, settings.max_priority_in_row),
            settings.calling_policy,
        )
        if chosen is None:
            self._commit()  # a finished previous ticket must still be saved
            raise errors.NoTicketWaiting()
        ticket = self._ticket(chosen.ticket_id)
        self._call(ticket, counter, actor, now)
        self._commit(idempotency_key, ticket_id=ticket.id)
        return ticket

    @verb
    def recall(self, ticket_id: int, actor: Actor, counter_id: int | None = None) -> Ticket:
        """Call a ticket again (it stays called), or bring back a no-show of the same day."""
        self._actor = actor
        ticket = self._ticket(ticket_id)
        site = self._lock_site(ticket.site_id)
        self.session.refresh(ticket)
        now = self.clock.now()
        if ticket.status is TicketStatus.NO_SHOW:
            if ticket.business_date != business_date(now, site.timezone):
                raise errors.InvalidTransition(current=ticket.status.value, verb=Verb.RECALL.value)
            counter = self._counter(counter_id or self._counter_of_actor(actor) or ticket.counter_id or 0)
            self._check_counter_actor(counter, actor)
            self._check_counter_working(counter)
            settings = site_settings(site.settings)
            for current in self._active_tickets(counter.id):
                self._finish(current, site, settings, now)
            next_status(ticket.status, Verb.RECALL)
            self._call(ticket, counter, actor, now, event_type=ev.TICKET_RECALLED)
        else:
            counter, ticket.status = self._counter_holding(ticket, actor, Verb.RECALL)
            ticket.called_at = now
            ticket.call_count += 1
            self._record_ticket_event(ev.TICKET_RECALLED, ticket, counter)
        self._commit()
        return ticket

    @verb
    def skip(self, ticket_id: int, actor: Actor) -> Ticket:
        """The called citizen did not come: no-show (recallable later the same day)."""
        self._actor = actor
        ticket = self._ticket(ticket_id)
        self._lock_site(ticket.site_id)
        self.session.refresh(ticket)
        counter, ticket.status = self._counter_holding(ticket, actor, Verb.SKIP)
        ticket.ended_at = self.clock.now()
        self._record_ticket_event(ev.TICKET_SKIPPED, ticket, counter)
        self._commit()
        return ticket

    @verb
    def start(self, ticket_id: int, actor: Actor) -> Ticket:
        self._actor = actor
        ticket = self._ticket(ticket_id)
        self._lock_site(ticket.site_id)
        self.session.refresh(ticket)
        counter, ticket.status = self._counter_holding(ticket, actor, Verb.START)
        ticket.started_at = self.clock.now()
        self._record_ticket_event(ev.TICKET_STARTED, ticket, counter)
        self._commit()
        return ticket

    @verb
    def finish(self, ticket_id: int, actor: Actor) -> Ticket:
        """Service is over: the counter's rating terminal or keypad opens for this ticket."""
        self._actor = actor
        ticket = self._ticket(ticket_id)
        site = self._lock_site(ticket.site_id)
        self.session.refresh(ticket)
        self._counter_holding(ticket, actor, Verb.FINISH)
        self._finish(ticket, site, site_settings(site.settings), self.clock.now())
        self._commit()
        return ticket

    @verb
    def transfer(
        self,
        ticket_id: int,
        actor: Actor,
        to_service_id: int | None = None,
        to_counter_id: int | None = None,
        note: str = "",
    ) -> Ticket:
        """Send a called or served citizen back to the waiting line of another field or counter."""
        self._actor = actor
        if (to_service_id is None) == (to_counter_id is None):
            raise errors.ValidationFailed(
                fields={"service_id": N_("choose one field or one counter"), "counter_id": N_("choose one field or one counter")}
            )
        ticket = self._ticket(ticket_id)
        site = self._lock_site(ticket.site_id)
        self.session.refresh(ticket)
        counter, new_status = self._counter_holding(ticket, actor, Verb.TRANSFER)
        from_service_id = ticket.service_id
        from_clerk_id = ticket.clerk_id  # reports count the transfer for the clerk who made it
        if to_service_id is not None:
            target_service = self.session.get(Service, to_service_id)
            if target_service is None or target_service.site_id != site.id or not target_service.active:
                raise errors.ServiceNotFound()
            ticket.service_id = target_service.id
            ticket.target_counter_id = None
        else:
            target_counter = self.session.get(Counter, to_counter_id)
            if target_counter is None or target_counter.site_id != site.id or not target_counter.active:
                raise errors.CounterNotFound()
            if target_counter.id == counter.id:
                raise errors.ValidationFailed(fields={"counter_id": N_("the ticket is already at this counter")})
            ticket.target_counter_id = target_counter.id
        ticket.status = new_status
        ticket.transfer_count += 1
        ticket.transfer_note = note[:300]
        ticket.counter_id = None
        ticket.clerk_id = None
        ticket.called_at = None
        ticket.started_at = None
        payload = {
            **self._ticket_payload(ticket, counter),
            "counter_id": counter.id,
            "counter_number": counter.number,
            "from_service_id": from_service_id,
            "from_clerk_id": from_clerk_id,
            "to_service_id": ticket.service_id,
            "to_counter_id": ticket.target_counter_id,
            "note": ticket.transfer_note,
            "waiting": self._waiting_counts(site.id, ticket.business_date, {from_service_id, ticket.service_id}),
        }
        rooms = ev.ticket_event_rooms(site.id, ticket.id, counter.id)
        if ticket.target_counter_id is not None:
            rooms = (*rooms, ev.counter_room(ticket.target_counter_id))
        self._record(ev.TICKET_TRANSFERRED, site.id, payload, rooms, ticket_id=ticket.id, counter_id=counter.id)
        self._commit()
        return ticket

    @verb
    def cancel(self, ticket_id: int, actor: Actor) -> Ticket:
        """A supervisor removes a waiting ticket (the citizen left, or it was issued by mistake)."""
        self._actor = actor
        if not actor.is_supervisor:
            raise errors.Forbidden()
        ticket = self._ticket(ticket_id)
        site = self._lock_site(ticket.site_id)
        self.session.refresh(ticket)
        ticket.status = next_status(ticket.status, Verb.CANCEL)
        ticket.ended_at = self.clock.now()
        self._record(
            ev.TICKET_CANCELLED,
            site.id,
            {**self._ticket_payload(ticket), "waiting": self._waiting_counts(site.id, ticket.business_date, [ticket.service_id])},
            ev.ticket_event_rooms(site.id, ticket.id, None),
            ticket_id=ticket.id,
        )
        self._commit()
        return ticket

    # ------------------------------------------------------------------ counters

    @verb
    def open_counter(self, counter_id: int, actor: Actor) -> Counter:
        """A clerk sits down at a counter (or a supervisor opens it for the clerk already assigned)."""
        self._actor = actor
        counter = self._counter(counter_id)
        self._lock_site(counter.site_id)
        self.session.refresh(counter)
        if actor.kind == "staff" and actor.role == "clerk":
            if counter.clerk_id not in (None, actor.id) and counter.status is not CounterStatus.CLOSED:
                raise errors.NotClerkOfCounter(counter_number=counter.number)
            # A clerk works one counter at a time.
            for other in self.session.scalars(
                select(Counter).where(Counter.clerk_id == actor.id, Counter.id != counter.id)
            ):
                other.clerk_id = None
                other.status = CounterStatus.CLOSED
                self._record_counter_status(other)
            counter.clerk_id = actor.id
        elif not actor.is_supervisor:
            raise errors.Forbidden()
        counter.status = CounterStatus.OPEN
        counter.pause_reason = ""
        counter.status_changed_at = self.clock.now()
        self._record_counter_status(counter)
        self._commit()
        return counter

    @verb
    def close_counter(self, counter_id: int, actor: Actor) -> Counter:
        self._actor = actor
        counter = self._counter(counter_id)
        self._lock_site(counter.site_id)
        self.session.refresh(counter)
        self._check_counter_actor(counter, actor)
        counter.status = CounterStatus.CLOSED
        counter.status_changed_at = self.clock.now()
        self._record_counter_status(counter)
        self._commit()
        return counter

    @verb
    def pause_counter(self, counter_id: int, actor: Actor, reason: str) -> Counter:
        self._actor = actor
        counter = self._counter(counter_id)
        self._lock_site(counter.site_id)
        self.session.refresh(counter)
        self._pause(counter, actor, reason)
        self._commit()
        return counter

    def _pause(self, counter: Counter, actor: Actor, reason: str) -> None:
        self._check_counter_actor(counter, actor)
        if counter.status is CounterStatus.CLOSED:
            raise errors.CounterClosed(counter_number=counter.number)
        if counter.status is CounterStatus.PAUSED:
            raise errors.InvalidTransition(current=counter.status.value, verb="pause")
        if not reason.strip():
            raise errors.ValidationFailed(fields={"reason": N_("required")})
        counter.status = CounterStatus.PAUSED
        counter.pause_reason = reason.strip()[:200]
        counter.status_changed_at = self.clock.now()
        self._record_counter_status(counter)

    @verb
    def resume_counter(self, counter_id: int, actor: Actor) -> Counter:
        self._actor = actor
        counter = self._counter(counter_id)
        self._lock_site(counter.site_id)
        self.session.refresh(counter)
        self._resume(counter, actor)
        self._commit()
        return counter

    def _resume(self, counter: Counter, actor: Actor) -> None:
        self._check_counter_actor(counter, actor)
        if counter.status is not CounterStatus.PAUSED:
            raise errors.InvalidTransition(current=counter.status.value, verb="resume")
        counter.status = CounterStatus.OPEN
        counter.pause_reason = ""
        counter.status_changed_at = self.clock.now()
        self._record_counter_status(counter)

    @verb
    def counter_action(self, counter_id: int, action: str, actor: Actor, press_id: str) -> Ticket | None:
        """A call keypad's key: the same verbs as the console, applied once per press_id."""
        self._actor = actor
        counter = self._counter(counter_id)
        self._lock_site(counter.site_id)
        replay = self._replay(actor, press_id)
        if replay is not None:
            ticket = self._ticket(int(replay["ticket_id"])) if replay.get("ticket_id") else None
            self._end_read()
            return ticket
        if action == "call_next":
            return self.call_next(counter_id, actor, idempotency_key=press_id)
        if action == "pause":
            self._pause(counter, actor, "Tạm dừng từ bàn phím gọi số")
            self._commit(press_id, counter_id=counter.id)
            return None
        if action == "resume":
            self._resume(counter, actor)
            self._commit(press_id, counter_id=counter.id)
            return None
        verbs = {"recall": Verb.RECALL, "skip": Verb.SKIP, "start": Verb.START, "finish": Verb.FINISH}
        if action not in verbs:
            raise errors.ValidationFailed(fields={"action": action})
        current = self._active_tickets(counter.id)
        if not current:
            raise errors.InvalidTransition(current="none", verb=verbs[action].value)
        ticket = current[0]
        counter, target = self._counter_holding(ticket, actor, verbs[action])
        now = self.clock.now()
        if action == "finish":
            site = self.session.get(Site, counter.site_id)
            assert site is not None
            self._finish(ticket, site, site_settings(site.settings), now)
        else:
            ticket.status = target
            event_type = {"recall": ev.TICKET_RECALLED, "skip": ev.TICKET_SKIPPED, "start": ev.TICKET_STARTED}[action]
            if action == "recall":
                ticket.called_at = now
                ticket.call_count += 1
            elif action == "skip":
                ticket.ended_at = now
            else:
                ticket.started_at = now
            self._record_ticket_event(event_type, ticket, counter)
        self._commit(press_id, ticket_id=ticket.id)
        return ticket

    # ------------------------------------------------------------------ ratings

    def rate(self, request: RatingRequest, actor: Actor, idempotency_key: str | None = None) -> Rating:
        """Record a citizen's rating; every refusal is kept in rating_attempts before it is raised."""
        self._actor = actor
        if idempotency_key:
            replay = self._replay(actor, idempotency_key)
            if replay is not None:
                rating = self.session.get(Rating, int(replay["rating_id"]))
                self._end_read()
                if rating is not None:
                    return rating
        try:
            return self._rate(request, actor, idempotency_key)
        except errors.HangChoError as refusal:
            self.session.rollback()
            self._record_refused_rating(request, actor, refusal)
            raise

    @verb
    def _rate(self, request: RatingRequest, actor: Actor, idempotency_key: str | None) -> Rating:
        """The rules of who may rate what, and when (docs/ratings.md); the unique ticket_id backs them."""
        if actor.kind == "staff":
            raise errors.StaffCannotRate()
        if actor.kind not in ("device", "citizen"):
            raise errors.Forbidden()
        if actor.kind == "device" and actor.role not in (DeviceKind.RATING_TERMINAL.value, DeviceKind.BRIDGE.value):
            raise errors.Forbidden()
        now = self.clock.now()
        self._check_rating_rate_limit(actor, request, now)
        if not 1 <= request.score <= 5:
            raise errors.ValidationFailed(fields={"score": N_("must be at least %(ge)s") % {"ge": 1}})
        ticket = self._rating_ticket(request, actor)
        site = self._lock_site(ticket.site_id)
        self.session.refresh(ticket)
        settings = site_settings(site.settings)
        if actor.kind == "device":
            # A device may only rate the ticket just finished at its own counter, inside the window.
            counter_id = actor.counter_id if actor.role == DeviceKind.RATING_TERMINAL.value else request.counter_id
            if counter_id is None or ticket.counter_id != counter_id:
                raise errors.NotThisCounter()
        if ticket.status is not TicketStatus.DONE:
            raise errors.TicketNotServed()
        if self.session.scalar(select(Rating.id).where(Rating.ticket_id == ticket.id)) is not None:
            raise errors.AlreadyRated()
        window = self.session.scalar(select(RatingWindow).where(RatingWindow.ticket_id == ticket.id))
        if actor.kind == "device":
            self._check_rating_window(ticket, window, request, now)
            channel = RatingChannel.TERMINAL if actor.role == DeviceKind.RATING_TERMINAL.value else RatingChannel.KEYPAD
        else:
            # The token is printed on paper that outlives the visit (left on a chair, handed over at the
            # counter): it rates once, and only for a limited time after the service.
            finished_at = ticket.finished_at or ticket.ended_at
            if finished_at is None or now > finished_at + dt.timedelta(hours=settings.rating.phone_window_hours):
                raise errors.RatingWindowClosed(message=errors.N_("The time to rate this visit has passed."))
            channel = RatingChannel.PHONE
        allowed_reasons = {reason.code for reason in settings.rating.reasons}
        unknown = [code for code in request.reasons if code not in allowed_reasons]
        if unknown:
            raise errors.ValidationFailed(fields={"reasons": "unknown: " + ", ".join(unknown)})
        rating = Rating(
            ticket_id=ticket.id,
            site_id=ticket.site_id,
            service_id=ticket.service_id,
            counter_id=ticket.counter_id,
            clerk_id=ticket.clerk_id,
            score=request.score,
            reasons=list(dict.fromkeys(request.reasons)),
            comment=request.comment.strip()[:1000],
            channel=channel,
            device_id=actor.id if actor.kind == "device" else None,
            created_at=now,
        )
        self.session.add(rating)
        if window is not None and window.closed_at is None:
            window.closed_at = now
            self._record(
                ev.RATING_CLOSED,
                site.id,
                {"counter_id": window.counter_id, "ticket_id": ticket.id, "reason": "rated"},
                (ev.rating_room(window.counter_id),),
                ticket_id=ticket.id,
                counter_id=window.counter_id,
                logged=False,
            )
        self.session.add(
            RatingAttempt(
                site_id=ticket.site_id,
                ticket_id=ticket.id,
                device_id=rating.device_id,
                channel=rating.channel.value,
                accepted=True,
                remote_addr=request.remote_addr[:64],
                created_at=now,
            )
        )
        try:
            self.session.flush()
        except IntegrityError:
            # The unique ticket_id is the real guard: a racing second rating lands here.
            raise errors.AlreadyRated() from None
        self._record(
            ev.RATING_RECEIVED,
            site.id,
            {
                "rating_id": rating.id,
                "id": ticket.id,
                "ticket_id": ticket.id,
                "number": ticket.number,
                "service_id": ticket.service_id,
                "counter_id": ticket.counter_id,
                "clerk_id": ticket.clerk_id,
                "score": rating.score,
                "reasons": rating.reasons,
                "channel": rating.channel.value,
            },
            # Dashboards only: the clerk's console and the counter room never see a rating.
            (ev.dashboard_room(site.id),),
            ticket_id=ticket.id,
            counter_id=ticket.counter_id,
        )
        if rating.score <= settings.alerts.low_rating_max:
            self._raise_alert(
                site.id,
                "low_rating",
                f"rating:{rating.ticket_id}",
                "Low rating %(score)s for ticket %(number)s at counter %(counter_number)s",
                {"score": rating.score, "number": ticket.number, "counter_number": self._counter_number(ticket.counter_id)},
            )
        self._commit(idempotency_key, rating_id=rating.id)
        return rating

    def _check_rating_window(self, ticket: Ticket, window: RatingWindow | None, request: RatingRequest,
                             now: dt.datetime) -> None:
        """A counter's device rates only the latest ticket finished there, while its window is open."""
        latest = self.session.scalar(
            select(RatingWindow)
            .where(RatingWindow.counter_id == ticket.counter_id)
            .order_by(RatingWindow.opens_at.desc(), RatingWindow.id.desc())
            .limit(1)
        )
        if window is None or latest is None or latest.id != window.id:
            raise errors.RatingWindowClosed()
        if window.closed_at is not None or not window.opens_at <= now < window.closes_at:
            raise errors.RatingWindowClosed()
        # A keypad press carries the token of the window it fell in: a press meant for an earlier
        # citizen must not land on the next one.
        if request.window_token is not None and not secrets.compare_digest(request.window_token, window.token):
            raise errors.RatingWindowClosed()

    def _rating_ticket(self, request: RatingRequest, actor: Actor) -> Ticket:
        """The ticket being rated: by its public token for a citizen, by id for a counter's device."""
        if actor.kind == "citizen":
            if not request.token:
                raise errors.InvalidRatingToken()
            ticket = self.session.scalar(select(Ticket).where(Ticket.public_token == request.token))
            if ticket is None or (request.ticket_id is not None and request.ticket_id != ticket.id):
                raise errors.InvalidRatingToken()
            return ticket
        if request.ticket_id is None:
            raise errors.ValidationFailed(fields={"ticket_id": N_("required")})
        ticket = self.session.get(Ticket, request.ticket_id)
        if ticket is None or (actor.site_id is not None and ticket.site_id != actor.site_id):
            raise errors.TicketNotFound()
        return ticket

    def _check_rating_rate_limit(self, actor: Actor, request: RatingRequest, now: dt.datetime) -> None:
        """At most `attempts_per_minute` attempts (accepted or refused) per device, or per address for phones."""
        site = self.session.get(Site, actor.site_id) if actor.site_id else None
        limit = site_settings(site.settings if site else None).rating.attempts_per_minute
        recent = select(func.count(RatingAttempt.id)).where(RatingAttempt.created_at >= now - dt.timedelta(minutes=1))
        if actor.kind == "device":
            recent = recent.where(RatingAttempt.device_id == actor.id)
        else:
            # Phones have no identity of their own: the address limits token guessing.
            recent = recent.where(RatingAttempt.device_id.is_(None), RatingAttempt.staff_id.is_(None),
                                  RatingAttempt.remote_addr == request.remote_addr[:64])
        if (self.session.scalar(recent) or 0) >= limit:
            raise errors.RatingRateLimited()

    @verb
    def _record_refused_rating(self, request: RatingRequest, actor: Actor, refusal: errors.HangChoError) -> None:
        """Keep every refused attempt (who, which ticket, why) for audit; it also feeds the rate limit."""
        ticket_id = request.ticket_id
        if ticket_id is not None and self.session.get(Ticket, ticket_id) is None:
            ticket_id = None
        if request.token:
            ticket_id = self.session.scalar(select(Ticket.id).where(Ticket.public_token == request.token)) or ticket_id
        if actor.kind == "device":
            channel = {DeviceKind.RATING_TERMINAL.value: RatingChannel.TERMINAL.value,
                       DeviceKind.BRIDGE.value: RatingChannel.KEYPAD.value}.get(actor.role or "", f"device:{actor.role}")
        else:
            channel = RatingChannel.PHONE.value if actor.kind == "citizen" else actor.kind
        self.session.add(
            RatingAttempt(
                site_id=actor.site_id or (self.session.scalar(select(Ticket.site_id).where(Ticket.id == ticket_id))
                                          if ticket_id else None),
                ticket_id=ticket_id,
                device_id=actor.id if actor.kind == "device" else None,
                staff_id=actor.id if actor.kind == "staff" else None,
                channel=channel[:24],
                accepted=False,
                error=refusal.code[:48],
                remote_addr=request.remote_addr[:64],
                created_at=self.clock.now(),
            )
        )
        self._commit()

    # ------------------------------------------------------------------ printing

    @verb
    def reprint(self, ticket_id: int, actor: Actor, kiosk_device_id: int | None = None) -> int:
        """Send a ticket to a kiosk's printer again (the citizen keeps the same number and QR)."""
        self._actor = actor
        ticket = self._ticket(ticket_id)
        site = self._lock_site(ticket.site_id)
        kiosk_id = kiosk_device_id or (actor.id if actor.is_device(DeviceKind.KIOSK.value) else None) or ticket.issued_by_device_id
        kiosk = self.session.get(Device, kiosk_id) if kiosk_id else None
        if kiosk is None or kiosk.kind is not DeviceKind.KIOSK or kiosk.site_id != site.id:
            raise errors.NotFound()
        if actor.is_device(DeviceKind.KIOSK.value) and actor.id != ticket.issued_by_device_id:
            raise errors.Forbidden()
        if not kiosk_settings(kiosk.settings).printer:
            raise errors.KioskHasNoPrinter()
        ahead, wait = self.position(ticket)
        job_id = self._queue_print_job(site, site_settings(site.settings), ticket, kiosk, ahead, wait, reprint=True)
        self._commit()
        return job_id

    @verb
    def record_print_result(self, job_id: int, actor: Actor, ok: bool, error: str = "", message: str = "") -> PrintJob:
        """The bridge reports how a print job went; a failure reaches the kiosk and the supervisor."""
        self._actor = actor
        job = self.session.get(PrintJob, job_id)
        if job is None or (actor.site_id is not None and job.site_id != actor.site_id):
            raise errors.NotFound()
        self._lock_site(job.site_id)
        self.session.refresh(job)
        late_success = ok and job.status is PrintJobStatus.FAILED and job.error == "timeout"
        if job.status is not PrintJobStatus.PENDING and not late_success:
            self._end_read()
            return job  # a repeated report (the bridge retries until acknowledged)
        # A slow printer (a raster ticket at 9600 baud takes many seconds) may finish after the time-out
        # failed its job: the ticket did print, so the kiosk hears "printed" after all.
        self._settle_print_job(job, ok, error, message)
        self._commit()
        return job

    @verb
    def fail_overdue_print_jobs(self, site_id: int) -> int:
        """Print jobs no bridge answered in time are failed, so the kiosk and supervisor know."""
        self._lock_site(site_id)
        deadline = self.clock.now() - dt.timedelta(seconds=self.print_timeout_s)
        overdue = list(
            self.session.scalars(
                select(PrintJob).where(
                    PrintJob.site_id == site_id,
                    PrintJob.status == PrintJobStatus.PENDING,
                    PrintJob.created_at <= deadline,
                )
            )
        )
        for job in overdue:
            self._settle_print_job(job, False, "timeout", "No printer answered in time.")
        self._commit()
        return len(overdue)

    def _settle_print_job(self, job: PrintJob, ok: bool, error: str, message: str) -> None:
        job.status = PrintJobStatus.PRINTED if ok else PrintJobStatus.FAILED
        job.error = "" if ok else (error or "error")[:48]
        job.message = message[:300]
        job.finished_at = self.clock.now()
        ticket = self.session.get(Ticket, job.ticket_id)
        payload = {
            "job_id": job.id,
            "kiosk_id": job.kiosk_device_id,
            "id": job.ticket_id,
            "ticket_id": job.ticket_id,
            "number": ticket.number if ticket else None,
            "ok": ok,
            "error": job.error or None,
            "message": job.message,
        }
        rooms: tuple[str, ...] = (ev.kiosk_room(job.kiosk_device_id),)
        if not ok:
            rooms = (*rooms, ev.dashboard_room(job.site_id))
            self._raise_alert(
                job.site_id,
                "printer_problem",
                f"printer:{job.kiosk_device_id}",
                N_("Printer of kiosk %(kiosk_id)s failed (%(error)s) on ticket %(number)s"),
                {"kiosk_id": job.kiosk_device_id, "error": job.error, "number": payload["number"]},
            )
        self._record(ev.PRINT_RESULT, job.site_id, payload, rooms, ticket_id=job.ticket_id, logged=False)

    def _queue_print_job(
        self, site: Site, settings: SiteSettings, ticket: Ticket, kiosk: Device, ahead: int, wait: int, reprint: bool
    ) -> int:
        job = PrintJob(
            site_id=site.id,
            ticket_id=ticket.id,
            kiosk_device_id=kiosk.id,
            status=PrintJobStatus.PENDING,
            reprint=reprint,
            created_at=self.clock.now(),
        )
        self.session.add(job)
        self.session.flush()
        service = self.session.get(Service, ticket.service_id)
        local_issued = ticket.issued_at.astimezone(ZoneInfo(site.timezone))
        self._record(
            ev.PRINT_JOB,
            site.id,
            {
                "job_id": job.id,
                "kiosk_id": kiosk.id,
                "reprint": reprint,
                "language": ticket.language,
                "paper_width_mm": kiosk_settings(kiosk.settings).paper_width_mm or settings.paper_width_mm,
                "ticket": {
                    "id": ticket.id,
                    "number": ticket.number,
                    "centre_name": site.centre.name,
                    "site_name": site.name,
                    "service_name": service.name if service else "",
                    "priority_name": ticket.priority_category.name if ticket.priority_category else None,
                    "issued_at": local_issued.isoformat(),
                    "issued_at_local": local_issued.strftime("%d/%m/%Y %H:%M"),
                    "ahead": ahead,
                    "estimated_wait_s": wait,
                    "public_url": self.public_url(ticket),
                    "guidance": settings.guidance,
                },
            },
            (ev.printer_room(kiosk.id),),
            ticket_id=ticket.id,
            logged=False,
        )
        return job.id

    def public_url(self, ticket: Ticket) -> str:
        return f"{self.public_base_url}/t/{ticket.public_token}"

    # ------------------------------------------------------------------ devices and alerts

    @verb
    def report_device_status(self, device_id: int, status: str, message: str = "", hardware: str | None = None) -> None:
        """A device came online or went offline, or a bridge reports one of its serial devices."""
        device = self.session.get(Device, device_id)
        if device is None:
            raise errors.NotFound()
        self._lock_site(device.site_id)
        self.session.refresh(device)
        now = self.clock.now()
        device.last_seen_at = now
        if hardware is None:
            changed = device.status != status
            device.status = status
            device.status_message = message[:300]
            key = f"device:{device.id}"
            label = device.name
        else:
            previous = dict(device.hardware_status or {})
            changed = previous.get(hardware, {}).get("status") != status
            previous[hardware] = {"status": status, "message": message[:300], "at": now.isoformat()}
            device.hardware_status = previous
            key = f"{hardware}@{device.id}"
            label = hardware
        if not changed:
            self._commit()
            return
        self._record(
            ev.DEVICE_STATUS,
            device.site_id,
            {"device_id": device.id, "device": hardware or f"{device.kind.value}:{device.id}", "kind": device.kind.value,
             "name": device.name, "status": status, "message": message[:300]},
            (ev.dashboard_room(device.site_id),),
        )
        if status in ("offline", "paper_out", "error"):
            kind = "printer_problem" if hardware and hardware.startswith("printer") else "device_offline"
            self._raise_alert(
                device.site_id, kind, key, N_("Device %(device)s is %(status)s"), {"device": label, "status": status}
            )
        self._commit()

    @verb
    def acknowledge_alert(self, alert_id: int, actor: Actor) -> Alert:
        self._actor = actor
        if not actor.is_supervisor:
            raise errors.Forbidden()
        alert = self.session.get(Alert, alert_id)
        if alert is None or (actor.site_id is not None and alert.site_id != actor.site_id):
            raise errors.NotFound()
        self._lock_site(alert.site_id)
        self.session.refresh(alert)
        if alert.acknowledged_at is None:
            alert.acknowledged_at = self.clock.now()
            alert.acknowledged_by_id = actor.id
            self._record(
                ev.ALERT_ACKNOWLEDGED,
                alert.site_id,
                {"alert_id": alert.id, "acknowledged_by": actor.id},
                (ev.dashboard_room(alert.site_id),),
            )
        self._commit()
        return alert

    @verb
    def raise_alert(self, site_id: int, kind: str, dedupe_key: str, message: str, params: dict[str, Any]) -> None:
        """For periodic checks (long waits, idle counters): one open alert per situation."""
        self._lock_site(site_id)
        self._raise_alert(site_id, kind, dedupe_key, message, params)
        self._commit()

    def _raise_alert(self, site_id: int, kind: str, dedupe_key: str, message: str, params: dict[str, Any]) -> None:
        existing = self.session.scalar(
            select(Alert.id).where(
                Alert.site_id == site_id, Alert.dedupe_key == dedupe_key, Alert.acknowledged_at.is_(None)
            )
        )
        if existing is not None:
            return
        alert = Alert(
            site_id=site_id,
            kind=kind,
            severity="critical" if kind in ("printer_problem", "device_offline") else "warning",
            message=message % params,
            dedupe_key=dedupe_key,
            payload={"template": message, "params": params},
            created_at=self.clock.now(),
        )
        self.session.add(alert)
        self.session.flush()
        self._record(
            ev.ALERT,
            site_id,
            {"alert_id": alert.id, "kind": kind, "severity": alert.severity, "message": alert.message,
             "template": message, "params": params, "created_at": alert.created_at.isoformat()},
            (ev.dashboard_room(site_id),),
        )

    # ------------------------------------------------------------------ end of day

    @verb
    def expire_previous_days(self, site_id: int) -> int:
        """Tickets still open from an earlier business day become expired; history is kept."""
        site = self._lock_site(site_id)
        today = business_date(self.clock.now(), site.timezone)
        stale = list(
            self.session.scalars(
                select(Ticket).where(
                    Ticket.site_id == site_id, Ticket.business_date < today, Ticket.status.in_(OPEN_STATUSES)
                )
            )
        )
        now = self.clock.now()
        for ticket in stale:
            ticket.status = next_status(ticket.status, Verb.EXPIRE)
            ticket.ended_at = now
        if stale:
            self._record(
                ev.TICKETS_EXPIRED,
                site_id,
                {"count": len(stale), "ticket_ids": [t.id for t in stale][:500], "before": today.isoformat()},
                (ev.site_room(site_id), ev.dashboard_room(site_id)),
            )
        self._commit()
        return len(stale)

    @verb
    def record_setting_change(self, site_id: int, event_type: str, payload: dict[str, Any]) -> None:
        """Announce an administrative change (notice line, settings) to every screen of the site."""
        self._lock_site(site_id)
        self._record(event_type, site_id, payload, (ev.site_room(site_id), ev.dashboard_room(site_id)))
        self._commit()

    # ------------------------------------------------------------------ internals

    def _lock_site(self, site_id: int) -> Site:
        site = self.session.scalar(
            select(Site).where(Site.id == site_id).options(joinedload(Site.centre)).with_for_update(of=Site)
        )
        if site is None:
            raise errors.NotFound()
        return site

    def _ticket(self, ticket_id: int) -> Ticket:
        ticket = self.session.get(Ticket, ticket_id)
        if ticket is None:
            raise errors.TicketNotFound()
        return ticket

    def _counter(self, counter_id: int) -> Counter:
        counter = self.session.get(Counter, counter_id)
        if counter is None or not counter.active:
            raise errors.CounterNotFound()
        return counter

    def _counter_number(self, counter_id: int | None) -> int | None:
        if counter_id is None:
            return None
        counter = self.session.get(Counter, counter_id)
        return counter.number if counter else None

    def _counter_of_actor(self, actor: Actor) -> int | None:
        if actor.kind == "staff" and actor.role == "clerk":
            return self.session.scalar(select(Counter.id).where(Counter.clerk_id == actor.id))
        return None

    def _check_counter_actor(self, counter: Counter, actor: Actor) -> None:
        """The clerk working this counter, a supervisor, or a bridge of the same site (call keypad)."""
        if actor.site_id is not None and counter.site_id != actor.site_id:
            raise errors.CounterNotFound()
        if actor.is_supervisor:
            return
        if actor.kind == "staff" and actor.role == "clerk" and counter.clerk_id == actor.id:
            return
        if actor.is_device(DeviceKind.BRIDGE.value):
            return
        raise errors.NotClerkOfCounter(counter_number=counter.number)

    def _check_counter_working(self, counter: Counter) -> None:
        if counter.status is CounterStatus.PAUSED:
            raise errors.CounterPaused(counter_number=counter.number)
        if counter.status is CounterStatus.CLOSED:
            raise errors.CounterClosed(counter_number=counter.number)

    def _counter_holding(self, ticket: Ticket, actor: Actor, verb: Verb) -> tuple[Counter, TicketStatus]:
        """Check `verb` is allowed on the ticket and that the actor works the counter holding it."""
        if actor.site_id is not None and ticket.site_id != actor.site_id:
            raise errors.TicketNotFound()
        target = next_status(ticket.status, verb)
        if ticket.counter_id is None:
            raise errors.InvalidTransition(current=ticket.status.value, verb=verb.value)
        counter = self._counter(ticket.counter_id)
        if actor.kind == "staff" and actor.role == "clerk" and counter.clerk_id != actor.id:
            raise errors.TicketHandledElsewhere(counter_number=counter.number)
        self._check_counter_actor(counter, actor)
        return counter, target

    def _active_tickets(self, counter_id: int) -> list[Ticket]:
        return list(
            self.session.scalars(
                select(Ticket).where(Ticket.counter_id == counter_id, Ticket.status.in_(ACTIVE_STATUSES))
            )
        )

    def _candidates(self, counter: Counter, day: dt.date) -> list[Candidate]:
        """At most three tickets, each the best of its class; `choose_next` picks among them."""
        base = select(Ticket.id, Ticket.service_id, Ticket.issued_at, Ticket.priority_level, Ticket.target_counter_id).where(
            Ticket.site_id == counter.site_id, Ticket.business_date == day, Ticket.status == TicketStatus.WAITING
        )
        service_ids = counter.service_ids
        positions = {service_id: index for index, service_id in enumerate(service_ids)}
        field_rank = case(positions, value=Ticket.service_id, else_=len(positions)) if positions else None
        in_order = site_settings(self.session.get(Site, counter.site_id).settings).field_order.value == "in_order"
        ordinary_order = [field_rank] if (field_rank is not None and in_order) else []
        queries = [
            base.where(Ticket.target_counter_id == counter.id).order_by(Ticket.issued_at, Ticket.id),
        ]
        if service_ids:
            mine = base.where(Ticket.target_counter_id.is_(None), Ticket.service_id.in_(service_ids))
            queries.append(
                mine.where(Ticket.priority_level > 0).order_by(
                    Ticket.priority_level.desc(), *ordinary_order, Ticket.issued_at, Ticket.id
                )
            )
            queries.append(mine.where(Ticket.priority_level == 0).order_by(*ordinary_order, Ticket.issued_at, Ticket.id))
        candidates = []
        for query in queries:
            row = self.session.execute(query.limit(1)).first()
            if row is not None:
                candidates.append(
                    Candidate(
                        ticket_id=row.id,
                        service_id=row.service_id,
                        issued_at=row.issued_at,
                        priority_level=row.priority_level,
                        reserved_for_counter=row.target_counter_id == counter.id,
                    )
                )
        return candidates

    def _priority_calls_in_row(self, counter_id: int, day: dt.date, limit: int) -> int:
        if limit <= 0:
            return 0
        levels = self.session.scalars(
            select(Ticket.priority_level)
            .where(Ticket.counter_id == counter_id, Ticket.business_date == day, Ticket.first_called_at.is_not(None))
            .order_by(Ticket.first_called_at.desc(), Ticket.id.desc())
            .limit(limit)
        ).all()
        streak = 0
        for level in levels:
            if level == 0:
                break
            streak += 1
        return streak

    def _call(self, ticket: Ticket, counter: Counter, actor: Actor, now: dt.datetime, event_type: str = ev.TICKET_CALLED) -> None:
        ticket.status = next_status(ticket.status, Verb.CALL if ticket.status is TicketStatus.WAITING else Verb.RECALL)
        ticket.counter_id = counter.id
        ticket.clerk_id = counter.clerk_id or (actor.id if actor.is_staff else None)
        ticket.called_at = now
        ticket.first_called_at = ticket.first_called_at or now
        ticket.call_count += 1
        ticket.target_counter_id = None
        ticket.ended_at = None
        self._record_ticket_event(
            event_type, ticket, counter, waiting=self._waiting_counts(ticket.site_id, ticket.business_date, [ticket.service_id])
        )

    def _finish(self, ticket: Ticket, site: Site, settings: SiteSettings, now: dt.datetime) -> None:
        ticket.status = next_status(ticket.status, Verb.FINISH)
        ticket.finished_at = now
        ticket.ended_at = now
        ticket.started_at = ticket.started_at or ticket.called_at
        counter = self._counter(ticket.counter_id) if ticket.counter_id else None
        self._record_ticket_event(ev.TICKET_FINISHED, ticket, counter)
        if counter is None:
            return
        # A newer finish at the same counter supersedes any window still open there.
        for stale in self.session.scalars(
            select(RatingWindow).where(RatingWindow.counter_id == counter.id, RatingWindow.closed_at.is_(None))
        ):
            stale.closed_at = now
        window = RatingWindow(
            ticket_id=ticket.id,
            counter_id=counter.id,
            token=secrets.token_urlsafe(18),
            opens_at=now,
            closes_at=now + dt.timedelta(seconds=settings.rating.window_s),
        )
        self.session.add(window)
        self._record(
            ev.RATING_REQUESTED,
            site.id,
            {
                "id": ticket.id,
                "ticket_id": ticket.id,
                "number": ticket.number,
                "service_id": ticket.service_id,
                "counter_id": counter.id,
                "token": window.token,
                "expires_at": window.closes_at.isoformat(),
                "window_s": settings.rating.window_s,
            },
            (ev.rating_room(counter.id),),
            ticket_id=ticket.id,
            counter_id=counter.id,
            logged=False,
        )

    def _record_ticket_event(
        self, event_type: str, ticket: Ticket, counter: Counter | None, waiting: dict[str, int] | None = None
    ) -> None:
        payload = self._ticket_payload(ticket, counter)
        if waiting is not None:
            payload["waiting"] = waiting
        if event_type in (ev.TICKET_CALLED, ev.TICKET_RECALLED):
            # The site's voice settings as of this call, so the display blueprint's event enricher
            # (which must not query) builds the announcement with current settings in every process.
            site = self.session.get(Site, ticket.site_id)
            payload["voice"] = site_settings(site.settings if site else None).voice.model_dump()
        self._record(
            event_type,
            ticket.site_id,
            payload,
            ev.ticket_event_rooms(ticket.site_id, ticket.id, counter.id if counter else None),
            ticket_id=ticket.id,
            counter_id=counter.id if counter else None,
        )

    def _record_counter_status(self, counter: Counter) -> None:
        queries.forget_service_pace()  # open counters changed: estimates change
        clerk = counter.clerk
        self._record(
            ev.COUNTER_STATUS,
            counter.site_id,
            {
                "counter_id": counter.id,
                "counter_number": counter.number,
                "status": counter.status.value,
                "pause_reason": counter.pause_reason,
                "clerk_id": counter.clerk_id,
                "clerk_name": clerk.full_name if clerk else None,
            },
            (ev.site_room(counter.site_id), ev.counter_room(counter.id), ev.rating_room(counter.id)),
            counter_id=counter.id,
        )

    def _ticket_payload(self, ticket: Ticket, counter: Counter | None = None) -> dict[str, Any]:
        if counter is None and ticket.counter_id is not None:
            counter = self.session.get(Counter, ticket.counter_id)
        return {
            "id": ticket.id,
            "number": ticket.number,
            "service_id": ticket.service_id,
            "status": ticket.status.value,
            "priority_level": ticket.priority_level,
            "counter_id": counter.id if counter else None,
            "counter_number": counter.number if counter else None,
            "call_count": ticket.call_count,
            "issued_at": ticket.issued_at.isoformat(),
            "called_at": ticket.called_at.isoformat() if ticket.called_at else None,
        }

    def _waiting_counts(self, site_id: int, day: dt.date, service_ids: Iterable[int]) -> dict[str, int]:
        ids = list(dict.fromkeys(service_ids))
        rows = self.session.execute(
            select(Ticket.service_id, func.count(Ticket.id))
            .where(
                Ticket.site_id == site_id,
                Ticket.business_date == day,
                Ticket.status == TicketStatus.WAITING,
                Ticket.service_id.in_(ids),
            )
            .group_by(Ticket.service_id)
        ).all()
        counts = {str(service_id): 0 for service_id in ids}
        counts.update({str(service_id): count for service_id, count in rows})
        return counts

    def _priority_category(self, site_id: int, code: str | None) -> PriorityCategory | None:
        if not code:
            return None
        category = self.session.scalar(
            select(PriorityCategory).where(
                PriorityCategory.site_id == site_id, PriorityCategory.code == code, PriorityCategory.active.is_(True)
            )
        )
        if category is None:
            raise errors.UnknownPriority()
        return category

    def _allocate_sequence(self, service_id: int, day: dt.date) -> int:
        """Atomic per-field, per-day counter in one upsert … RETURNING (never max()+1)."""
        dialect = self.session.get_bind().dialect.name
        insert = sqlite_insert(DailySequence) if dialect == "sqlite" else postgresql_insert(DailySequence)
        statement = (
            insert.values(service_id=service_id, business_date=day, last_value=1)
            .on_conflict_do_update(
                index_elements=["service_id", "business_date"],
                set_={"last_value": DailySequence.last_value + 1},
            )
            .returning(DailySequence.last_value)
        )
        return int(self.session.execute(statement).scalar_one())

    def _record(
        self,
        event_type: str,
        site_id: int,
        payload: dict[str, Any],
        rooms: tuple[str, ...],
        ticket_id: int | None = None,
        counter_id: int | None = None,
        logged: bool = True,
    ) -> None:
        """Append an event row (with the site's next seq) and queue its push for after the commit."""
        if logged:
            seq = self.session.execute(
                update(Site)
                .where(Site.id == site_id)
                .values(event_seq=Site.event_seq + 1)
                .returning(Site.event_seq)
                .execution_options(synchronize_session=False)
            ).scalar_one()
            self.session.add(
                Event(
                    site_id=site_id,
                    seq=seq,
                    type=event_type,
                    ticket_id=ticket_id,
                    counter_id=counter_id,
                    actor=self._actor.label,
                    payload=payload,
                    created_at=self.clock.now(),
                )
            )
            self._last_seq[site_id] = seq
        else:
            seq = self._last_seq.get(site_id)
            if seq is None:
                seq = self.session.scalar(select(Site.event_seq).where(Site.id == site_id))
        self._outbox.append(
            ev.DomainEvent(event_type, site_id, payload, rooms, ticket_id=ticket_id, counter_id=counter_id, seq=seq, logged=logged)
        )

    def _replay(self, actor: Actor, key: str | None) -> dict[str, Any] | None:
        if not key:
            return None
        record = self.session.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.scope == actor.label, IdempotencyRecord.key == key)
        )
        return dict(record.response) if record else None

    def _end_read(self) -> None:
        """End a transaction that changed nothing, keeping loaded objects (and releasing SQLite's lock)."""
        self.session.commit()

    def _commit(self, idempotency_key: str | None = None, **response: Any) -> None:
        """Commit the unit of work (with the answer to remember for a retried request), then publish."""
        if idempotency_key:
            self.session.add(IdempotencyRecord(scope=self._actor.label, key=idempotency_key[:128],
                                               response=response, created_at=self.clock.now()))
        outbox, self._outbox = self._outbox, []
        self.session.commit()
        self._last_seq.clear()
        self._published.extend(outbox)
        if not self._verb_depth:
            self._publish_committed()

    def _publish_committed(self) -> None:
        events, self._published = self._published, []
        if events:
            try:
                self.publisher.publish(events)
            except Exception:  # noqa: BLE001 - the change is committed; clients catch up from the snapshot
                logger.exception("publishing %d event(s) failed", len(events))


def _number_format(service: Service) -> NumberFormat:
    return NumberFormat(
        prefix=service.number_prefix, start=service.number_start, end=service.number_end, width=service.number_width
    )
