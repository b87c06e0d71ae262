"""The site's own roll-ups: built once from its tables, then kept current from its event log.

`catch_up` runs in a write transaction (the scheduler's `rollups` job, and a report that finds them far
behind): the first time it rolls up the site's history from its tickets (events written before ticket
payloads named the clerk cannot say who served), then it applies the events since `rolled_up_seq` with
the same `apply_events` the central uses. A report never waits for it: `pending_deltas` rolls up in
memory, without writing, the few events not yet applied.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import Counter as Tally
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from server.models import Counter, DossierVisit, Event, Rating, RatingFlagDay, Site, Staff, Ticket
from server.queue import events as ev
from server.queue.rules import business_date
from server.rollups.apply import (RETENTION_DAYS, Delta, Key, TicketState, _Roller, _id, apply_events,
                                  apply_ticket_rows, cursor_for, load_states, tickets_named)
from server.rollups.models import NONE, RollupCursor

logger = logging.getLogger(__name__)

CHUNK = 5_000
# More pending events than this and a report reads the tickets instead (the scheduler is far behind).
MAX_PENDING = 20_000


def catch_up(session: Session, site_id: int, *, limit: int | None = None,
             reader: sessionmaker[Session] | None = None) -> int:
    """Bring the site's roll-ups up to its last event, in the caller's write transaction; returns how many
    events (or, the first time, tickets) were rolled up. The first time, the history is read from the
    tickets by `reader` (a read-only session: the site keeps issuing meanwhile) or, without one, by the
    caller's session with the site row locked."""
    site = session.get(Site, site_id)
    if site is None:
        return 0
    cursor = session.scalar(select(RollupCursor).where(RollupCursor.site_id == site_id).with_for_update())
    if cursor is None:
        if reader is not None:
            session.rollback()  # read the history without holding the write lock
            history = read_history(reader, site_id)
            if session.scalar(select(RollupCursor.site_id).where(RollupCursor.site_id == site_id)) is not None:
                return 0  # another process built it meanwhile
        else:
            session.scalar(select(Site).where(Site.id == site_id).with_for_update())
            history = _read_history(session, site_id)
        history.write(session)
        return len(history.tickets)
    applied = 0
    while limit is None or applied < limit:
        rows = list(session.scalars(select(Event).where(Event.site_id == site_id, Event.seq > cursor.rolled_up_seq)
                                    .order_by(Event.seq).limit(CHUNK)))
        if not rows:
            break
        applied += apply_events(session, site_id, rows, timezone=site.timezone)
    return applied


@dataclass
class History:
    """A site's tickets and transfers as of `seq`, read in one snapshot, ready to be rolled up."""

    site_id: int
    seq: int
    tickets: list[TicketState]
    transfers: Tally[Key]
    counter_clerks: dict[str, Any]
    labels: dict[str, Any]
    keep_from: dt.date

    def write(self, session: Session) -> None:
        """The roll-up rows, the retained ticket states and the cursor at `seq`: events after it follow."""
        cursor = cursor_for(session, self.site_id)
        apply_ticket_rows(session, self.site_id, self.tickets, self.transfers.items(), keep_from=self.keep_from)
        cursor.rolled_up_seq = self.seq
        cursor.counter_clerks = self.counter_clerks
        cursor.labels = self.labels
        cursor.pruned_before = self.keep_from
        session.flush()
        logger.info("site %s: roll-ups built from %d ticket(s) up to seq %d", self.site_id, len(self.tickets), self.seq)


def read_history(reader: sessionmaker[Session], site_id: int) -> History:
    """Read the history in one snapshot (SQLite's read transaction; PostgreSQL REPEATABLE READ)."""
    session = reader()
    try:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return _read_history(session, site_id)
    finally:
        session.rollback()
        session.close()


def _read_history(session: Session, site_id: int) -> History:
    """The tickets as the summary report reads them, the transfer events, and the site's last seq."""
    site = session.get(Site, site_id)
    assert site is not None
    rows = session.execute(
        select(Ticket.id, Ticket.business_date, Ticket.service_id, Ticket.counter_id, Ticket.clerk_id, Ticket.status,
               Ticket.issued_at, Ticket.first_called_at, Ticket.called_at, Ticket.started_at, Ticket.finished_at,
               Rating.score, Rating.reasons, Ticket.declared_visit, DossierVisit.outcome, DossierVisit.repeat,
               DossierVisit.breach)
        .outerjoin(Rating, Rating.ticket_id == Ticket.id)
        .outerjoin(DossierVisit, DossierVisit.ticket_id == Ticket.id)
        .where(Ticket.site_id == site.id)
    )
    # The flags the log last gave for each day (server/queue/flag_reviews.py), as the central knows them.
    flagged = {entry.get("ticket_id") for flags in session.scalars(
        select(RatingFlagDay.flags).where(RatingFlagDay.site_id == site.id)) for entry in flags or []}
    tickets = [TicketState(site_id=site.id, ticket_id=row[0], business_date=row[1], service_id=row[2] or NONE,
                           counter_id=row[3] or NONE, clerk_id=row[4] or NONE, status=row[5].value, issued_at=row[6],
                           first_called_at=row[7], called_at=row[8], started_at=row[9], finished_at=row[10],
                           score=row[11], reasons=[str(code) for code in (row[12] or [])], declared_visit=row[13],
                           dossier_outcome=row[14].value if row[14] is not None else None, dossier_repeat=row[15],
                           dossier_breach=row[16], flagged=row[0] in flagged)
               for row in rows]
    transfers: Tally[Key] = Tally()
    for created_at, counter_id, actor, payload in session.execute(
            select(Event.created_at, Event.counter_id, Event.actor, Event.payload)
            .where(Event.site_id == site.id, Event.type == ev.TICKET_TRANSFERRED)):
        payload = payload or {}
        clerk = payload.get("from_clerk_id") or _clerk_of_actor(actor)
        transfers[(business_date(created_at, site.timezone), _id(payload.get("from_service_id")), _id(counter_id),
                   _id(clerk))] += 1
    today = business_date(dt.datetime.now(dt.timezone.utc), site.timezone)
    latest = max((ticket.business_date for ticket in tickets), default=today)
    counter_clerks = {str(counter.id): counter.clerk_id for counter in
                      session.scalars(select(Counter).where(Counter.site_id == site.id))}
    return History(site.id, site.event_seq, tickets, transfers, counter_clerks, _site_labels(session, site.id),
                   min(today, latest) - dt.timedelta(days=RETENTION_DAYS))


def _site_labels(session: Session, site_id: int) -> dict[str, Any]:
    counters = {str(c.id): c.number for c in session.scalars(select(Counter).where(Counter.site_id == site_id))}
    clerks = {str(s.id): s.full_name or s.username for s in session.scalars(select(Staff).where(Staff.site_id == site_id))}
    return {"counters": counters, "clerks": clerks}


def _clerk_of_actor(actor: str | None) -> int | None:
    kind, _, rest = (actor or "").partition(":")
    role, _, identifier = rest.partition(":")
    return int(identifier) if kind == "staff" and role == "clerk" and identifier.isdigit() else None


def pending_deltas(session: Session, site_id: int, timezone: str) -> dict[Key, Delta] | None:
    """What the events after the cursor would add, computed in memory (nothing is written); None when the
    site has no roll-ups yet or they are too far behind to be worth it."""
    cursor = session.execute(select(RollupCursor.rolled_up_seq, RollupCursor.counter_clerks, RollupCursor.labels)
                             .where(RollupCursor.site_id == site_id)).first()
    if cursor is None:
        return None
    events = list(session.execute(select(Event.seq, Event.type, Event.payload, Event.created_at)
                                  .where(Event.site_id == site_id, Event.seq > cursor.rolled_up_seq)
                                  .order_by(Event.seq).limit(MAX_PENDING + 1)))
    if len(events) > MAX_PENDING:
        return None
    if not events:
        return {}
    tickets = load_states(session, site_id, tickets_named(events))
    roller = _Roller(site_id, timezone, tickets, dict(cursor.counter_clerks or {}), {})
    for event in events:
        roller.apply(event)
    return roller.deltas


def rollups_ready(session: Session, site_ids: list[int]) -> bool:
    found = set(session.scalars(select(RollupCursor.site_id).where(RollupCursor.site_id.in_(site_ids))))
    return found == set(site_ids)
