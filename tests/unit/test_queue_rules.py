"""The pure queue rules: transitions, number formats, the business day, working hours, calling order."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from server.errors import InvalidTransition, NumberRangeExhausted
from server.models import TicketStatus as S
from server.queue.rules import (
    TRANSITIONS,
    CallingPolicy,
    Candidate,
    ClosedReason,
    FieldOrder,
    NumberFormat,
    Verb,
    WorkingPeriod,
    business_date,
    choose_next,
    estimated_wait_seconds,
    issuing_state,
    local_day_bounds,
    next_status,
)

HANOI = "Asia/Ho_Chi_Minh"
UTC = dt.timezone.utc

# The ticket life of DESIGN.md, written out independently of the table under test.
EXPECTED_ALLOWED = {
    (S.WAITING, Verb.CALL): S.CALLED,
    (S.WAITING, Verb.CANCEL): S.CANCELLED,
    (S.WAITING, Verb.EXPIRE): S.EXPIRED,
    (S.CALLED, Verb.RECALL): S.CALLED,
    (S.CALLED, Verb.SKIP): S.NO_SHOW,
    (S.CALLED, Verb.START): S.SERVING,
    (S.CALLED, Verb.FINISH): S.DONE,
    (S.CALLED, Verb.TRANSFER): S.WAITING,
    (S.CALLED, Verb.EXPIRE): S.EXPIRED,
    (S.SERVING, Verb.FINISH): S.DONE,
    (S.SERVING, Verb.TRANSFER): S.WAITING,
    (S.SERVING, Verb.EXPIRE): S.EXPIRED,
    (S.NO_SHOW, Verb.RECALL): S.CALLED,
}
ALL_PAIRS = list(itertools.product(S, Verb))


@pytest.mark.parametrize(("state", "verb"), sorted(EXPECTED_ALLOWED, key=str))
def test_allowed_transition_moves_to_its_next_state(state: S, verb: Verb) -> None:
    assert next_status(state, verb) is EXPECTED_ALLOWED[(state, verb)]


@pytest.mark.parametrize(("state", "verb"), [pair for pair in ALL_PAIRS if pair not in EXPECTED_ALLOWED], ids=str)
def test_every_other_transition_is_refused(state: S, verb: Verb) -> None:
    with pytest.raises(InvalidTransition) as refused:
        next_status(state, verb)
    assert refused.value.params == {"current": state.value, "verb": verb.value}


def test_transition_table_is_exactly_the_designed_life() -> None:
    assert TRANSITIONS == EXPECTED_ALLOWED


def test_finished_cancelled_and_expired_tickets_are_final() -> None:
    for state in (S.DONE, S.CANCELLED, S.EXPIRED):
        for verb in Verb:
            with pytest.raises(InvalidTransition):
                next_status(state, verb)


# --- numbers --------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("number_format", "sequence", "expected"),
    [
        (NumberFormat(start=1001, end=1999), 1, "1001"),
        (NumberFormat(start=1001, end=1999), 5, "1005"),
        (NumberFormat(start=1001, end=1999), 999, "1999"),
        (NumberFormat(prefix="A", start=1, end=999, width=3), 1, "A001"),
        (NumberFormat(prefix="A", start=1, end=999, width=3), 5, "A005"),
        (NumberFormat(prefix="A", start=1, end=999, width=3), 120, "A120"),
        (NumberFormat(prefix="B", start=1, end=9999, width=3), 1234, "B1234"),
        (NumberFormat(start=1, end=9999), 7, "7"),
        (NumberFormat(start=0, end=99, width=2), 1, "00"),
    ],
)
def test_number_format(number_format: NumberFormat, sequence: int, expected: str) -> None:
    assert number_format.format(sequence) == expected


def test_number_past_the_end_of_the_range_is_refused() -> None:
    with pytest.raises(NumberRangeExhausted):
        NumberFormat(start=1001, end=1999).format(1000)


def test_sequence_starts_at_one() -> None:
    with pytest.raises(ValueError):
        NumberFormat().format(0)


# --- the business day -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("instant_utc", "local_day"),
    [
        (dt.datetime(2026, 11, 25, 16, 59, 59, tzinfo=UTC), dt.date(2026, 11, 25)),  # 23:59:59 in Hà Nội
        (dt.datetime(2026, 11, 25, 17, 0, 0, tzinfo=UTC), dt.date(2026, 11, 26)),  # local midnight
        (dt.datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC), dt.date(2026, 11, 26)),  # before UTC midnight
        (dt.datetime(2026, 11, 26, 0, 0, 0, tzinfo=UTC), dt.date(2026, 11, 26)),  # UTC midnight: no roll
        (dt.datetime(2026, 11, 26, 16, 59, 59, tzinfo=UTC), dt.date(2026, 11, 26)),
    ],
)
def test_business_day_rolls_at_local_midnight_not_utc_midnight(instant_utc: dt.datetime, local_day: dt.date) -> None:
    assert business_date(instant_utc, HANOI) == local_day


def test_business_day_needs_an_aware_instant() -> None:
    with pytest.raises(ValueError):
        business_date(dt.datetime(2026, 11, 25, 9, 0), HANOI)


def test_local_day_bounds_are_seven_hours_before_utc_midnight() -> None:
    start, end = local_day_bounds(dt.date(2026, 11, 25), HANOI)
    assert start == dt.datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
    assert end == dt.datetime(2026, 11, 25, 17, 0, tzinfo=UTC)


# --- working hours, holidays, cut-off -------------------------------------------------------------

WEEKDAY_SESSIONS = [
    WorkingPeriod(weekday, opens, closes)
    for weekday in range(5)
    for opens, closes in ((dt.time(7, 0), dt.time(11, 30)), (dt.time(13, 30), dt.time(17, 0)))
] + [WorkingPeriod(5, dt.time(7, 30), dt.time(11, 30))]


def hanoi(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant given in Hà Nội local time, November 2026 (the 25th is a Wednesday)."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=7)))


def test_open_inside_a_morning_session() -> None:
    state = issuing_state(hanoi(25, 9), HANOI, WEEKDAY_SESSIONS, set(), None)
    assert state.open and state.closes_at == hanoi(25, 11, 30)


def test_closed_at_lunch_says_when_it_opens_again() -> None:
    state = issuing_state(hanoi(25, 12), HANOI, WEEKDAY_SESSIONS, set(), None)
    assert not state.open
    assert state.reason is ClosedReason.OUTSIDE_HOURS
    assert state.opens_at == hanoi(25, 13, 30)


def test_closed_on_sunday_opens_monday_morning() -> None:
    state = issuing_state(hanoi(29, 10), HANOI, WEEKDAY_SESSIONS, set(), None)
    assert state.reason is ClosedReason.OUTSIDE_HOURS and state.opens_at == hanoi(30, 7)


def test_holiday_closes_a_working_day() -> None:
    state = issuing_state(hanoi(25, 9), HANOI, WEEKDAY_SESSIONS, {dt.date(2026, 11, 25)}, None)
    assert state.reason is ClosedReason.HOLIDAY and state.opens_at == hanoi(26, 7)


def test_cutoff_stops_issuing_before_the_session_ends() -> None:
    before = issuing_state(hanoi(25, 16, 29), HANOI, WEEKDAY_SESSIONS, set(), dt.time(16, 30))
    after = issuing_state(hanoi(25, 16, 30), HANOI, WEEKDAY_SESSIONS, set(), dt.time(16, 30))
    assert before.open and before.closes_at == hanoi(25, 16, 30)
    assert not after.open and after.reason is ClosedReason.AFTER_CUTOFF and after.opens_at == hanoi(26, 7)


def test_hours_are_judged_in_local_time_not_utc() -> None:
    # 01:00 UTC is 08:00 in Hà Nội: open, although 01:00 would be closed.
    state = issuing_state(dt.datetime(2026, 11, 25, 1, 0, tzinfo=UTC), HANOI, WEEKDAY_SESSIONS, set(), None)
    assert state.open


# --- calling order --------------------------------------------------------------------------------

T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def candidate(ticket_id: int, minute: int, service_id: int = 1, level: int = 0, reserved: bool = False) -> Candidate:
    return Candidate(ticket_id, service_id, T0 + dt.timedelta(minutes=minute), level, reserved)


def test_nothing_waiting_gives_nothing() -> None:
    assert choose_next([], {1: 0}, 0, CallingPolicy()) is None


def test_first_issued_first_called_inside_a_class() -> None:
    chosen = choose_next([candidate(2, 5), candidate(1, 1), candidate(3, 9)], {1: 0}, 0, CallingPolicy())
    assert chosen is not None and chosen.ticket_id == 1


def test_priority_goes_before_ordinary_even_if_issued_later() -> None:
    chosen = choose_next([candidate(1, 0), candidate(2, 30, level=1)], {1: 0}, 0, CallingPolicy())
    assert chosen is not None and chosen.ticket_id == 2


def test_higher_priority_level_goes_first() -> None:
    chosen = choose_next([candidate(1, 0, level=1), candidate(2, 10, level=2)], {1: 0}, 0, CallingPolicy())
    assert chosen is not None and chosen.ticket_id == 2


def test_fairness_gives_an_ordinary_ticket_its_turn_after_a_priority_streak() -> None:
    policy = CallingPolicy(max_priority_in_row=3)
    waiting = [candidate(1, 0), candidate(2, 10, level=1)]
    assert choose_next(waiting, {1: 0}, 2, policy).ticket_id == 2  # type: ignore[union-attr]
    assert choose_next(waiting, {1: 0}, 3, policy).ticket_id == 1  # type: ignore[union-attr]


def test_fairness_never_blocks_priority_when_no_ordinary_ticket_waits() -> None:
    chosen = choose_next([candidate(2, 10, level=1)], {1: 0}, 10, CallingPolicy(max_priority_in_row=3))
    assert chosen is not None and chosen.ticket_id == 2


def test_zero_means_strict_priority() -> None:
    chosen = choose_next([candidate(1, 0), candidate(2, 10, level=1)], {1: 0}, 99, CallingPolicy(max_priority_in_row=0))
    assert chosen is not None and chosen.ticket_id == 2


def test_a_ticket_transferred_to_this_counter_comes_first() -> None:
    waiting = [candidate(1, 0, level=2), candidate(2, 50, reserved=True)]
    assert choose_next(waiting, {1: 0}, 0, CallingPolicy()).ticket_id == 2  # type: ignore[union-attr]


def test_in_order_serves_the_counters_first_field_first() -> None:
    waiting = [candidate(1, 0, service_id=2), candidate(2, 20, service_id=1)]
    chosen = choose_next(waiting, {1: 0, 2: 1}, 0, CallingPolicy(field_order=FieldOrder.IN_ORDER))
    assert chosen is not None and chosen.ticket_id == 2


def test_oldest_first_ignores_the_field_order() -> None:
    waiting = [candidate(1, 0, service_id=2), candidate(2, 20, service_id=1)]
    chosen = choose_next(waiting, {1: 0, 2: 1}, 0, CallingPolicy(field_order=FieldOrder.OLDEST_FIRST))
    assert chosen is not None and chosen.ticket_id == 1


def test_estimated_wait_shares_the_people_ahead_over_open_counters() -> None:
    assert estimated_wait_seconds(6, 300, 2) == 900
    assert estimated_wait_seconds(6, 300, 0) == 1800  # no counter open: count one, never divide by zero
    assert estimated_wait_seconds(0, 300, 3) == 0
