"""Counters: who may work one, and the verbs that open, close, pause and resume it."""
from __future__ import annotations

from sqlalchemy import select

from server import errors
from server.errors import N_
from server.models import Counter, CounterStatus, DeviceKind
from server.queue import events as ev
from server.queue import queries
from server.queue.actors import Actor
from server.queue.unit_of_work import Concern, verb

KEYPAD_PAUSE_REASON = "Tạm dừng từ bàn phím gọi số"


def check_counter_actor(counter: Counter, actor: Actor) -> None:
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


def check_counter_working(counter: Counter) -> None:
    if counter.status is CounterStatus.PAUSED:
        raise errors.CounterPaused(counter_number=counter.number)
    if counter.status is CounterStatus.CLOSED:
        raise errors.CounterClosed(counter_number=counter.number)


class Counters(Concern):
    @verb
    def open(self, counter_id: int, actor: Actor) -> Counter:
        """A clerk sits down at a counter (or a supervisor opens it for the clerk already assigned)."""
        self.uow.actor = actor
        counter = self.uow.counter(counter_id)
        self.uow.lock_site(counter.site_id)
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
                self.record_status(other)
            counter.clerk_id = actor.id
        elif not actor.is_supervisor:
            raise errors.Forbidden()
        counter.status = CounterStatus.OPEN
        counter.pause_reason = ""
        counter.status_changed_at = self.uow.now()
        self.record_status(counter)
        return counter

    @verb
    def close(self, counter_id: int, actor: Actor) -> Counter:
        self.uow.actor = actor
        counter = self.uow.counter(counter_id)
        self.uow.lock_site(counter.site_id)
        self.session.refresh(counter)
        check_counter_actor(counter, actor)
        counter.status = CounterStatus.CLOSED
        counter.status_changed_at = self.uow.now()
        self.record_status(counter)
        return counter

    @verb
    def pause(self, counter_id: int, actor: Actor, reason: str) -> Counter:
        self.uow.actor = actor
        counter = self.uow.counter(counter_id)
        self.uow.lock_site(counter.site_id)
        self.session.refresh(counter)
        check_counter_actor(counter, actor)
        if counter.status is CounterStatus.CLOSED:
            raise errors.CounterClosed(counter_number=counter.number)
        if counter.status is CounterStatus.PAUSED:
            raise errors.InvalidTransition(current=counter.status.value, verb="pause")
        if not reason.strip():
            raise errors.ValidationFailed(fields={"reason": N_("required")})
        counter.status = CounterStatus.PAUSED
        counter.pause_reason = reason.strip()[:200]
        counter.status_changed_at = self.uow.now()
        self.record_status(counter)
        return counter

    @verb
    def resume(self, counter_id: int, actor: Actor) -> Counter:
        self.uow.actor = actor
        counter = self.uow.counter(counter_id)
        self.uow.lock_site(counter.site_id)
        self.session.refresh(counter)
        check_counter_actor(counter, actor)
        if counter.status is not CounterStatus.PAUSED:
            raise errors.InvalidTransition(current=counter.status.value, verb="resume")
        counter.status = CounterStatus.OPEN
        counter.pause_reason = ""
        counter.status_changed_at = self.uow.now()
        self.record_status(counter)
        return counter

    def record_status(self, counter: Counter) -> None:
        queries.forget_service_pace()  # open counters changed: estimates and what the kiosk offers change
        clerk = counter.clerk
        payload = {
            "counter_id": counter.id,
            "counter_number": counter.number,
            "status": counter.status.value,
            "pause_reason": counter.pause_reason,
            "clerk_id": counter.clerk_id,
            "clerk_name": clerk.full_name if clerk else None,
        }
        self.session.flush()
        day = queries.site_business_date(self.session, counter.site_id, self.uow.now())
        payload["availability"] = {str(service_id): state for service_id, state
                                   in queries.service_availability(self.session, counter.site_id).items()}
        payload["next"] = queries.next_hints(self.session, counter.site_id, day, counter_ids=[counter.id])
        self.uow.record(ev.COUNTER_STATUS, counter.site_id, payload,
                        (ev.site_room(counter.site_id), ev.counter_room(counter.id), ev.rating_room(counter.id)),
                        counter_id=counter.id)
