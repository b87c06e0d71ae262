"""Tickets: issue, call, recall, skip, start, finish, transfer, cancel, and a call keypad's keys.

The rules a ticket lives by: its state moves only along rules.TRANSITIONS; its number, once given, is
the citizen's for the day (unique per site and business day, whatever field it is transferred to); the
next ticket a counter calls is the head of rules.calling_order; nothing is issued for, or transferred
to, a field that no counter will serve.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from server import errors
from server.auth.secrets import digest as token_digest
from server.errors import N_
from server.models import (
    Counter,
    CounterStatus,
    DailySequence,
    Device,
    DeviceKind,
    PriorityCategory,
    Service,
    Site,
    Ticket,
    TicketStatus,
)
from server.queue import events as ev
from server.queue import queries
from server.queue.actors import Actor
from server.queue.counters import KEYPAD_PAUSE_REASON, Counters, check_counter_actor, check_counter_working
from server.queue.day import Day
from server.queue.printing import Printing
from server.queue.ratings import Ratings
from server.queue.rules import ACTIVE_STATUSES, NumberFormat, Verb, business_date, next_status
from server.queue.site_settings import kiosk_settings, site_settings
from server.queue.unit_of_work import Concern, verb


@dataclass(frozen=True)
class IssuedTicket:
    ticket: Ticket
    ahead: int
    estimated_wait_s: int
    print_job_id: int | None
    replayed: bool = False


KEYPAD_TICKET_VERBS = {"recall": Verb.RECALL, "skip": Verb.SKIP, "start": Verb.START, "finish": Verb.FINISH}


def number_format(service: Service) -> NumberFormat:
    return NumberFormat(prefix=service.number_prefix, start=service.number_start, end=service.number_end,
                        width=service.number_width)


class Tickets(Concern):
    # ------------------------------------------------------------------ issuing

    @verb
    def issue(self, service_id: int, actor: Actor, priority_code: str | None = None, language: str = "vi",
              idempotency_key: str | None = None, declared_visit: int | None = None) -> IssuedTicket:
        """Give the citizen the next free number of a field; queue a print job for a kiosk's printer.
        `declared_visit` (1, 2, 3 = three or more) is the kiosk's optional "đến lần thứ mấy" answer,
        kept only where the site asks the question (docs/dossiers.md)."""
        self.uow.actor = actor
        service = self.session.get(Service, service_id)
        if service is None or (actor.site_id is not None and service.site_id != actor.site_id):
            raise errors.ServiceNotFound()
        site = self.uow.lock_site(service.site_id)
        replay = self.uow.replay(idempotency_key)
        if replay is not None:
            ticket = self.uow.ticket(int(replay["ticket_id"]))
            ahead, wait = queries.position(self.session, ticket)
            return IssuedTicket(ticket, ahead, wait, replay.get("print_job_id"), replayed=True)
        if not service.active:
            raise errors.ServiceInactive()
        category = self._priority_category(site.id, priority_code)
        now = self.uow.now()
        state = Day(self.uow).issuing_state(site, now)
        if not state.open:
            raise errors.IssuingClosed(
                reason=state.reason.value if state.reason else "outside_hours",
                opens_at=state.opens_at.isoformat() if state.opens_at else None,
            )
        if queries.service_availability(self.session, site.id).get(service.id) == queries.NOT_SERVED:
            raise errors.ServiceNotServed(service_name=service.name)
        day = business_date(now, site.timezone)
        sequence, number = self._next_free_number(service, day)
        ticket = Ticket(
            site_id=site.id,
            service_id=service.id,
            issued_service_id=service.id,
            business_date=day,
            sequence=sequence,
            number=number,
            status=TicketStatus.WAITING,
            priority_category_id=category.id if category else None,
            priority_level=category.level if category else 0,
            issued_at=now,
            issued_by_device_id=actor.id if actor.kind == "device" else None,
            issued_by_staff_id=actor.id if actor.kind == "staff" else None,
            public_token=(token := secrets.token_urlsafe(18)),
            public_token_sha256=token_digest(token),
            language=language if language in ("vi", "en") else "vi",
            declared_visit=(declared_visit if declared_visit in (1, 2, 3)
                            and site_settings(site.settings).dossiers.ask_visit_at_kiosk else None),
        )
        self.session.add(ticket)
        self.session.flush()
        ahead, wait = queries.position(self.session, ticket)
        self.uow.record(
            ev.TICKET_ISSUED,
            site.id,
            # The token's digest (never the token): the province server finds the ticket by it when a phone
            # presents the token there (docs/phone-via-central.md).
            {**self.payload(ticket), "priority": category.code if category else None,
             "token_sha256": ticket.public_token_sha256,
             **({"declared_visit": ticket.declared_visit} if ticket.declared_visit else {}),
             **self._queue_view(site.id, day, [service.id])},
            ev.ticket_event_rooms(site.id, ticket.id, None),
            ticket_id=ticket.id,
        )
        print_job_id = None
        if actor.is_device(DeviceKind.KIOSK.value):
            kiosk = self.session.get(Device, actor.id)
            if kiosk is not None and kiosk_settings(kiosk.settings).printer:
                print_job_id = Printing(self.uow).queue_job(site, ticket, kiosk, ahead, wait, reprint=False)
        self.uow.remember(idempotency_key, ticket_id=ticket.id, print_job_id=print_job_id)
        return IssuedTicket(ticket, ahead, wait, print_job_id)

    def _next_free_number(self, service: Service, day: dt.date) -> tuple[int, str]:
        """The field's next sequence, skipping numbers another ticket of the site already holds today
        (an administrator may have moved a range mid-day). The unique (site, day, number) backs it."""
        numbering = number_format(service)
        while True:
            sequence = self._allocate_sequence(service.id, day)
            if service.daily_quota is not None and sequence > service.daily_quota:
                raise errors.QuotaReached(service_name=service.name)
            number = numbering.format(sequence)  # raises NumberRangeExhausted past the range's end
            taken = self.session.scalar(select(Ticket.id).where(
                Ticket.site_id == service.site_id, Ticket.business_date == day, Ticket.number == number))
            if taken is None:
                return sequence, number

    def _allocate_sequence(self, service_id: int, day: dt.date) -> int:
        """Atomic per-field, per-day counter in one upsert … RETURNING (never max()+1)."""
        dialect = self.session.get_bind().dialect.name
        insert = sqlite_insert(DailySequence) if dialect == "sqlite" else postgresql_insert(DailySequence)
        statement = (
            insert.values(service_id=service_id, business_date=day, last_value=1)
            .on_conflict_do_update(index_elements=["service_id", "business_date"],
                                   set_={"last_value": DailySequence.last_value + 1})
            .returning(DailySequence.last_value)
        )
        return int(self.session.execute(statement).scalar_one())

    def _priority_category(self, site_id: int, code: str | None) -> PriorityCategory | None:
        if not code:
            return None
        category = self.session.scalar(select(PriorityCategory).where(
            PriorityCategory.site_id == site_id, PriorityCategory.code == code, PriorityCategory.active.is_(True)))
        if category is None:
            raise errors.UnknownPriority()
        return category

    # ------------------------------------------------------------------ calling

    @verb
    def call_next(self, counter_id: int, actor: Actor, idempotency_key: str | None = None) -> Ticket:
        """Call the next citizen to a counter (the head of its calling order); a ticket still active
        there is finished first."""
        self.uow.actor = actor
        counter = self.uow.counter(counter_id)
        site = self.uow.lock_site(counter.site_id)
        self.session.refresh(counter)
        replay = self.uow.replay(idempotency_key)
        if replay is not None:
            return self.uow.ticket(int(replay["ticket_id"]))
        check_counter_actor(counter, actor)
        check_counter_working(counter)
        now = self.uow.now()
        day = business_date(now, site.timezone)
        for current in self.active_at(counter.id):
            self._finish(current, site, now)
        head = queries.next_for_counter(self.session, counter, day)
        if head is None:
            self.uow.commit()  # a finished previous ticket must still be saved
            raise errors.NoTicketWaiting()
        ticket = self.uow.ticket(head.ticket_id)
        self._call(ticket, counter, actor, now)
        self.uow.remember(idempotency_key, ticket_id=ticket.id)
        return ticket

    @verb
    def recall(self, ticket_id: int, actor: Actor, counter_id: int | None = None) -> Ticket:
        """Call a ticket again (it stays called), or bring back a no-show of the same day."""
        self.uow.actor = actor
        ticket = self.uow.ticket(ticket_id)
        site = self.uow.lock_site(ticket.site_id)
        self.session.refresh(ticket)
        now = self.uow.now()
        if ticket.status is TicketStatus.NO_SHOW:
            if ticket.business_date != business_date(now, site.timezone):
                raise errors.InvalidTransition(current=ticket.status.value, verb=Verb.RECALL.value)
            counter = self.uow.counter(counter_id or self._counter_of_clerk(actor) or ticket.counter_id or 0)
            check_counter_actor(counter, actor)
            check_counter_working(counter)
            for current in self.active_at(counter.id):
                self._finish(current, site, now)
            self._call(ticket, counter, actor, now, event_type=ev.TICKET_RECALLED)
        else:
            counter, ticket.status = self._counter_holding(ticket, actor, Verb.RECALL)
            self._again(ticket, counter, now)
        return ticket

    @verb
    def skip(self, ticket_id: int, actor: Actor) -> Ticket:
        """The called citizen did not come: no-show (recallable later the same day)."""
        self.uow.actor = actor
        ticket = self.uow.ticket(ticket_id)
        self.uow.lock_site(ticket.site_id)
        self.session.refresh(ticket)
        counter, ticket.status = self._counter_holding(ticket, actor, Verb.SKIP)
        ticket.ended_at = self.uow.now()
        self.record_event(ev.TICKET_SKIPPED, ticket, counter)
        return ticket

    @verb
    def start(self, ticket_id: int, actor: Actor) -> Ticket:
        self.uow.actor = actor
        ticket = self.uow.ticket(ticket_id)
        self.uow.lock_site(ticket.site_id)
        self.session.refresh(ticket)
        counter, ticket.status = self._counter_holding(ticket, actor, Verb.START)
        ticket.started_at = self.uow.now()
        self.record_event(ev.TICKET_STARTED, ticket, counter)
        return ticket

    @verb
    def finish(self, ticket_id: int, actor: Actor) -> Ticket:
        """Service is over: the counter's rating terminal or keypad opens for this ticket."""
        self.uow.actor = actor
        ticket = self.uow.ticket(ticket_id)
        site = self.uow.lock_site(ticket.site_id)
        self.session.refresh(ticket)
        self._counter_holding(ticket, actor, Verb.FINISH)
        self._finish(ticket, site, self.uow.now())
        return ticket

    @verb
    def transfer(self, ticket_id: int, actor: Actor, to_service_id: int | None = None,
                 to_counter_id: int | None = None, note: str = "") -> Ticket:
        """Send a called or served citizen back to the waiting line of another field or counter, with the
        same number."""
        self.uow.actor = actor
        if (to_service_id is None) == (to_counter_id is None):
            raise errors.ValidationFailed(fields={"service_id": N_("choose one field or one counter"),
                                                  "counter_id": N_("choose one field or one counter")})
        ticket = self.uow.ticket(ticket_id)
        site = self.uow.lock_site(ticket.site_id)
        self.session.refresh(ticket)
        counter, new_status = self._counter_holding(ticket, actor, Verb.TRANSFER)
        from_service_id = ticket.service_id
        from_clerk_id = ticket.clerk_id  # reports count the transfer for the clerk who made it
        if to_service_id is not None:
            target_service = self.session.get(Service, to_service_id)
            if target_service is None or target_service.site_id != site.id or not target_service.active:
                raise errors.ServiceNotFound()
            if queries.service_availability(self.session, site.id).get(target_service.id) == queries.NOT_SERVED:
                raise errors.ServiceNotServed(service_name=target_service.name)
            ticket.service_id = target_service.id
            ticket.target_counter_id = None
        else:
            target_counter = self.session.get(Counter, to_counter_id)
            if target_counter is None or target_counter.site_id != site.id or not target_counter.active:
                raise errors.CounterNotFound()
            if target_counter.id == counter.id:
                raise errors.ValidationFailed(fields={"counter_id": N_("the ticket is already at this counter")})
            if target_counter.status is CounterStatus.CLOSED:
                raise errors.CounterClosed(counter_number=target_counter.number)
            ticket.target_counter_id = target_counter.id
        ticket.status = new_status
        ticket.transfer_count += 1
        ticket.transfer_note = note[:300]
        ticket.counter_id = None
        ticket.clerk_id = None
        ticket.called_at = None
        ticket.started_at = None
        self.session.flush()
        payload = {
            **self.payload(ticket, counter),
            "counter_id": counter.id,
            "counter_number": counter.number,
            "from_service_id": from_service_id,
            "from_clerk_id": from_clerk_id,
            "to_service_id": ticket.service_id,
            "to_counter_id": ticket.target_counter_id,
            "note": ticket.transfer_note,
            **self._queue_view(site.id, ticket.business_date, {from_service_id, ticket.service_id},
                               also_counters=[counter.id, *([ticket.target_counter_id] if ticket.target_counter_id else [])]),
        }
        rooms = ev.ticket_event_rooms(site.id, ticket.id, counter.id)
        if ticket.target_counter_id is not None:
            rooms = (*rooms, ev.counter_room(ticket.target_counter_id))
        self.uow.record(ev.TICKET_TRANSFERRED, site.id, payload, rooms, ticket_id=ticket.id, counter_id=counter.id)
        return ticket

    @verb
    def cancel(self, ticket_id: int, actor: Actor) -> Ticket:
        """A supervisor removes a waiting ticket (the citizen left, or it was issued by mistake)."""
        self.uow.actor = actor
        if not actor.is_supervisor:
            raise errors.Forbidden()
        ticket = self.uow.ticket(ticket_id)
        site = self.uow.lock_site(ticket.site_id)
        self.session.refresh(ticket)
        ticket.status = next_status(ticket.status, Verb.CANCEL)
        ticket.ended_at = self.uow.now()
        self.session.flush()
        self.uow.record(
            ev.TICKET_CANCELLED, site.id,
            {**self.payload(ticket), **self._queue_view(site.id, ticket.business_date, [ticket.service_id])},
            ev.ticket_event_rooms(site.id, ticket.id, None), ticket_id=ticket.id,
        )
        return ticket

    # ------------------------------------------------------------------ a clerk's call keypad

    @verb
    def counter_action(self, counter_id: int, action: str, actor: Actor, press_id: str) -> Ticket | None:
        """A call keypad's key: the same verbs as the console, applied once per press_id."""
        self.uow.actor = actor
        counter = self.uow.counter(counter_id)
        self.uow.lock_site(counter.site_id)
        replay = self.uow.replay(press_id)
        if replay is not None:
            return self.uow.ticket(int(replay["ticket_id"])) if replay.get("ticket_id") else None
        if action == "call_next":
            return self.call_next(counter_id, actor, idempotency_key=press_id)
        if action in ("pause", "resume"):
            counters = Counters(self.uow)
            counters.pause(counter_id, actor, KEYPAD_PAUSE_REASON) if action == "pause" else counters.resume(counter_id, actor)
            self.uow.remember(press_id, counter_id=counter.id)
            return None
        if action not in KEYPAD_TICKET_VERBS:
            raise errors.ValidationFailed(fields={"action": action})
        current = self.active_at(counter.id)
        if not current:
            raise errors.InvalidTransition(current="none", verb=KEYPAD_TICKET_VERBS[action].value)
        ticket = current[0]
        {"recall": self.recall, "skip": self.skip, "start": self.start, "finish": self.finish}[action](ticket.id, actor)
        self.uow.remember(press_id, ticket_id=ticket.id)
        return ticket

    # ------------------------------------------------------------------ shared steps

    def active_at(self, counter_id: int) -> list[Ticket]:
        return list(self.session.scalars(
            select(Ticket).where(Ticket.counter_id == counter_id, Ticket.status.in_(ACTIVE_STATUSES))))

    def _counter_of_clerk(self, actor: Actor) -> int | None:
        if actor.kind == "staff" and actor.role == "clerk":
            return self.session.scalar(select(Counter.id).where(Counter.clerk_id == actor.id))
        return None

    def _counter_holding(self, ticket: Ticket, actor: Actor, verb_: Verb) -> tuple[Counter, Any]:
        """Check `verb_` is allowed on the ticket and that the actor works the counter holding it."""
        target = next_status(ticket.status, verb_)
        if ticket.counter_id is None:
            raise errors.InvalidTransition(current=ticket.status.value, verb=verb_.value)
        counter = self.uow.counter(ticket.counter_id)
        if actor.kind == "staff" and actor.role == "clerk" and counter.clerk_id != actor.id:
            raise errors.TicketHandledElsewhere(counter_number=counter.number)
        check_counter_actor(counter, actor)
        return counter, target

    def _call(self, ticket: Ticket, counter: Counter, actor: Actor, now: dt.datetime,
              event_type: str = ev.TICKET_CALLED) -> None:
        ticket.status = next_status(ticket.status, Verb.CALL if ticket.status is TicketStatus.WAITING else Verb.RECALL)
        ticket.counter_id = counter.id
        ticket.clerk_id = counter.clerk_id or (actor.id if actor.is_staff else None)
        ticket.called_at = now
        ticket.first_called_at = ticket.first_called_at or now
        ticket.call_count += 1
        ticket.target_counter_id = None
        ticket.ended_at = None
        self.session.flush()
        self.record_event(event_type, ticket, counter,
                          queue_view=self._queue_view(ticket.site_id, ticket.business_date, [ticket.service_id],
                                                      also_counters=[counter.id]))

    def _again(self, ticket: Ticket, counter: Counter, now: dt.datetime) -> None:
        """The citizen at the counter is called once more (they did not hear it)."""
        ticket.called_at = now
        ticket.call_count += 1
        self.record_event(ev.TICKET_RECALLED, ticket, counter)

    def _finish(self, ticket: Ticket, site: Site, now: dt.datetime) -> None:
        ticket.status = next_status(ticket.status, Verb.FINISH)
        ticket.finished_at = now
        ticket.ended_at = now
        ticket.started_at = ticket.started_at or ticket.called_at
        counter = self.session.get(Counter, ticket.counter_id) if ticket.counter_id else None
        self.record_event(ev.TICKET_FINISHED, ticket, counter)
        if counter is not None:
            Ratings(self.uow).open_window(ticket, counter, site, now)

    def record_event(self, event_type: str, ticket: Ticket, counter: Counter | None,
                     queue_view: dict[str, Any] | None = None) -> None:
        payload = {**self.payload(ticket, counter), **(queue_view or {})}
        if event_type in (ev.TICKET_CALLED, ev.TICKET_RECALLED):
            # The site's voice settings as of this call, so the display blueprint's event enricher
            # (which must not query) builds the announcement with current settings in every process.
            site = self.session.get(Site, ticket.site_id)
            payload["voice"] = site_settings(site.settings if site else None).voice.model_dump()
        self.uow.record(event_type, ticket.site_id, payload,
                        ev.ticket_event_rooms(ticket.site_id, ticket.id, counter.id if counter else None),
                        ticket_id=ticket.id, counter_id=counter.id if counter else None)

    def payload(self, ticket: Ticket, counter: Counter | None = None) -> dict[str, Any]:
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
            # Who serves it: the roll-ups (server/rollups) count the ticket for this clerk.
            "clerk_id": ticket.clerk_id,
            "call_count": ticket.call_count,
            "issued_at": ticket.issued_at.isoformat(),
            "called_at": ticket.called_at.isoformat() if ticket.called_at else None,
        }

    def _queue_view(self, site_id: int, day: dt.date, service_ids: Iterable[int],
                    also_counters: Iterable[int] = ()) -> dict[str, Any]:
        """What screens need after a change of the waiting line: the counts of the fields it touched and
        the next ticket of each counter it may have changed (those serving these fields, and the counter
        that just called), as the hall board hints it."""
        ids = list(dict.fromkeys(service_ids))
        rows = self.session.execute(
            select(Ticket.service_id, func.count(Ticket.id))
            .where(Ticket.site_id == site_id, Ticket.business_date == day, Ticket.status == TicketStatus.WAITING,
                   Ticket.service_id.in_(ids))
            .group_by(Ticket.service_id)
        ).all()
        counts = {str(service_id): 0 for service_id in ids}
        counts.update({str(service_id): count for service_id, count in rows})
        return {"waiting": counts,
                "next": queries.next_hints(self.session, site_id, day, counter_ids=also_counters, service_ids=ids)}
