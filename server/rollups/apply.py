"""Roll events up: `apply_events(session, site_id, events)` in the caller's transaction.

Each ticket contributes to exactly one roll-up row: its business day (of issue) × its current field ×
counter × clerk, with issued = 1, served/no-show from its status, its waiting time once called, its
service time once done, and its rating. An event changes the ticket, so its old contribution is taken
out and the new one put in: the roll-ups always equal what the summary report computes from the
tickets table (transfers are counted on their own, by the event's day and the field/counter/clerk the
ticket left, as the report does). The tickets of the last RETENTION_DAYS days are remembered in
`rollup_tickets` for this; a later event about an older ticket (a late rating) counts on the event's day.
"""
from __future__ import annotations

import copy
import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Protocol, Sequence

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from server.queue import events as ev
from server.queue.rules import business_date
from server.rollups.buckets import add_into, as_json, bucket_of, dense_from, sparse_from
from server.rollups.models import DAY, MONTH, NONE, RollupCursor, RollupDay, RollupSiteDay, RollupTicket

logger = logging.getLogger(__name__)

RETENTION_DAYS = 7
DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
TICKET_EVENTS = frozenset({ev.TICKET_ISSUED, ev.TICKET_CALLED, ev.TICKET_RECALLED, ev.TICKET_SKIPPED,
                           ev.TICKET_STARTED, ev.TICKET_FINISHED, ev.TICKET_TRANSFERRED, ev.TICKET_CANCELLED,
                           ev.RATING_RECEIVED})


class EventLike(Protocol):
    """An event row as the site's `events` table holds it (and as the central receives it)."""

    seq: int
    type: str
    payload: dict[str, Any]
    created_at: dt.datetime


Key = tuple[dt.date, int, int, int]  # business day, field, counter, clerk (0 = none)

STATE_COLUMNS = ("site_id", "ticket_id", "business_date", "service_id", "counter_id", "clerk_id", "status", "issued_at",
                 "first_called_at", "called_at", "started_at", "finished_at", "score", "reasons", "declared_visit",
                 "dossier_outcome", "dossier_repeat", "dossier_breach", "flagged")


class TicketState:
    """A row of `rollup_tickets` in memory (plain attributes: thousands per batch, no ORM bookkeeping)."""

    __slots__ = STATE_COLUMNS

    def __init__(self, **values: Any) -> None:
        for name in STATE_COLUMNS:
            setattr(self, name, values.get(name))
        if self.reasons is None:
            self.reasons = []
        self.dossier_repeat = bool(self.dossier_repeat)
        self.dossier_breach = bool(self.dossier_breach)
        self.flagged = bool(self.flagged)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in STATE_COLUMNS}


def load_states(session: Session, site_id: int, ticket_ids: Iterable[int]) -> dict[int, TicketState]:
    table = RollupTicket.__table__
    ids = sorted(set(ticket_ids))
    states: dict[int, TicketState] = {}
    for start in range(0, len(ids), 900):
        for row in session.execute(select(table).where(table.c.site_id == site_id,
                                                       table.c.ticket_id.in_(ids[start:start + 900]))):
            state = TicketState(**row._mapping)
            state.reasons = list(state.reasons or [])
            states[state.ticket_id] = state
    return states


def save_states(session: Session, new: Iterable[TicketState], changed: Iterable[TicketState]) -> None:
    """Insert the new ticket states and update the changed ones, each in one executemany."""
    table = RollupTicket.__table__
    inserts = [state.as_dict() for state in new]
    if inserts:
        session.execute(insert(table), inserts)
    updates = [{**{f"v_{name}": getattr(state, name) for name in STATE_COLUMNS[2:]},
                "k_site": state.site_id, "k_ticket": state.ticket_id} for state in changed]
    if updates:
        statement = (update(table)
                     .where(table.c.site_id == bindparam("k_site"), table.c.ticket_id == bindparam("k_ticket"))
                     .values({name: bindparam(f"v_{name}") for name in STATE_COLUMNS[2:]}))
        session.connection().execute(statement, updates)


@dataclass
class Delta:
    """A change to add to one roll-up row (counts may be negative while a contribution moves)."""

    issued: int = 0
    served: int = 0
    no_show: int = 0
    transferred: int = 0
    ratings: int = 0
    score_sum: int = 0
    scores: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])
    visits_known: int = 0
    repeat_visits: int = 0
    dossier_visits: int = 0
    returned: int = 0
    guidance_breaches: int = 0
    flagged: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])  # flagged ratings by score
    reasons: dict[str, int] = field(default_factory=dict)
    wait: dict[int, int] = field(default_factory=dict)
    service: dict[int, int] = field(default_factory=dict)

    def add_ticket(self, ticket: TicketState, sign: int) -> None:
        self.issued += sign
        if ticket.status == "done":
            self.served += sign
            if ticket.finished_at is not None:
                begun = ticket.started_at or ticket.called_at
                if begun is not None:
                    _count(self.service, bucket_of((ticket.finished_at - begun).total_seconds()), sign)
        elif ticket.status == "no_show":
            self.no_show += sign
        if ticket.first_called_at is not None:
            _count(self.wait, bucket_of((ticket.first_called_at - ticket.issued_at).total_seconds()), sign)
        if ticket.score is not None:
            self.add_rating(ticket.score, ticket.reasons or [], sign)
            if ticket.flagged:
                self.flagged[ticket.score - 1] += sign
        if ticket.dossier_outcome is not None or ticket.declared_visit is not None:
            # The summary report's definitions (server/reports/summary.py `_visits`).
            self.visits_known += sign
            if ticket.dossier_repeat or (ticket.declared_visit or 0) >= 2:
                self.repeat_visits += sign
        if ticket.dossier_outcome is not None:
            self.dossier_visits += sign
            if ticket.dossier_outcome == "returned":
                self.returned += sign
            if ticket.dossier_breach:
                self.guidance_breaches += sign

    def add_rating(self, score: int, reasons: Iterable[Any], sign: int) -> None:
        self.ratings += sign
        self.score_sum += sign * score
        self.scores[score - 1] += sign
        for code in reasons:
            _count(self.reasons, str(code), sign)

    def merged_into(self, values: dict[str, Any], dense: bool = False) -> dict[str, Any]:
        """A row's measures (a dict of the table's columns) with this delta added; `dense`: the row keeps
        its histograms as lists (per-site rows, buckets.py)."""
        result = dict(values)
        for name in COUNTS:
            result[name] = (values.get(name) or 0) + getattr(self, name)
        for index in range(5):
            for name, tally in ((f"score_{index + 1}", self.scores), (f"flagged_{index + 1}", self.flagged)):
                result[name] = (values.get(name) or 0) + tally[index]
        reasons = {str(k): int(v) for k, v in (values.get("reasons") or {}).items()}
        for code, count in self.reasons.items():
            _count(reasons, code, count)
        result["reasons"] = reasons
        for name, delta in (("wait_histogram", self.wait), ("service_histogram", self.service)):
            merged = sparse_from(values.get(name))
            add_into(merged, delta)
            result[name] = dense_from(merged) if dense else as_json(merged)
        return result

    def merge(self, other: "Delta") -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for index in range(5):
            self.scores[index] += other.scores[index]
            self.flagged[index] += other.flagged[index]
        for code, count in other.reasons.items():
            _count(self.reasons, code, count)
        add_into(self.wait, other.wait)
        add_into(self.service, other.service)

    def empty(self) -> bool:
        return not (any(getattr(self, name) for name in COUNTS) or any(self.scores) or any(self.flagged)
                    or self.reasons or self.wait or self.service)


# The plain counts of a Delta and of a roll-up row (scores and flagged ratings by score are lists).
COUNTS = ("issued", "served", "no_show", "transferred", "ratings", "score_sum", "visits_known", "repeat_visits",
          "dossier_visits", "returned", "guidance_breaches")


def _count(tally: dict[Any, int], key: Any, sign: int) -> None:
    value = tally.get(key, 0) + sign
    if value:
        tally[key] = value
    else:
        tally.pop(key, None)


def _key(ticket: TicketState) -> Key:
    return (ticket.business_date, ticket.service_id or NONE, ticket.counter_id or NONE, ticket.clerk_id or NONE)


def _time(value: Any, fallback: dt.datetime) -> dt.datetime:
    if not value:
        return fallback
    parsed = dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _id(value: Any) -> int:
    try:
        return int(value) if value is not None else NONE
    except (TypeError, ValueError):
        return NONE


def cursor_for(session: Session, site_id: int, *, lock: bool = True) -> RollupCursor:
    """The site's cursor, created at 0 when missing; locked (PostgreSQL) so two writers never roll up the
    same events (on SQLite the caller's write transaction already serialises writers)."""
    statement = select(RollupCursor).where(RollupCursor.site_id == site_id)
    if lock:
        statement = statement.with_for_update()
    cursor = session.scalar(statement)
    if cursor is None:
        cursor = RollupCursor(site_id=site_id, rolled_up_seq=0, counter_clerks={}, labels={})
        session.add(cursor)
        session.flush()
    return cursor


def apply_events(session: Session, site_id: int, events: Iterable[EventLike], *,
                 timezone: str = DEFAULT_TIMEZONE) -> int:
    """Roll up a site's events (in `seq` order) in the caller's transaction; events at or below the site's
    `rolled_up_seq` are skipped, so a batch applied twice counts once. Returns how many were applied."""
    cursor = cursor_for(session, site_id)
    fresh = sorted((event for event in events if event.seq > cursor.rolled_up_seq), key=lambda event: event.seq)
    if not fresh:
        return 0
    tickets = load_states(session, site_id, tickets_named(fresh))
    roller = _Roller(site_id, timezone, tickets, copy.deepcopy(cursor.counter_clerks or {}),
                     copy.deepcopy(cursor.labels or {}))
    for event in fresh:
        roller.apply(event)
    fresh_ids = {id(state) for state in roller.new_tickets}
    save_states(session, roller.new_tickets, [state for state in roller.changed.values() if id(state) not in fresh_ids])
    write_deltas(session, site_id, roller.deltas)
    last = fresh[-1]
    cursor.rolled_up_seq = last.seq
    cursor.counter_clerks = roller.counter_clerks
    cursor.labels = roller.labels
    cursor.updated_at = last.created_at
    horizon = business_date(last.created_at, timezone) - dt.timedelta(days=RETENTION_DAYS)
    if cursor.pruned_before is None or cursor.pruned_before < horizon:
        session.flush()
        session.execute(delete(RollupTicket).where(RollupTicket.site_id == site_id,
                                                   RollupTicket.business_date < horizon))
        cursor.pruned_before = horizon
    session.flush()
    return len(fresh)


def tickets_named(events: Iterable[EventLike]) -> set[int]:
    """The tickets whose roll-up state a batch may change (their rows are loaded once per batch)."""
    found: set[int] = set()
    for event in events:
        payload = event.payload or {}
        if event.type in TICKET_EVENTS or event.type == ev.DOSSIER_ATTACHED:
            found.add(_id(payload.get("id") or payload.get("ticket_id")))
        elif event.type == ev.RATING_FLAGS_REVIEWED:
            for entry in [*_entries(payload.get("flags")), *_entries(payload.get("unflagged"))]:
                found.add(_id(entry.get("ticket_id")))
    found.discard(NONE)
    return found


MEASURES = ("issued", "served", "no_show", "transferred", "ratings", "score_sum", "score_1", "score_2", "score_3",
            "score_4", "score_5", "visits_known", "repeat_visits", "dossier_visits", "returned", "guidance_breaches",
            "flagged_1", "flagged_2", "flagged_3", "flagged_4", "flagged_5", "reasons", "wait_histogram",
            "service_histogram")
FINE_KEY = ("grain", "business_date", "service_id", "counter_id", "clerk_id")
SITE_KEY = ("grain", "business_date")


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def write_deltas(session: Session, site_id: int, deltas: Mapping[Key, Delta]) -> None:
    """Add the deltas to the day and month rows per field/counter/clerk and per site (Core statements:
    one SELECT of the rows touched, one executemany of inserts and one of updates per table)."""
    fine: dict[tuple[Any, ...], Delta] = defaultdict(Delta)
    whole: dict[tuple[Any, ...], Delta] = defaultdict(Delta)
    for (day, service_id, counter_id, clerk_id), delta in deltas.items():
        if delta.empty():
            continue
        for grain, date in ((DAY, day), (MONTH, month_start(day))):
            fine[(grain, date, service_id, counter_id, clerk_id)].merge(delta)
            whole[(grain, date)].merge(delta)
    _write(session, RollupDay.__table__, site_id, FINE_KEY, fine)
    _write(session, RollupSiteDay.__table__, site_id, SITE_KEY, whole, dense=True)


def _write(session: Session, table: Any, site_id: int, key_columns: tuple[str, ...],
           deltas: Mapping[tuple[Any, ...], Delta], dense: bool = False) -> None:
    if not deltas:
        return
    dates = sorted({key[1] for key in deltas})
    existing: dict[tuple[Any, ...], dict[str, Any]] = {}
    for start in range(0, len(dates), 500):
        statement = select(table).where(table.c.site_id == site_id, table.c.business_date.in_(dates[start:start + 500]))
        for row in session.execute(statement):
            values = row._mapping
            existing[tuple(values[name] for name in key_columns)] = dict(values)
    inserts, updates = [], []
    for key, delta in deltas.items():
        row = existing.get(key)
        if row is None:
            values = delta.merged_into({}, dense)
            inserts.append({"site_id": site_id, **dict(zip(key_columns, key)), **values})
        else:
            values = delta.merged_into(row, dense)
            updates.append({"k_id": row["id"], **{f"v_{name}": values[name] for name in MEASURES}})
    if inserts:
        session.execute(insert(table), inserts)
    if updates:
        statement = (update(table).where(table.c.id == bindparam("k_id"))
                     .values({name: bindparam(f"v_{name}") for name in MEASURES}))
        session.connection().execute(statement, updates)


class _Roller:
    """The in-memory part of one batch: ticket states and the deltas they produce."""

    def __init__(self, site_id: int, timezone: str, tickets: dict[int, TicketState],
                 counter_clerks: dict[str, Any], labels: dict[str, Any]) -> None:
        self.site_id = site_id
        self.timezone = timezone
        self.tickets = tickets
        self.counter_clerks = counter_clerks
        self.labels = labels
        self.new_tickets: list[TicketState] = []
        self.changed: dict[int, TicketState] = {}
        self.deltas: dict[Key, Delta] = defaultdict(Delta)

    def day_of(self, instant: dt.datetime) -> dt.date:
        return business_date(instant, self.timezone)

    def apply(self, event: EventLike) -> None:
        payload = event.payload or {}
        if event.type == ev.COUNTER_STATUS:
            counter_id = _id(payload.get("counter_id"))
            self.counter_clerks[str(counter_id)] = payload.get("clerk_id")
            self._label("counters", counter_id, payload.get("counter_number"))
            self._label("clerks", payload.get("clerk_id"), payload.get("clerk_name"))
            return
        if event.type == ev.RATING_FLAGS_REVIEWED:
            self._review_flags(payload)
            return
        if event.type not in TICKET_EVENTS and event.type != ev.DOSSIER_ATTACHED:
            return
        ticket_id = _id(payload.get("id") or payload.get("ticket_id"))
        self._label("counters", payload.get("counter_id"), payload.get("counter_number"))
        if event.type == ev.TICKET_ISSUED:
            if ticket_id in self.tickets:
                return
            issued_at = _time(payload.get("issued_at"), event.created_at)
            ticket = TicketState(site_id=self.site_id, ticket_id=ticket_id, business_date=self.day_of(issued_at),
                                  service_id=_id(payload.get("service_id")), counter_id=NONE, clerk_id=NONE,
                                  status=str(payload.get("status") or "waiting"), issued_at=issued_at,
                                  first_called_at=None, called_at=None, started_at=None, finished_at=None,
                                  score=None, reasons=[], declared_visit=_visit_answer(payload.get("declared_visit")))
            self.tickets[ticket_id] = ticket
            self.new_tickets.append(ticket)
            self.deltas[_key(ticket)].add_ticket(ticket, +1)
            return
        ticket = self.tickets.get(ticket_id)
        if event.type == ev.TICKET_TRANSFERRED:
            day = self.day_of(event.created_at)
            key = (day, _id(payload.get("from_service_id")), _id(payload.get("counter_id")),
                   _id(payload.get("from_clerk_id")))
            self.deltas[key].transferred += 1
        if ticket is None:
            if event.type == ev.RATING_RECEIVED and payload.get("score") is not None:
                # A rating of a ticket older than the retained days: counted on the rating's day.
                key = (self.day_of(event.created_at), _id(payload.get("service_id")), _id(payload.get("counter_id")),
                       _id(payload.get("clerk_id")))
                self.deltas[key].add_rating(int(payload["score"]), payload.get("reasons") or [], +1)
            return
        self._move(ticket, lambda: self._change(ticket, event, payload))

    def _move(self, ticket: TicketState, change: Any) -> None:
        """Take the ticket's contribution out, change it, put it back in."""
        self.deltas[_key(ticket)].add_ticket(ticket, -1)
        change()
        self.deltas[_key(ticket)].add_ticket(ticket, +1)
        self.changed[ticket.ticket_id] = ticket

    def _review_flags(self, payload: dict[str, Any]) -> None:
        """A day's flags as the site last read them: the ratings named are flagged, those it names as no
        longer flagged are not. A ticket older than the retained days is left as it was counted."""
        marks: dict[int, bool] = {}
        for flag, entries in ((False, payload.get("unflagged")), (True, payload.get("flags"))):
            for entry in _entries(entries):
                marks[_id(entry.get("ticket_id"))] = flag
        for ticket_id, flag in marks.items():
            ticket = self.tickets.get(ticket_id)
            if ticket is not None and ticket.flagged != flag:
                self._move(ticket, lambda ticket=ticket, flag=flag: setattr(ticket, "flagged", flag))

    def _change(self, ticket: TicketState, event: EventLike, payload: dict[str, Any]) -> None:
        """The same changes the verbs of server/queue/tickets.py and ratings.py make to the ticket."""
        at = event.created_at
        if event.type == ev.DOSSIER_ATTACHED:
            # A correction replaces the visit's dossier: the latest event says what it is.
            ticket.dossier_outcome = str(payload.get("outcome") or "received")
            ticket.dossier_repeat = bool(payload.get("repeat"))
            ticket.dossier_breach = bool(payload.get("breach"))
            return
        if event.type == ev.RATING_RECEIVED:
            score = payload.get("score")
            if score is not None and ticket.score is None:
                ticket.score = int(score)
                ticket.reasons = [str(code) for code in payload.get("reasons") or []]
            return
        if "status" in payload:
            ticket.status = str(payload["status"])
        if event.type in (ev.TICKET_CALLED, ev.TICKET_RECALLED):
            counter_id = _id(payload.get("counter_id"))
            if "clerk_id" in payload:
                clerk_id = _id(payload.get("clerk_id"))
            elif ticket.counter_id == counter_id and ticket.clerk_id:
                clerk_id = ticket.clerk_id
            else:  # events written before ticket payloads named the clerk
                clerk_id = _id(self.counter_clerks.get(str(counter_id)))
            ticket.counter_id, ticket.clerk_id = counter_id, clerk_id
            ticket.called_at = _time(payload.get("called_at"), at)
            ticket.first_called_at = ticket.first_called_at or ticket.called_at
        elif event.type == ev.TICKET_STARTED:
            ticket.started_at = at
        elif event.type == ev.TICKET_FINISHED:
            ticket.finished_at = at
            ticket.started_at = ticket.started_at or ticket.called_at
        elif event.type == ev.TICKET_TRANSFERRED:
            ticket.service_id = _id(payload.get("to_service_id") or payload.get("service_id"))
            ticket.counter_id = NONE
            ticket.clerk_id = NONE
            ticket.called_at = None
            ticket.started_at = None

    def _label(self, kind: str, identifier: Any, label: Any) -> None:
        if identifier is None or label is None:
            return
        labels = self.labels.setdefault(kind, {})
        if labels.get(str(identifier)) != label:
            labels[str(identifier)] = label


def _entries(value: Any) -> list[dict[str, Any]]:
    """The objects of a list in a payload (anything else in it is ignored: the fold never fails a batch)."""
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _visit_answer(value: Any) -> int | None:
    return value if value in (1, 2, 3) else None


def apply_ticket_rows(session: Session, site_id: int, tickets: Sequence[TicketState],
                      transfers: Iterable[tuple[Key, int]], *, keep_from: dt.date) -> None:
    """Roll up tickets read straight from a site's tables (a site's first roll-up of its history);
    those issued on or after `keep_from` are remembered for the events that may still change them."""
    deltas: dict[Key, Delta] = defaultdict(Delta)
    for ticket in tickets:
        deltas[_key(ticket)].add_ticket(ticket, +1)
    save_states(session, [ticket for ticket in tickets if ticket.business_date >= keep_from], [])
    for key, count in transfers:
        deltas[key].transferred += count
    write_deltas(session, site_id, deltas)
