"""The unit of work every verb of the core runs in.

It owns the session, the clock, the actor, the event log (each event's `seq` and its link in the hash
chain, written in the same transaction as the change), the commit, and publishing after the commit. The
concern modules (tickets, counters, ratings, printing, devices, day) share one per request, socket event
or job, so a verb that touches two concerns (finishing a ticket opens a rating window) is still one
transaction.

Every verb has the same shape: load → check (raise a meaningful error) → change → record → commit →
publish. `@verb` supplies the first and the last two: a write transaction (BEGIN IMMEDIATE on SQLite),
the commit when the verb returns, a rollback that leaves nothing behind when it raises, and the push of
committed events once the write lock is given back.
"""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable, Protocol, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from server import errors
from server.db import WRITE_OPTION
from server.models import Counter, Event, IdempotencyRecord, Site, Ticket
from server.queue import events as ev
from server.queue.actors import SYSTEM, Actor
from server.queue.clock import Clock, SystemClock
from server.queue.hashchain import canonical_event, chain_hash, json_normalised

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Publisher(Protocol):
    """Pushes committed events to connected clients (Socket.IO in the server)."""

    def publish(self, events: list[ev.DomainEvent]) -> None: ...


class NullPublisher:
    """For command-line tools: the events are in the log; nobody is connected to hear them."""

    def publish(self, events: list[ev.DomainEvent]) -> None:
        return None


class UnitOfWork:
    """One transaction of the core and the events it records."""

    def __init__(self, session: Session, clock: Clock | None = None, publisher: Publisher | None = None,
                 public_base_url: str = "", print_timeout_s: float = 10.0) -> None:
        self.session = session
        self.clock = clock or SystemClock()
        self.publisher = publisher or NullPublisher()
        self.public_base_url = public_base_url.rstrip("/")
        self.print_timeout_s = print_timeout_s
        self.actor: Actor = SYSTEM
        self.depth = 0  # > 0 while a verb runs; a verb calling another stays in the same unit of work
        self._outbox: list[ev.DomainEvent] = []  # recorded in the open transaction
        self._committed: list[ev.DomainEvent] = []  # committed, waiting to be pushed
        self._chain: dict[int, tuple[int, str]] = {}  # site → (seq, hash) last taken in this transaction
        self._remembered: tuple[str, dict[str, Any]] | None = None  # the answer to a retried request

    # ------------------------------------------------------------------ loading

    def now(self):  # type: ignore[no-untyped-def]
        return self.clock.now()

    def lock_site(self, site_id: int) -> Site:
        """Serialise the writers of one site (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE does the same),
        so two clerks never take the same ticket and the seq and hash chain have no gaps or forks."""
        site = self.session.scalar(
            select(Site).where(Site.id == site_id).options(joinedload(Site.centre)).with_for_update(of=Site)
        )
        if site is None:
            raise errors.NotFound()
        return site

    def ticket(self, ticket_id: int) -> Ticket:
        ticket = self.session.get(Ticket, ticket_id)
        if ticket is None or (self.actor.site_id is not None and ticket.site_id != self.actor.site_id):
            raise errors.TicketNotFound()
        return ticket

    def counter(self, counter_id: int) -> Counter:
        counter = self.session.get(Counter, counter_id)
        if counter is None or not counter.active or (self.actor.site_id is not None and counter.site_id != self.actor.site_id):
            raise errors.CounterNotFound()
        return counter

    # ------------------------------------------------------------------ idempotency

    def replay(self, key: str | None) -> dict[str, Any] | None:
        """The answer already given to this caller for this key (a retried request or key press)."""
        if not key:
            return None
        record = self.session.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.scope == self.actor.label,
                                            IdempotencyRecord.key == key[:128])
        )
        return dict(record.response) if record else None

    def remember(self, key: str | None, **response: Any) -> None:
        """Keep the answer with the change, in the same commit, for a retry with the same key."""
        if key:
            self._remembered = (key[:128], response)

    # ------------------------------------------------------------------ the event log

    def record(self, event_type: str, site_id: int, payload: dict[str, Any], rooms: tuple[str, ...], *,
               ticket_id: int | None = None, counter_id: int | None = None, logged: bool = True) -> None:
        """Append an event row (the site's next seq and the next link of its hash chain) and queue its
        push for after the commit. Transient events (print jobs, rating windows) are pushed only."""
        if logged:
            now = self.clock.now()
            payload = json_normalised(payload)
            seq, previous = self.session.execute(
                update(Site).where(Site.id == site_id).values(event_seq=Site.event_seq + 1)
                .returning(Site.event_seq, Site.event_hash).execution_options(synchronize_session=False)
            ).one()
            if site_id in self._chain:
                previous = self._chain[site_id][1]  # written to the site row at commit
            digest = chain_hash(previous, canonical_event(site_id, seq, event_type, payload, now))
            self._chain[site_id] = (seq, digest)
            self.session.add(Event(site_id=site_id, seq=seq, type=event_type, ticket_id=ticket_id,
                                   counter_id=counter_id, actor=self.actor.label, payload=payload,
                                   created_at=now, hash=digest))
        elif site_id in self._chain:
            seq = self._chain[site_id][0]
        else:
            seq = self.session.scalar(select(Site.event_seq).where(Site.id == site_id))
        self._outbox.append(ev.DomainEvent(event_type, site_id, payload, rooms, ticket_id=ticket_id,
                                           counter_id=counter_id, seq=seq, logged=logged))

    # ------------------------------------------------------------------ transactions

    def begin_write(self) -> None:
        """Make the open transaction a write transaction. A read transaction of the caller (its log-in
        check) ends first, so SQLite never has to upgrade a read lock; a write transaction of the caller
        (an administrator's change) goes on, so the change and its event commit together."""
        if self.session.in_transaction():
            if self.session.connection().get_execution_options().get(WRITE_OPTION):
                return
            self.session.commit()
        self.session.connection(execution_options={WRITE_OPTION: True})

    def commit(self) -> None:
        """Commit the change, its events, the head of each chain and a remembered answer together."""
        for site_id, (_seq, digest) in self._chain.items():
            self.session.execute(update(Site).where(Site.id == site_id).values(event_hash=digest)
                                 .execution_options(synchronize_session=False))
        if self._remembered is not None:
            key, response = self._remembered
            self.session.add(IdempotencyRecord(scope=self.actor.label, key=key, response=response,
                                               created_at=self.clock.now()))
        outbox, self._outbox = self._outbox, []
        self.session.commit()
        self._chain.clear()
        self._remembered = None
        self._committed.extend(outbox)

    def rollback(self) -> None:
        """Forget everything not committed; events already committed are still pushed."""
        self._outbox.clear()
        self._chain.clear()
        self._remembered = None
        self.session.rollback()

    def publish_committed(self) -> None:
        events, self._committed = self._committed, []
        if events:
            try:
                self.publisher.publish(events)
            except Exception:  # noqa: BLE001 - the change is committed; clients catch up from the snapshot
                logger.exception("publishing %d event(s) failed", len(events))


class Concern:
    """Base of the concern modules: each works over the unit of work it is given."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    @property
    def session(self) -> Session:
        return self.uow.session


def verb(method: Callable[..., T]) -> Callable[..., T]:
    """A unit of work that writes: load → check → change → record, then commit and publish.

    It runs in its own write transaction, commits when the method returns, leaves nothing behind when it
    raises, and publishes committed events after the commit (and after SQLite's write lock is given
    back). A verb called by another verb joins its caller's unit of work.
    """

    @functools.wraps(method)
    def run(self: Concern, *args: Any, **kwargs: Any) -> T:
        uow = self.uow
        if uow.depth:
            return method(self, *args, **kwargs)
        uow.depth += 1
        try:
            uow.begin_write()
            result = method(self, *args, **kwargs)
            uow.commit()
        except BaseException:
            uow.rollback()
            raise
        finally:
            uow.depth -= 1
            uow.publish_committed()
        return result

    return run
