"""Pure queue rules: ticket transitions, the calling order, number formats, the business day and hours.

Nothing here touches the database or Flask, so every rule is tested in isolation.
"""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from server.errors import InvalidTransition, NumberRangeExhausted
from server.models import TicketStatus


class Verb(str, enum.Enum):
    """What can be done to a ticket."""

    CALL = "call"
    RECALL = "recall"
    SKIP = "skip"
    START = "start"
    FINISH = "finish"
    TRANSFER = "transfer"
    CANCEL = "cancel"
    EXPIRE = "expire"


W, C, S, D = TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING, TicketStatus.DONE
N, X, E = TicketStatus.NO_SHOW, TicketStatus.CANCELLED, TicketStatus.EXPIRED

# (state, verb) -> next state. Anything missing is refused with InvalidTransition.
# A transfer puts the ticket back in the waiting line of another field or counter, keeping its number.
# Finishing straight from `called` is allowed: many clerks never press "start".
TRANSITIONS: dict[tuple[TicketStatus, Verb], TicketStatus] = {
    (W, Verb.CALL): C,
    (W, Verb.CANCEL): X,
    (W, Verb.EXPIRE): E,
    (C, Verb.RECALL): C,
    (C, Verb.SKIP): N,
    (C, Verb.START): S,
    (C, Verb.FINISH): D,
    (C, Verb.TRANSFER): W,
    (C, Verb.EXPIRE): E,
    (S, Verb.FINISH): D,
    (S, Verb.TRANSFER): W,
    (S, Verb.EXPIRE): E,
    (N, Verb.RECALL): C,
}

ACTIVE_STATUSES = frozenset({C, S})
OPEN_STATUSES = frozenset({W, C, S})


def next_status(current: TicketStatus, verb: Verb) -> TicketStatus:
    """The state a ticket moves to, or InvalidTransition if the verb is not allowed in its state."""
    try:
        return TRANSITIONS[(current, verb)]
    except KeyError:
        raise InvalidTransition(current=current.value, verb=verb.value) from None


# --- numbers -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class NumberFormat:
    """How a field numbers its tickets: a range (1001–1999) and/or a prefix with zero padding (A005)."""

    prefix: str = ""
    start: int = 1
    end: int = 9999
    width: int = 0

    @property
    def capacity(self) -> int:
        return self.end - self.start + 1

    def format(self, sequence: int) -> str:
        """The printed number of the `sequence`-th ticket of the day (1-based)."""
        if sequence < 1:
            raise ValueError("ticket sequence starts at 1")
        value = self.start + sequence - 1
        if value > self.end:
            raise NumberRangeExhausted(prefix=self.prefix, start=self.start, end=self.end)
        return f"{self.prefix}{value:0{self.width}d}" if self.width else f"{self.prefix}{value}"

    def collides_with(self, other: "NumberFormat") -> bool:
        """True when both formats can print the same number ("A100" from A1–999 and from A001–A999).

        Prefixes are letters only, so two printed numbers are equal exactly when the prefixes are equal
        and so are the digits: the same value, padded to the same length. Two widths pad a value to the
        same length when it has at least as many digits as the wider of them; the largest shared value
        has the most digits, so it alone decides.
        """
        if self.prefix.upper() != other.prefix.upper():
            return False
        highest_shared = min(self.end, other.end)
        if max(self.start, other.start) > highest_shared:
            return False
        return self.width == other.width or len(str(highest_shared)) >= max(self.width, other.width)


def free_number_range(taken: list[NumberFormat], prefix: str = "", width: int = 0, block: int = 1000) -> NumberFormat:
    """The first block of numbers (1001–1999, 2001–2999, …; 1–999 for a prefix) that collides with
    none of `taken`: what the new-field form proposes."""
    # Plain numbers start at 1001, so that 1–999 stay for prefixed fields (A001…).
    for index in range(0 if prefix else 1, 1000):
        candidate = NumberFormat(prefix=prefix, start=index * block + 1, end=index * block + block - 1, width=width)
        if not any(candidate.collides_with(other) for other in taken):
            return candidate
    raise NumberRangeExhausted(prefix=prefix, start=1, end=block * 1000)


# --- time ----------------------------------------------------------------------------------------

def business_date(now: dt.datetime, timezone: str) -> dt.date:
    """The local business day of an instant: it rolls at local midnight, never at UTC midnight."""
    if now.tzinfo is None:
        raise ValueError("business_date needs an aware datetime")
    return now.astimezone(ZoneInfo(timezone)).date()


def local_day_bounds(day: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a local day as aware UTC datetimes."""
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)


class ClosedReason(str, enum.Enum):
    HOLIDAY = "holiday"
    OUTSIDE_HOURS = "outside_hours"
    AFTER_CUTOFF = "after_cutoff"


@dataclass(frozen=True)
class WorkingPeriod:
    weekday: int  # 0 = Monday
    opens_at: dt.time
    closes_at: dt.time


@dataclass(frozen=True)
class IssuingState:
    """Whether a kiosk may issue now, and if not why and when it opens again."""

    open: bool
    reason: ClosedReason | None = None
    opens_at: dt.datetime | None = None
    closes_at: dt.datetime | None = None


def issuing_state(
    now: dt.datetime,
    timezone: str,
    periods: list[WorkingPeriod],
    holidays: set[dt.date],
    cutoff: dt.time | None,
) -> IssuingState:
    """Apply working sessions, holidays and the daily cut-off ("after 16:30 no more tickets today")."""
    local_now = now.astimezone(ZoneInfo(timezone))
    today = local_now.date()
    next_open = _next_opening(local_now, periods, holidays, cutoff)
    if today in holidays:
        return IssuingState(False, ClosedReason.HOLIDAY, next_open)
    todays = sorted((p for p in periods if p.weekday == today.weekday()), key=lambda p: p.opens_at)
    current_time = local_now.time()
    if cutoff is not None and todays and current_time >= cutoff:
        return IssuingState(False, ClosedReason.AFTER_CUTOFF, next_open)
    for period in todays:
        if period.opens_at <= current_time < period.closes_at:
            closes = dt.datetime.combine(today, period.closes_at, tzinfo=local_now.tzinfo)
            if cutoff is not None and cutoff < period.closes_at:
                closes = dt.datetime.combine(today, cutoff, tzinfo=local_now.tzinfo)
            return IssuingState(True, closes_at=closes)
    return IssuingState(False, ClosedReason.OUTSIDE_HOURS, next_open)


def _next_opening(
    local_now: dt.datetime, periods: list[WorkingPeriod], holidays: set[dt.date], cutoff: dt.time | None
) -> dt.datetime | None:
    for offset in range(0, 15):
        day = local_now.date() + dt.timedelta(days=offset)
        if day in holidays:
            continue
        for period in sorted((p for p in periods if p.weekday == day.weekday()), key=lambda p: p.opens_at):
            if cutoff is not None and period.opens_at >= cutoff:
                continue
            start = dt.datetime.combine(day, period.opens_at, tzinfo=local_now.tzinfo)
            if start > local_now:
                return start
    return None


# --- calling order -------------------------------------------------------------------------------

class FieldOrder(str, enum.Enum):
    IN_ORDER = "in_order"  # a counter's first field is served before its second, and so on
    OLDEST_FIRST = "oldest_first"  # across all of a counter's fields, the longest-waiting first


@dataclass(frozen=True)
class CallingPolicy:
    """Fairness: after `max_priority_in_row` priority calls in a row, one ordinary ticket goes next
    (if any waits). 0 means priority always goes first."""

    max_priority_in_row: int = 3
    field_order: FieldOrder = FieldOrder.IN_ORDER


@dataclass(frozen=True)
class Candidate:
    ticket_id: int
    service_id: int
    issued_at: dt.datetime
    priority_level: int = 0
    reserved_for_counter: bool = False


def calling_order(
    candidates: list[Candidate],
    service_positions: dict[int, int],
    priority_calls_in_row: int,
    policy: CallingPolicy,
) -> list[Candidate]:
    """Every waiting ticket a counter may call, in the order successive calls would take them.

    This is the one calling order: call-next takes its first ticket, the counter console lists it, and
    the hall board's "next" hint shows its head. Order: tickets transferred to this very counter first
    (first transferred, first called); then priority tickets (higher level first) unless the fairness
    rule says an ordinary ticket's turn has come; then ordinary tickets. Inside a class: by field order
    (if IN_ORDER) and then first issued, first called.
    """
    def class_key(candidate: Candidate) -> tuple[int, dt.datetime, int]:
        field_rank = service_positions.get(candidate.service_id, len(service_positions)) \
            if policy.field_order is FieldOrder.IN_ORDER else 0
        return (field_rank, candidate.issued_at, candidate.ticket_id)

    reserved = sorted((c for c in candidates if c.reserved_for_counter), key=lambda c: (c.issued_at, c.ticket_id))
    priority = sorted((c for c in candidates if not c.reserved_for_counter and c.priority_level > 0),
                      key=lambda c: (-c.priority_level, *class_key(c)))
    ordinary = sorted((c for c in candidates if not c.reserved_for_counter and c.priority_level == 0), key=class_key)
    order: list[Candidate] = []
    streak = priority_calls_in_row
    for candidate in reserved:
        order.append(candidate)
        streak = streak + 1 if candidate.priority_level > 0 else 0
    next_priority = next_ordinary = 0
    while next_priority < len(priority) or next_ordinary < len(ordinary):
        ordinary_turn = (policy.max_priority_in_row > 0 and streak >= policy.max_priority_in_row
                         and next_ordinary < len(ordinary))
        if next_priority < len(priority) and not ordinary_turn:
            order.append(priority[next_priority])
            next_priority += 1
            streak += 1
        else:
            order.append(ordinary[next_ordinary])
            next_ordinary += 1
            streak = 0
    return order


def choose_next(
    candidates: list[Candidate],
    service_positions: dict[int, int],
    priority_calls_in_row: int,
    policy: CallingPolicy,
) -> Candidate | None:
    """The ticket call-next takes: the head of `calling_order`."""
    order = calling_order(candidates, service_positions, priority_calls_in_row, policy)
    return order[0] if order else None


def estimated_wait_seconds(ahead: int, average_service_s: float, open_counters: int) -> int:
    """The one wait estimate every screen and paper shows: the people ahead shared over the counters
    serving the field, rounded half up to whole minutes (so "khoảng 3 phút" reads the same on the kiosk,
    the paper and the phone, whatever each one's rounding), and never under a minute with someone ahead."""
    if ahead <= 0:
        return 0
    raw = ahead * average_service_s / max(1, open_counters)
    return max(1, int(raw / 60 + 0.5)) * 60
