"""Read models: the snapshots screens start from, waiting counts and a ticket's public view.

Every snapshot carries the site's `seq` read in the same transaction, so a client that applies
events with a higher seq on top of it never misses or double-applies a change.
"""
from __future__ import annotations

import bisect
import datetime as dt
import functools
import threading
import time
from typing import Any, Iterable

from sqlalchemy import Select, bindparam, case, func, select, union_all
from sqlalchemy.orm import selectinload
from sqlalchemy.orm import Session

from server import errors
from server.models import (
    Alert,
    Counter,
    CounterService,
    CounterStatus,
    DailySequence,
    Device,
    Event,
    PriorityCategory,
    Service,
    Site,
    Staff,
    Ticket,
    TicketStatus,
)
from server.queue import events as ev
from server.queue.clock import Clock
from server.queue.rules import Candidate, IssuingState, business_date, calling_order, estimated_wait_seconds
from server.queue.site_settings import SiteSettings, kiosk_settings, site_settings

# What a field offers the citizen now (GET /services `availability`, docs/kiosk.md):
OPEN = "open"  # an open counter serves it
PAUSED = "paused"  # only paused counters serve it: tickets are issued, the kiosk says the wait may be longer
NOT_SERVED = "not_served"  # no counter that is open or paused serves it: not offered, not issued
INACTIVE = "inactive"  # taken out of use by the administrator


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def ticket_view(ticket: Ticket, counter_number: int | None = None) -> dict[str, Any]:
    """The ticket as the API shows it to staff (never the public token)."""
    return {
        "id": ticket.id,
        "number": ticket.number,
        "service_id": ticket.service_id,
        "status": ticket.status.value,
        "priority": ticket.priority_category.code if ticket.priority_category else None,
        "priority_level": ticket.priority_level,
        "business_date": ticket.business_date.isoformat(),
        "issued_at": _iso(ticket.issued_at),
        "called_at": _iso(ticket.called_at),
        "started_at": _iso(ticket.started_at),
        "finished_at": _iso(ticket.finished_at),
        "counter_id": ticket.counter_id,
        "counter_number": counter_number if counter_number is not None else (ticket.counter.number if ticket.counter else None),
        "target_counter_id": ticket.target_counter_id,
        "clerk_id": ticket.clerk_id,
        "call_count": ticket.call_count,
        "transfer_count": ticket.transfer_count,
        "transfer_note": ticket.transfer_note,
        "dossier_code": ticket.dossier_code or None,
    }


def ticket_history(session: Session, ticket_id: int, include_ratings: bool = False) -> list[dict[str, Any]]:
    """The ticket's events in order. A citizen's verdict is left out unless the reader may see ratings
    (supervisors, administrators, inspectors; never a clerk)."""
    query = select(Event).where(Event.ticket_id == ticket_id).order_by(Event.seq)
    if not include_ratings:
        query = query.where(Event.type.not_in(ev.RATING_EVENTS))
    rows = session.scalars(query)
    return [
        {"seq": row.seq, "type": row.type, "at": _iso(row.created_at), "actor": row.actor,
         "counter_id": row.counter_id, "payload": row.payload}
        for row in rows
    ]


def position(session: Session, ticket: Ticket) -> tuple[int, int]:
    """People ahead of a waiting ticket in its field (higher priority first, then first issued), and
    the estimated wait: the field's recent average service time shared over its open counters."""
    if ticket.status is not TicketStatus.WAITING:
        return 0, 0
    ahead = session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.site_id == ticket.site_id,
            Ticket.business_date == ticket.business_date,
            Ticket.service_id == ticket.service_id,
            Ticket.status == TicketStatus.WAITING,
            Ticket.target_counter_id.is_(None),
            (Ticket.priority_level > ticket.priority_level)
            | ((Ticket.priority_level == ticket.priority_level)
               & ((Ticket.issued_at < ticket.issued_at) | ((Ticket.issued_at == ticket.issued_at) & (Ticket.id < ticket.id)))),
        )
    ) or 0
    average_s, open_counters = _service_pace(session, ticket.service_id, ticket.business_date)
    return ahead, estimated_wait_seconds(ahead, average_s, open_counters)


_PACE_TTL_S = 15.0
_pace_cache: dict[tuple[int, int, dt.date], tuple[float, tuple[float, int]]] = {}
_pace_lock = threading.Lock()


def forget_service_pace() -> None:
    """Drop cached estimates (a counter opened, paused or closed; tests start from a clean state)."""
    with _pace_lock:
        _pace_cache.clear()


def _service_pace(session: Session, service_id: int, day: dt.date) -> tuple[float, int]:
    """(average service seconds, open counters) of a field. An estimate, so it is kept for a few
    seconds per process instead of being recomputed for every ticket issued."""
    key = (id(session.get_bind()), service_id, day)
    now = time.monotonic()
    with _pace_lock:
        cached = _pace_cache.get(key)
    if cached is not None and now - cached[0] < _PACE_TTL_S:
        return cached[1]
    durations = session.execute(
        select(Ticket.started_at, Ticket.finished_at)
        .where(Ticket.service_id == service_id, Ticket.business_date == day, Ticket.status == TicketStatus.DONE)
        .order_by(Ticket.finished_at.desc())
        .limit(20)
    ).all()
    seconds = [(end - begin).total_seconds() for begin, end in durations if begin and end and end > begin]
    if len(seconds) >= 3:
        average = sum(seconds) / len(seconds)
    else:
        service = session.get(Service, service_id)
        average = float(service.average_service_s if service else 300)
    open_counters = session.scalar(
        select(func.count(Counter.id))
        .join(CounterService, CounterService.counter_id == Counter.id)
        .where(CounterService.service_id == service_id, Counter.status == CounterStatus.OPEN)
    ) or 0
    with _pace_lock:
        if len(_pace_cache) > 10_000:
            _pace_cache.clear()
        _pace_cache[key] = (now, (average, open_counters))
    return average, open_counters


def field_waits(session: Session, site_id: int, clock: Clock) -> list[dict[str, Any]]:
    """Per active field: citizens waiting now and the wait a citizen taking a number now is told (the
    kiosk's and the phone page's estimate: everyone not reserved for a counter is ahead), and how many
    open counters serve it. What the site sends the province for its public /wait page."""
    site = session.get(Site, site_id)
    if site is None:
        raise errors.NotFound()
    day = business_date(clock.now(), site.timezone)
    ahead = dict(session.execute(
        select(Ticket.service_id, func.count(Ticket.id))
        .where(Ticket.site_id == site_id, Ticket.business_date == day, Ticket.status == TicketStatus.WAITING,
               Ticket.target_counter_id.is_(None))
        .group_by(Ticket.service_id)).all())
    waiting = waiting_counts(session, site_id, day)
    rows = []
    for service in session.scalars(select(Service).where(Service.site_id == site_id, Service.active.is_(True))
                                   .order_by(Service.position, Service.id)):
        average_s, open_counters = _service_pace(session, service.id, day)
        rows.append({"id": service.id, "code": service.code, "name": service.name, "waiting": waiting.get(service.id, 0),
                     "estimated_wait_s": estimated_wait_seconds(ahead.get(service.id, 0), average_s, open_counters),
                     "counters_serving": open_counters})
    return rows


def site_business_date(session: Session, site_id: int, now: dt.datetime) -> dt.date:
    site = session.get(Site, site_id)
    if site is None:
        raise errors.NotFound()
    return business_date(now, site.timezone)


def service_availability(session: Session, site_id: int) -> dict[int, str]:
    """Per field of the site: open, paused, not_served or inactive (see the constants above)."""
    working = session.execute(
        select(CounterService.service_id, Counter.status)
        .join(Counter, Counter.id == CounterService.counter_id)
        .where(Counter.site_id == site_id, Counter.active.is_(True),
               Counter.status.in_([CounterStatus.OPEN, CounterStatus.PAUSED]))
    ).all()
    open_fields = {service_id for service_id, status in working if status is CounterStatus.OPEN}
    paused_fields = {service_id for service_id, status in working if status is CounterStatus.PAUSED}
    availability = {}
    for service_id, active in session.execute(select(Service.id, Service.active).where(Service.site_id == site_id)):
        if not active:
            availability[service_id] = INACTIVE
        elif service_id in open_fields:
            availability[service_id] = OPEN
        else:
            availability[service_id] = PAUSED if service_id in paused_fields else NOT_SERVED
    return availability


# --- the calling order -----------------------------------------------------------------------------
# One order (rules.calling_order) feeds call-next, the console's waiting list and the hall board's "next"
# hint. The list loads every candidate of the counter; call-next and the hints need only its head, which
# is the head of the same order over the best candidate of each class (reserved, priority, ordinary), so
# they load three rows, in one statement.

_CANDIDATE_COLUMNS = (Ticket.id, Ticket.service_id, Ticket.issued_at, Ticket.priority_level, Ticket.target_counter_id,
                      Ticket.number)


def _candidates(session: Session, counter: Counter, day: dt.date, settings: SiteSettings,
                best_only: bool) -> list[tuple[Candidate, str]]:
    """What this counter may call today, with each ticket's number: tickets transferred to it, and its
    fields' tickets not reserved for another counter; with `best_only`, the first of each class."""
    service_ids = tuple(counter.service_ids)
    if best_only:
        statement = _best_candidates_statement(counter.id, service_ids, settings.field_order.value == "in_order")
    else:
        statement = _all_candidates_statement(counter.id, service_ids)
    rows = session.execute(statement, {"site_id": counter.site_id, "day": day})
    return [(Candidate(row.id, row.service_id, row.issued_at, row.priority_level,
                       reserved_for_counter=row.target_counter_id == counter.id), row.number)
            for row in rows]


def _waiting_today() -> Select[Any]:
    return select(*_CANDIDATE_COLUMNS).where(
        Ticket.site_id == bindparam("site_id"), Ticket.business_date == bindparam("day"),
        Ticket.status == TicketStatus.WAITING)


@functools.lru_cache(maxsize=512)
def _all_candidates_statement(counter_id: int, service_ids: tuple[int, ...]) -> Select[Any]:
    mine = Ticket.target_counter_id.is_(None) & Ticket.service_id.in_(service_ids)
    return _waiting_today().where((Ticket.target_counter_id == counter_id) | mine)


@functools.lru_cache(maxsize=512)
def _best_candidates_statement(counter_id: int, service_ids: tuple[int, ...], in_order: bool) -> Any:
    """Built once per counter and field list: building this union is most of a verb's CPU otherwise
    (each build makes new column proxies and a new cache key); the site and the day are parameters."""
    base = _waiting_today()
    mine = Ticket.target_counter_id.is_(None) & Ticket.service_id.in_(service_ids)
    positions = {service_id: index for index, service_id in enumerate(service_ids)}
    field_rank = [case(positions, value=Ticket.service_id, else_=len(positions))] if positions and in_order else []
    classes = [base.where(Ticket.target_counter_id == counter_id).order_by(Ticket.issued_at, Ticket.id)]
    if service_ids:
        classes.append(base.where(mine, Ticket.priority_level > 0)
                       .order_by(Ticket.priority_level.desc(), *field_rank, Ticket.issued_at, Ticket.id))
        classes.append(base.where(mine, Ticket.priority_level == 0)
                       .order_by(*field_rank, Ticket.issued_at, Ticket.id))
    firsts = [select(*klass.limit(1).subquery().c) for klass in classes]
    return union_all(*firsts) if len(firsts) > 1 else firsts[0]


def _priority_streaks(session: Session, counter_ids: list[int], day: dt.date, limit: int) -> dict[int, int]:
    """Per counter, how many of its latest calls today were priority tickets in a row (the fairness rule)."""
    if limit <= 0 or not counter_ids:
        return {}
    calls: dict[int, list[tuple[int, int]]] = {}
    for counter_id, level, recency in session.execute(
            _latest_calls_statement(), {"counter_ids": counter_ids, "day": day, "limit": limit}):
        calls.setdefault(counter_id, []).append((recency, level))
    streaks = {}
    for counter_id, levels in calls.items():
        streak = 0
        for _recency, level in sorted(levels):
            if level == 0:
                break
            streak += 1
        streaks[counter_id] = streak
    return streaks


@functools.lru_cache(maxsize=1)
def _latest_calls_statement() -> Select[Any]:
    """Each counter's latest calls of the day, numbered from the newest (built once, see above)."""
    latest = (
        select(Ticket.counter_id, Ticket.priority_level,
               func.row_number().over(partition_by=Ticket.counter_id,
                                      order_by=(Ticket.called_at.desc(), Ticket.id.desc())).label("recency"))
        .where(Ticket.counter_id.in_(bindparam("counter_ids", expanding=True)), Ticket.business_date == bindparam("day"),
               Ticket.called_at.is_not(None))
        .subquery()
    )
    return select(latest.c.counter_id, latest.c.priority_level, latest.c.recency).where(
        latest.c.recency <= bindparam("limit"))


def _heads(session: Session, site: Site, counters: list[Counter], day: dt.date) -> dict[int, tuple[Candidate, str] | None]:
    """The ticket each counter's next call takes, and its number."""
    settings = site_settings(site.settings)
    streaks = _priority_streaks(session, [counter.id for counter in counters], day, settings.max_priority_in_row)
    heads: dict[int, tuple[Candidate, str] | None] = {}
    for counter in counters:
        found = _candidates(session, counter, day, settings, best_only=True)
        numbers = {candidate.ticket_id: number for candidate, number in found}
        positions = {service_id: index for index, service_id in enumerate(counter.service_ids)}
        order = calling_order([candidate for candidate, _ in found], positions, streaks.get(counter.id, 0),
                              settings.calling_policy)
        heads[counter.id] = (order[0], numbers[order[0].ticket_id]) if order else None
    return heads


def counter_calling_order(session: Session, counter: Counter, day: dt.date) -> list[tuple[Candidate, str]]:
    """Every waiting ticket of one counter (with its number), in the order its calls take them: the
    console's list."""
    site = session.get(Site, counter.site_id)
    assert site is not None
    settings = site_settings(site.settings)
    found = _candidates(session, counter, day, settings, best_only=False)
    numbers = {candidate.ticket_id: number for candidate, number in found}
    positions = {service_id: index for index, service_id in enumerate(counter.service_ids)}
    streak = _priority_streaks(session, [counter.id], day, settings.max_priority_in_row).get(counter.id, 0)
    order = calling_order([candidate for candidate, _ in found], positions, streak, settings.calling_policy)
    return [(candidate, numbers[candidate.ticket_id]) for candidate in order]


def next_for_counter(session: Session, counter: Counter, day: dt.date) -> Candidate | None:
    """The ticket the counter's next call takes (call-next, the hall board's hint)."""
    site = session.get(Site, counter.site_id)
    assert site is not None
    head = _heads(session, site, [counter], day)[counter.id]
    return head[0] if head else None


def next_hints(session: Session, site_id: int, day: dt.date, *, counter_ids: Iterable[int] | None = None,
               service_ids: Iterable[int] = ()) -> dict[str, dict[str, Any] | None]:
    """Per working counter (open or paused), the ticket its next call takes: for every counter, or only
    for those named and those serving the fields named (the counters a change may have touched)."""
    site = session.get(Site, site_id)
    if site is None:
        return {}
    counters = list(session.scalars(
        select(Counter).where(Counter.site_id == site_id, Counter.active.is_(True),
                              Counter.status.in_([CounterStatus.OPEN, CounterStatus.PAUSED]))
        .options(selectinload(Counter.service_links))))
    hints: dict[str, dict[str, Any] | None] = {}
    if counter_ids is not None:
        named, fields = set(counter_ids), set(service_ids)
        hints = {str(counter_id): None for counter_id in named}  # a named counter not working has no next
        counters = [c for c in counters if c.id in named or fields.intersection(c.service_ids)]
    for counter_id, head in _heads(session, site, counters, day).items():
        hints[str(counter_id)] = {"id": head[0].ticket_id, "number": head[1]} if head else None
    return hints


def current_seq(session: Session, site_id: int) -> int:
    return int(session.scalar(select(Site.event_seq).where(Site.id == site_id)) or 0)


def waiting_counts(session: Session, site_id: int, day: dt.date) -> dict[int, int]:
    rows = session.execute(
        select(Ticket.service_id, func.count(Ticket.id))
        .where(Ticket.site_id == site_id, Ticket.business_date == day, Ticket.status == TicketStatus.WAITING)
        .group_by(Ticket.service_id)
    ).all()
    return {service_id: count for service_id, count in rows}


def services_view(session: Session, site_id: int, clock: Clock) -> list[dict[str, Any]]:
    site = session.get(Site, site_id)
    if site is None:
        raise errors.NotFound()
    day = business_date(clock.now(), site.timezone)
    counts = waiting_counts(session, site_id, day)
    availability = service_availability(session, site_id)
    services = list(session.scalars(select(Service).where(Service.site_id == site_id).order_by(Service.position, Service.id)))
    # Numbers handed out today per field, so a kiosk can show a field's daily quota as used up
    # before a citizen taps it (the issuing verb still refuses with quota_reached on its own).
    issued = dict(session.execute(
        select(DailySequence.service_id, DailySequence.last_value)
        .where(DailySequence.business_date == day, DailySequence.service_id.in_([s.id for s in services]))
    ).all()) if services else {}
    return [
        {"id": s.id, "code": s.code, "name": s.name, "name_en": s.name_en, "group": s.group_name,
         "waiting": counts.get(s.id, 0), "active": s.active, "availability": availability.get(s.id, NOT_SERVED),
         "daily_quota": s.daily_quota, "issued_today": issued.get(s.id, 0)}
        for s in services
    ]


def issuing_view(state: IssuingState) -> dict[str, Any]:
    return {
        "open": state.open,
        "reason": state.reason.value if state.reason else None,
        "opens_at": _iso(state.opens_at),
        "closes_at": _iso(state.closes_at),
    }


def counters_view(session: Session, site_id: int, clock: Clock | None = None) -> list[dict[str, Any]]:
    """Every counter in use, with its clerk, its current ticket and (given a clock) its next ticket."""
    hints = next_hints(session, site_id, site_business_date(session, site_id, clock.now())) if clock else {}
    counters = list(session.scalars(select(Counter).where(Counter.site_id == site_id, Counter.active.is_(True)).order_by(Counter.number)))
    current = {
        t.counter_id: t
        for t in session.scalars(
            select(Ticket).where(Ticket.site_id == site_id, Ticket.status.in_([TicketStatus.CALLED, TicketStatus.SERVING]))
        )
    }
    result = []
    for counter in counters:
        ticket = current.get(counter.id)
        clerk = counter.clerk
        result.append(
            {
                "id": counter.id,
                "number": counter.number,
                "name": counter.name,
                "status": counter.status.value,
                "pause_reason": counter.pause_reason,
                "status_changed_at": _iso(counter.status_changed_at),
                "service_ids": counter.service_ids,
                "next": hints.get(str(counter.id)),
                "clerk": {"id": clerk.id, "full_name": clerk.full_name, "title": clerk.title} if clerk else None,
                "current_ticket": (
                    {"id": ticket.id, "number": ticket.number, "status": ticket.status.value,
                     "service_id": ticket.service_id, "called_at": _iso(ticket.called_at),
                     "started_at": _iso(ticket.started_at), "issued_at": _iso(ticket.issued_at),
                     "priority_level": ticket.priority_level, "call_count": ticket.call_count,
                     "transfer_count": ticket.transfer_count, "transfer_note": ticket.transfer_note}
                    if ticket else None
                ),
            }
        )
    return result


def recent_calls(session: Session, site_id: int, day: dt.date, limit: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Ticket.id, Ticket.number, Ticket.service_id, Ticket.counter_id, Ticket.called_at, Counter.number)
        .join(Counter, Counter.id == Ticket.counter_id)
        .where(Ticket.site_id == site_id, Ticket.business_date == day, Ticket.called_at.is_not(None))
        .order_by(Ticket.called_at.desc(), Ticket.id.desc())
        .limit(limit)
    ).all()
    return [
        {"id": r[0], "number": r[1], "service_id": r[2], "counter_id": r[3], "called_at": _iso(r[4]), "counter_number": r[5]}
        for r in rows
    ]


def site_header(site: Site) -> dict[str, Any]:
    return {
        "id": site.id,
        "name": site.name,
        "label": site.label,
        "centre_name": site.centre.name,
        "centre_label": site.centre.label,
        "timezone": site.timezone,
    }


def hall_snapshot(session: Session, site_id: int, clock: Clock, issuing: IssuingState | None = None) -> dict[str, Any]:
    """What every public screen of a site starts from: fields, counters, latest calls, notice."""
    site = session.get(Site, site_id)
    if site is None:
        raise errors.NotFound()
    settings = site_settings(site.settings)
    now = clock.now()
    day = business_date(now, site.timezone)
    snapshot: dict[str, Any] = {
        "seq": current_seq(session, site_id),
        "site_id": site_id,
        "server_time": now.isoformat(),
        "business_date": day.isoformat(),
        "site": site_header(site),
        "services": services_view(session, site_id, clock),
        "counters": counters_view(session, site_id, clock),
        "recent_calls": recent_calls(session, site_id, day, settings.recent_calls),
        "notice": settings.notice,
        "voice": settings.voice.model_dump(),
    }
    if issuing is not None:
        snapshot["issuing"] = issuing_view(issuing)
    return snapshot


def kiosk_snapshot(session: Session, site_id: int, clock: Clock, issuing: IssuingState,
                   kiosk_id: int | None = None) -> dict[str, Any]:
    snapshot = hall_snapshot(session, site_id, clock, issuing)
    kiosk = session.get(Device, kiosk_id) if kiosk_id is not None else None
    if kiosk is not None:
        # The kiosk's own settings (printer present, how long the confirmation stays, …), see docs/kiosk.md.
        snapshot["kiosk"] = {"id": kiosk.id, "name": kiosk.name, "settings": kiosk_settings(kiosk.settings).model_dump()}
    site = session.get(Site, site_id)
    # The optional "đến lần thứ mấy" question (docs/dossiers.md), off unless the site turns it on.
    snapshot["ask_visit"] = site_settings(site.settings if site else None).dossiers.ask_visit_at_kiosk
    snapshot["priority_categories"] = [
        {"code": p.code, "name": p.name, "name_en": p.name_en, "level": p.level}
        for p in session.scalars(
            select(PriorityCategory)
            .where(PriorityCategory.site_id == site_id, PriorityCategory.active.is_(True))
            .order_by(PriorityCategory.position, PriorityCategory.id)
        )
    ]
    return snapshot


def counter_snapshot(session: Session, counter_id: int, clock: Clock) -> dict[str, Any]:
    """The clerk's console: its counter, the current ticket, the waiting list and today's no-shows."""
    counter = session.get(Counter, counter_id)
    if counter is None:
        raise errors.CounterNotFound()
    site = session.get(Site, counter.site_id)
    assert site is not None
    day = business_date(clock.now(), site.timezone)
    # The waiting list in the order this counter's calls take it (the same function as call-next).
    order = [candidate.ticket_id for candidate, _number in counter_calling_order(session, counter, day)[:200]]
    loaded = {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(order)))} if order else {}
    waiting = [loaded[ticket_id] for ticket_id in order]
    no_shows = session.scalars(
        select(Ticket)
        .where(Ticket.site_id == site.id, Ticket.business_date == day, Ticket.status == TicketStatus.NO_SHOW,
               Ticket.counter_id == counter.id)
        .order_by(Ticket.ended_at.desc())
    ).all()
    counters = {c["id"]: c for c in counters_view(session, site.id)}
    return {
        "seq": current_seq(session, site.id),
        "site_id": site.id,
        "server_time": clock.now().isoformat(),
        "site": site_header(site),
        "counter": counters[counter.id],
        "services": [s for s in services_view(session, site.id, clock)],
        "counters": list(counters.values()),
        "waiting": [ticket_view(t) for t in waiting],
        "no_shows": [ticket_view(t) for t in no_shows],
    }


def dashboard_snapshot(session: Session, site_id: int, clock: Clock) -> dict[str, Any]:
    """Supervisors' live board: the hall plus devices and open alerts (the dashboard issue extends it)."""
    snapshot = hall_snapshot(session, site_id, clock)
    snapshot["devices"] = [
        {"id": d.id, "kind": d.kind.value, "name": d.name, "counter_id": d.counter_id, "status": d.status,
         "status_message": d.status_message, "last_seen_at": _iso(d.last_seen_at), "hardware": d.hardware_status,
         "revoked": d.revoked_at is not None}
        for d in session.scalars(select(Device).where(Device.site_id == site_id).order_by(Device.id))
    ]
    snapshot["alerts"] = [
        {"alert_id": a.id, "kind": a.kind, "severity": a.severity, "message": a.message,
         "template": a.payload.get("template"), "params": a.payload.get("params", {}), "created_at": _iso(a.created_at)}
        for a in session.scalars(
            select(Alert).where(Alert.site_id == site_id, Alert.acknowledged_at.is_(None), Alert.resolved_at.is_(None))
            .order_by(Alert.created_at.desc()).limit(100)
        )
    ]
    site = session.get(Site, site_id)
    assert site is not None
    day = business_date(clock.now(), site.timezone)
    snapshot["today"] = today_figures(session, site_id, day, site.timezone)
    snapshot["waiting_tickets"] = [
        {"id": t.id, "number": t.number, "service_id": t.service_id, "issued_at": _iso(t.issued_at),
         "priority_level": t.priority_level}
        for t in session.execute(
            select(Ticket.id, Ticket.number, Ticket.service_id, Ticket.issued_at, Ticket.priority_level)
            .where(Ticket.site_id == site_id, Ticket.business_date == day, Ticket.status == TicketStatus.WAITING)
            .order_by(Ticket.issued_at)
            .limit(1000)
        )
    ]
    settings = site_settings(site.settings)
    snapshot["rating_buttons"] = [b.model_dump() for b in settings.rating.buttons]
    snapshot["alert_settings"] = settings.alerts.model_dump()
    return snapshot


def today_figures(session: Session, site_id: int, day: dt.date, timezone: str) -> dict[str, Any]:
    """The dashboard's figures for one business day, which its events then keep up to date: tickets per
    local hour, waits (first call − issue) per hour of the call and per field, served per counter, and
    the rating mix. A day of a busy centre is a few thousand rows, so this reads them and sums here."""
    from zoneinfo import ZoneInfo

    from server.models import Rating  # local, as in public_ticket_view

    zone = ZoneInfo(timezone)
    issued_by_hour = [0] * 24
    wait_sum_by_hour = [0.0] * 24
    wait_count_by_hour = [0] * 24
    services: dict[str, dict[str, Any]] = {}
    counters: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(Ticket.service_id, Ticket.counter_id, Ticket.status, Ticket.issued_at, Ticket.first_called_at)
        .where(Ticket.site_id == site_id, Ticket.business_date == day)
    )
    for service_id, counter_id, status, issued_at, first_called_at in rows:
        figures = services.setdefault(str(service_id), {"issued": 0, "served": 0, "wait_sum_s": 0.0, "wait_count": 0})
        figures["issued"] += 1
        issued_by_hour[issued_at.astimezone(zone).hour] += 1
        if first_called_at is not None:
            wait = max(0.0, (first_called_at - issued_at).total_seconds())
            figures["wait_sum_s"] += wait
            figures["wait_count"] += 1
            hour = first_called_at.astimezone(zone).hour
            wait_sum_by_hour[hour] += wait
            wait_count_by_hour[hour] += 1
        if status is TicketStatus.DONE:
            figures["served"] += 1
        if counter_id is not None and status in (TicketStatus.DONE, TicketStatus.NO_SHOW):
            served = counters.setdefault(str(counter_id), {"served": 0, "no_show": 0})
            served["served" if status is TicketStatus.DONE else "no_show"] += 1
    scores = {str(score): 0 for score in range(1, 6)}
    for score, count in session.execute(
        select(Rating.score, func.count(Rating.id)).join(Ticket, Ticket.id == Rating.ticket_id)
        .where(Ticket.site_id == site_id, Ticket.business_date == day).group_by(Rating.score)
    ):
        scores[str(score)] = count
    return {
        "business_date": day.isoformat(),
        "timezone": timezone,
        "issued_by_hour": issued_by_hour,
        "wait_sum_by_hour": [round(value, 1) for value in wait_sum_by_hour],
        "wait_count_by_hour": wait_count_by_hour,
        "services": services,
        "counters": counters,
        "scores": scores,
        "ratings": sum(scores.values()),
    }


def public_ticket_view(session: Session, token: str, clock: Clock) -> dict[str, Any]:
    """What the citizen's phone shows: status, position, the counter when called, rating state."""
    ticket = session.scalar(select(Ticket).where(Ticket.public_token == token))
    if ticket is None:
        raise errors.InvalidRatingToken(message=errors.N_("This ticket link is not valid."))
    return ticket_public_view(session, ticket)


def ticket_public_view(session: Session, ticket: Ticket) -> dict[str, Any]:
    """The phone page's view of a ticket, with the seq and room its live updates continue from."""
    from server.models import Rating  # local: only the public view needs it

    ahead, wait = position(session, ticket)
    rated = session.scalar(select(Rating.id).where(Rating.ticket_id == ticket.id)) is not None
    return {**_public_view(session, ticket, ahead, wait, rated),
            "seq": current_seq(session, ticket.site_id), "room": ev.ticket_room(ticket.id)}


def public_views(session: Session, tickets: list[Ticket]) -> list[dict[str, Any]]:
    """`ticket_public_view` of many tickets at once, without seq and room (what the uplink sends the
    province server, by digest): one read of each field's waiting line and one of the ratings, rather
    than a count and a lookup per ticket."""
    from server.models import Rating  # local: only the public view needs it

    places = positions(session, tickets)
    rated = set(session.scalars(select(Rating.ticket_id).where(Rating.ticket_id.in_([t.id for t in tickets]))))
    return [_public_view(session, ticket, *places.get(ticket.id, (0, 0)), ticket.id in rated) for ticket in tickets]


def positions(session: Session, tickets: Iterable[Ticket]) -> dict[int, tuple[int, int]]:
    """`position` of every waiting ticket given, reading each field's waiting line once."""
    lines: dict[tuple[int, dt.date, int], list[Ticket]] = {}
    for ticket in tickets:
        if ticket.status is TicketStatus.WAITING:
            lines.setdefault((ticket.site_id, ticket.business_date, ticket.service_id), []).append(ticket)
    places: dict[int, tuple[int, int]] = {}
    for (site_id, day, service_id), members in lines.items():
        # The order of `position`: higher priority first, then first issued, then the lower id.
        line = sorted((-priority, issued_at, ticket_id) for priority, issued_at, ticket_id in session.execute(
            select(Ticket.priority_level, Ticket.issued_at, Ticket.id).where(
                Ticket.site_id == site_id, Ticket.business_date == day, Ticket.service_id == service_id,
                Ticket.status == TicketStatus.WAITING, Ticket.target_counter_id.is_(None))))
        average_s, open_counters = _service_pace(session, service_id, day)
        for ticket in members:
            ahead = bisect.bisect_left(line, (-ticket.priority_level, ticket.issued_at, ticket.id))
            places[ticket.id] = (ahead, estimated_wait_seconds(ahead, average_s, open_counters))
    return places


def _public_view(session: Session, ticket: Ticket, ahead: int, wait: int, rated: bool) -> dict[str, Any]:
    site = session.get(Site, ticket.site_id)
    assert site is not None
    settings = site_settings(site.settings)
    clerk = session.get(Staff, ticket.clerk_id) if ticket.clerk_id else None
    return {
        "id": ticket.id,
        "number": ticket.number,
        "status": ticket.status.value,
        "service_id": ticket.service_id,
        "service_name": ticket.service.name,
        "service_name_en": ticket.service.name_en,
        "issued_at": _iso(ticket.issued_at),
        "called_at": _iso(ticket.called_at),
        "ahead": ahead,
        "estimated_wait_s": wait,
        "counter_id": ticket.counter_id,
        "counter_number": ticket.counter.number if ticket.counter else None,
        "clerk_name": clerk.full_name if clerk else None,
        "site": site_header(site),
        "can_rate": ticket.status is TicketStatus.DONE and not rated,
        "rated": rated,
        "rating": {
            "buttons": [b.model_dump() for b in settings.rating.buttons],
            "low_score_max": settings.rating.low_score_max,
            "reasons": [r.model_dump() for r in settings.rating.reasons],
        },
    }
