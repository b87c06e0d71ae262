"""Simulated history of a commune's one-stop centre, as the event records its site would have written.

`generate_events(site_code, days, seed)` yields the events (seq from 1, the hash chain of
server/queue/hashchain.py) of `days` business days ending yesterday: counters opening with their clerk,
tickets issued through the morning and afternoon sessions, called, served (some started first),
skipped, transferred to another field, and rated (low scores with reasons); with issue 14's facts too:
dossiers attached to about half the visits (some repeats, some returned for more papers), each day's
rating flags, and the leader's weekly red items with actions and clearings. Each commune draws its own
size, speed and citizens' mood from its code and the seed, so rankings differ. The payloads have the
shapes the real verbs record (server/queue/tickets.py, ratings.py, counters.py). Every name says it is
demo data. Pure Python and fast: 10 communes × 90 days is a few seconds.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import random
from dataclasses import dataclass
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from server.queue import events as ev
from server.queue.hashchain import GENESIS, ChainedEvent, canonical_event, chain_hash

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
FIELDS = (
    ("TPHT", "Tư pháp – Hộ tịch"), ("CT", "Chứng thực"), ("DD", "Đất đai"), ("XD", "Xây dựng"),
    ("HKD", "Hộ kinh doanh"), ("BTXH", "Bảo trợ xã hội"), ("NCC", "Người có công"), ("LDVL", "Lao động – Việc làm"),
)
FIELD_WEIGHTS = (30, 24, 14, 7, 8, 7, 4, 6)
COMMUNE_NAMES = ("Minh Khai", "Tân Lập", "Hòa Bình", "Quang Trung", "Đông Sơn", "Phú Lương", "Yên Thế",
                 "Thạch Hà", "Cẩm Bình", "Nghĩa Hưng", "Vĩnh Phúc", "An Khánh", "Bình Minh", "Hưng Đạo")
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")
GIVEN = ("Thị Lan", "Văn Hùng", "Thu Hà", "Minh Tuấn", "Thị Mai", "Quốc Bảo", "Ngọc Anh", "Văn Nam")
REASONS = ("cho_lau", "thai_do", "huong_dan", "giay_to", "hen_sai", "di_lai", "khac")
# Arrivals by local hour: the morning peak and a smaller afternoon one.
HOURS = (7, 8, 9, 10, 11, 13, 14, 15, 16)
HOUR_WEIGHTS = (6, 14, 16, 13, 5, 5, 11, 12, 8)


@dataclass(frozen=True)
class DemoCounter:
    id: int
    number: int
    clerk_id: int
    clerk_name: str
    field_ids: tuple[int, ...]


@dataclass(frozen=True)
class Commune:
    """What a simulated commune looks like: its name, fields and counters (ids as in its own database)."""

    code: str
    name: str
    fields: tuple[tuple[int, str, str], ...]  # (id, code, name)
    counters: tuple[DemoCounter, ...]
    tickets_per_day: int
    speed: float
    mood: float


def _rng(site_code: str, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{site_code}:{seed}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def commune(site_code: str, seed: int = 1) -> Commune:
    rng = _rng(site_code, seed)
    place = COMMUNE_NAMES[int(hashlib.sha256(site_code.encode()).hexdigest(), 16) % len(COMMUNE_NAMES)]
    field_count = rng.randint(5, len(FIELDS))
    fields = tuple((index + 1, FIELDS[index][0], FIELDS[index][1]) for index in range(field_count))
    counter_count = rng.randint(3, 6)
    counters = []
    for number in range(1, counter_count + 1):
        served = {((number - 1) % field_count) + 1, *rng.sample(range(1, field_count + 1), 2)}
        name = f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)} (mô phỏng)"
        counters.append(DemoCounter(number, number, 100 + number, name, tuple(sorted(served))))
    # every field is served somewhere
    covered = {f for counter in counters for f in counter.field_ids}
    for field_id in range(1, field_count + 1):
        if field_id not in covered:
            first = counters[0]
            counters[0] = DemoCounter(first.id, first.number, first.clerk_id, first.clerk_name,
                                      tuple(sorted({*first.field_ids, field_id})))
    return Commune(code=site_code, name=f"Xã {place} ({site_code}, dữ liệu mô phỏng)", fields=fields,
                   counters=tuple(counters), tickets_per_day=rng.randint(35, 70) * counter_count // 3,
                   speed=rng.uniform(0.75, 1.35), mood=rng.uniform(-0.8, 0.6))


@dataclass
class _Ticket:
    id: int
    number: str
    service_id: int
    issued_at: dt.datetime
    call_count: int = 0
    transferred: bool = False


def generate_events(site_code: str, days: int, seed: int = 1, *, end: dt.date | None = None, site_id: int = 1,
                    chained: bool = True, first_seq: int = 1, previous_hash: str = GENESIS) -> Iterator[ChainedEvent]:
    """The events of `days` business days (Monday–Saturday) up to the day before `end` (default: today)."""
    place = commune(site_code, seed)
    rng = _rng(site_code, seed + 1)
    last = (end or dt.datetime.now(ZONE).date()) - dt.timedelta(days=1)
    dates: list[dt.date] = []
    day = last
    while len(dates) < days:
        if day.weekday() < 6:
            dates.append(day)
        day -= dt.timedelta(days=1)
    dates.reverse()
    seq, previous = first_seq - 1, previous_hash or GENESIS
    ticket_ids = iter(range(1, 10**9))
    rating_ids = iter(range(1, 10**9))
    # Issue 14's facts draw from their own generator, so the queue's history stays what it was.
    accountability = _Accountability(place, _rng(site_code, seed + 2))
    for business_day in dates:
        day_events = _day(place, business_day, rng, ticket_ids, rating_ids)
        for created_at, event_type, payload in accountability.add_to(business_day, day_events):
            seq += 1
            digest = chain_hash(previous, canonical_event(site_id, seq, event_type, payload, created_at)) if chained else ""
            previous = digest or previous
            yield ChainedEvent(site_id=site_id, seq=seq, type=event_type, payload=payload, created_at=created_at,
                               hash=digest)


class _Accountability:
    """Dossiers on visits, the day's rating flags and the leader's weekly red items of a simulated commune
    (payloads as server/queue/dossiers.py, flag_reviews.py and leadership.py write them). Each commune has
    its own share of repeat visits and of doubtful ratings, so the province's rankings differ."""

    KINDS = ("satisfaction_low", "wait_p90_high", "repeat_rate_high", "rating_flags", "alerts_open",
             "response_rate_low")

    def __init__(self, place: Commune, rng: random.Random) -> None:
        self.rng = rng
        self.repeat_share = rng.uniform(0.04, 0.3)
        self.returned_share = rng.uniform(0.05, 0.25)
        self.flag_share = rng.choice((0.0, 0.01, 0.03, 0.08))
        self.open_items: dict[int, dt.date] = {}  # item id → its week
        self.item_ids = iter(range(1, 10**9))
        self.codes = iter(range(1, 10**9))
        self.place = place

    def add_to(self, day: dt.date, events: list[tuple[dt.datetime, str, dict[str, Any]]]
               ) -> list[tuple[dt.datetime, str, dict[str, Any]]]:
        rng = self.rng
        extra: list[tuple[dt.datetime, str, dict[str, Any]]] = []
        rated: list[dict[str, Any]] = []
        for at, event_type, payload in events:
            if event_type == ev.RATING_RECEIVED:
                rated.append(payload)
            if event_type != ev.TICKET_FINISHED or rng.random() >= 0.5:
                continue
            repeat = rng.random() < self.repeat_share
            outcome = ("returned" if rng.random() < self.returned_share else
                       rng.choices(("received", "result", "guidance"), weights=(60, 25, 15))[0])
            breach = outcome == "returned" and repeat and rng.random() < 0.25
            extra.append((at - dt.timedelta(seconds=5), ev.DOSSIER_ATTACHED, {
                "id": payload["id"], "number": payload["number"], "service_id": payload["service_id"],
                "counter_id": payload["counter_id"], "clerk_id": payload["clerk_id"],
                "code": f"MO-PHONG-{self.place.code}-{next(self.codes):06d}", "outcome": outcome,
                "missing": ["don"] if outcome == "returned" else [], "visit_number": 2 if repeat else 1,
                "repeat": repeat, "breach": breach, "new_missing": ["ban_ve"] if breach else [],
                "replaced_code": None, "keyed": False}))
        flags = [{"rating_id": rating["rating_id"], "ticket_id": rating["ticket_id"], "service_id": rating["service_id"],
                  "counter_id": rating["counter_id"], "clerk_id": rating["clerk_id"], "score": rating["score"],
                  "kinds": [rng.choice(("burst", "too_soon", "counter_not_open"))]}
                 for rating in rated if rng.random() < self.flag_share]
        if flags:
            extra.append((_at(day, 18, 0), ev.RATING_FLAGS_REVIEWED,
                          {"business_date": day.isoformat(), "flags": flags, "unflagged": []}))
        if day.weekday() == 0:
            extra.extend(self._weekly_review(day))
        return sorted([*events, *extra], key=lambda item: item[0])

    def _weekly_review(self, monday: dt.date) -> list[tuple[dt.datetime, str, dict[str, Any]]]:
        """The last week's red items (a few per commune), an action on most, last weeks' items cleared."""
        rng, week = self.rng, monday - dt.timedelta(days=7)
        out: list[tuple[dt.datetime, str, dict[str, Any]]] = []
        for item_id, raised_week in list(self.open_items.items()):
            if raised_week < week and rng.random() < 0.7:
                out.append((_at(monday, 6, 30), ev.LEADER_ITEM_CLEARED, {
                    "item_id": item_id, "week_start": raised_week.isoformat(), "note": "Đã khắc phục (mô phỏng)",
                    "by": 1}))
                del self.open_items[item_id]
        kinds = rng.sample(self.KINDS, rng.choice((0, 0, 1, 1, 2, 3)))
        items = [{"item_id": next(self.item_ids), "kind": kind, "figure": None, "target": None} for kind in kinds]
        out.append((_at(monday, 6, 40), ev.LEADER_ITEMS_RAISED, {"week_start": week.isoformat(), "items": items}))
        for item in items:
            self.open_items[item["item_id"]] = week
            if rng.random() < 0.75:
                due = monday + dt.timedelta(days=rng.randint(2, 12))
                out.append((_at(monday, 6, 50), ev.LEADER_ACTION_RECORDED, {
                    "item_id": item["item_id"], "kind": item["kind"], "week_start": week.isoformat(),
                    "action": "Rà soát và nhắc nhở cán bộ (mô phỏng)", "due": due.isoformat(), "by": 1}))
        return out


def _at(day: dt.date, hour: int, minute: float) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(hour), ZONE) + dt.timedelta(minutes=minute)
    return local.astimezone(dt.timezone.utc)


def _iso(instant: dt.datetime | None) -> str | None:
    return instant.isoformat() if instant else None


def _day(place: Commune, day: dt.date, rng: random.Random, ticket_ids: Iterator[int],
         rating_ids: Iterator[int]) -> list[tuple[dt.datetime, str, dict[str, Any]]]:
    """One day as (time, type, payload), in time order; a small discrete-event simulation per counter."""
    saturday = day.weekday() == 5
    count = max(5, int(rng.gauss(place.tickets_per_day * (0.5 if saturday else 1.0), place.tickets_per_day * 0.15)))
    hours = [(h, w) for h, w in zip(HOURS, HOUR_WEIGHTS) if not saturday or h < 12]
    field_ids = [f[0] for f in place.fields]
    weights = [FIELD_WEIGHTS[f - 1] for f in field_ids]
    sequences = {f: 0 for f in field_ids}
    arrivals: list[tuple[dt.datetime, int]] = []
    for _ in range(count):
        hour = rng.choices([h for h, _ in hours], weights=[w for _, w in hours])[0]
        arrivals.append((_at(day, hour, rng.uniform(0, 59.9)), rng.choices(field_ids, weights=weights)[0]))
    arrivals.sort()
    out: list[tuple[dt.datetime, str, dict[str, Any]]] = []
    counter_by_id = {c.id: c for c in place.counters}
    opening = _at(day, 7, rng.uniform(-5, 5))
    for counter in place.counters:
        out.append((opening + dt.timedelta(seconds=counter.number), ev.COUNTER_STATUS, {
            "counter_id": counter.id, "counter_number": counter.number, "status": "open", "pause_reason": "",
            "clerk_id": counter.clerk_id, "clerk_name": counter.clerk_name, "availability": {}, "next": {}}))
    # waiting lines per field: heap of (issued_at, ticket id) → ticket
    lines: dict[int, list[tuple[dt.datetime, int]]] = {f: [] for f in field_ids}
    tickets: dict[int, _Ticket] = {}
    pending = list(reversed(arrivals))  # pop() gives the earliest

    def base(ticket: _Ticket, status: str, counter: DemoCounter | None, called_at: dt.datetime | None) -> dict[str, Any]:
        return {"id": ticket.id, "number": ticket.number, "service_id": ticket.service_id, "status": status,
                "priority_level": 0, "counter_id": counter.id if counter else None,
                "counter_number": counter.number if counter else None,
                "clerk_id": counter.clerk_id if counter else None, "call_count": ticket.call_count,
                "issued_at": ticket.issued_at.isoformat(), "called_at": _iso(called_at)}

    def issue_until(moment: dt.datetime) -> None:
        while pending and pending[-1][0] <= moment:
            issued_at, field_id = pending.pop()
            sequences[field_id] += 1
            ticket = _Ticket(next(ticket_ids), f"{field_id}{sequences[field_id]:03d}", field_id, issued_at)
            tickets[ticket.id] = ticket
            heapq.heappush(lines[field_id], (issued_at, ticket.id))
            out.append((issued_at, ev.TICKET_ISSUED, {**base(ticket, "waiting", None, None), "priority": None}))

    free_at = {c.id: opening + dt.timedelta(minutes=rng.uniform(0, 10)) for c in place.counters}
    while pending or any(lines.values()):
        counter_id = min(free_at, key=lambda cid: free_at[cid])
        counter = counter_by_id[counter_id]
        now = free_at[counter_id]
        issue_until(now)
        heads = [(lines[f][0], f) for f in counter.field_ids if lines[f]]
        if not heads:  # idle until the next citizen for one of its fields (or look again in 10 minutes)
            nexts = [when for when, field_id in pending if field_id in counter.field_ids]
            free_at[counter_id] = min(nexts) if nexts else now + dt.timedelta(minutes=10)
            continue
        (_issued, ticket_id), field_id = min(heads)
        heapq.heappop(lines[field_id])
        ticket = tickets[ticket_id]
        ticket.call_count += 1
        called_at = now
        out.append((called_at, ev.TICKET_CALLED, base(ticket, "called", counter, called_at)))
        roll = rng.random()
        if roll < 0.05:  # nobody came
            end = called_at + dt.timedelta(seconds=rng.uniform(40, 120))
            out.append((end, ev.TICKET_SKIPPED, base(ticket, "no_show", counter, called_at)))
            free_at[counter_id] = end
            continue
        if roll < 0.08 and not ticket.transferred and len(field_ids) > 1:  # wrong field: sent on
            end = called_at + dt.timedelta(seconds=rng.uniform(30, 180))
            target = rng.choice([f for f in field_ids if f != ticket.service_id])
            payload = {**base(ticket, "waiting", counter, None), "service_id": target, "counter_id": counter.id,
                       "counter_number": counter.number, "from_service_id": ticket.service_id,
                       "from_clerk_id": counter.clerk_id, "to_service_id": target, "to_counter_id": None,
                       "note": "", "clerk_id": None}
            out.append((end, ev.TICKET_TRANSFERRED, payload))
            ticket.service_id, ticket.transferred = target, True
            heapq.heappush(lines[target], (ticket.issued_at, ticket.id))
            free_at[counter_id] = end
            continue
        started_at = None
        if rng.random() < 0.5:
            started_at = called_at + dt.timedelta(seconds=rng.uniform(15, 60))
            out.append((started_at, ev.TICKET_STARTED, base(ticket, "serving", counter, called_at)))
        duration = rng.lognormvariate(5.6, 0.5) * place.speed  # about 4–5 minutes
        finished_at = (started_at or called_at) + dt.timedelta(seconds=duration)
        out.append((finished_at, ev.TICKET_FINISHED, base(ticket, "done", counter, called_at)))
        free_at[counter_id] = finished_at + dt.timedelta(seconds=rng.uniform(5, 40))
        if rng.random() < 0.62:
            waited = (called_at - ticket.issued_at).total_seconds()
            mood = place.mood - min(waited / 3600, 1.5)
            score = max(1, min(5, round(rng.gauss(4.2 + mood, 0.9))))
            reasons = sorted(rng.sample(REASONS[:4] if waited < 1800 else REASONS[:3], rng.randint(1, 2))) \
                if score <= 3 else []
            if score <= 3 and waited >= 1800 and "cho_lau" not in reasons:
                reasons = sorted([*reasons, "cho_lau"])
            out.append((finished_at + dt.timedelta(seconds=rng.uniform(3, 25)), ev.RATING_RECEIVED, {
                "rating_id": next(rating_ids), "id": ticket.id, "ticket_id": ticket.id, "number": ticket.number,
                "service_id": ticket.service_id, "counter_id": counter.id, "clerk_id": counter.clerk_id,
                "score": score, "reasons": reasons, "channel": "terminal"}))
    out.sort(key=lambda item: item[0])
    waiting = {f: 0 for f in field_ids}
    for _at_time, event_type, payload in out:
        if event_type == ev.TICKET_ISSUED:
            waiting[payload["service_id"]] += 1
        elif event_type == ev.TICKET_CALLED:
            waiting[payload["service_id"]] -= 1
        elif event_type == ev.TICKET_TRANSFERRED:
            waiting[payload["to_service_id"]] += 1
        else:
            continue
        payload["waiting"] = {str(payload["service_id"]): waiting[payload["service_id"]]}
    return out
