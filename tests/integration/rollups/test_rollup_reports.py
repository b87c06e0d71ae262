"""The site's roll-ups give the summary report's figures: the same counts as the tickets table, and
percentiles within the documented bucket bound (server/rollups/buckets.py), on SQLite and PostgreSQL.

A random but seeded simulation drives the real QueueService over three business days (issue, call,
start, finish, skip, recall, transfer, rate, day-end expiry); the tickets table is the truth.
"""
from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select

from server import errors
from server.models import Counter, Device, Ticket, TicketStatus
from server.queue.actors import Actor
from server.queue.service import RatingRequest
from server.reports.periods import Period
from server.reports.summary import GROUPS, summary_report
from server.rollups import buckets
from server.rollups.apply import apply_events
from server.rollups.models import RollupCursor, RollupDay, RollupSiteDay, RollupTicket
from server.rollups.site import catch_up

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
DAYS = (dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 25))
PERIOD = Period(DAYS[0], DAYS[-1])
COUNTS = ("issued", "served", "no_show", "transferred", "ratings", "score_avg", "scores", "official", "low_reasons",
          "response_rate", "satisfaction_rate")
PERCENTILES = ("wait_p50_s", "wait_p90_s", "service_p50_s", "service_p90_s")


def simulate_day(queue, clock, demo, day: dt.date, rng: random.Random, tickets_per_day: int = 24) -> None:  # type: ignore[no-untyped-def]
    """One business day: arrivals through the morning, four counters calling, serving, skipping,
    transferring, and citizens rating about two thirds of the served tickets."""
    service = queue()
    session = service.session
    kiosk = session.scalar(select(Device).where(Device.name == "Kiosk sảnh chính"))
    kiosk_actor = Actor(kind="device", id=kiosk.id, site_id=kiosk.site_id, role="kiosk")
    counters = list(session.scalars(select(Counter).where(Counter.site_id == demo.site_id).order_by(Counter.number)))
    clerks = {counter.id: Actor(kind="staff", id=counter.clerk_id, site_id=demo.site_id, role="clerk")
              for counter in counters if counter.clerk_id}
    field_ids = sorted({link.service_id for counter in counters for link in counter.service_links})
    citizen = Actor(kind="citizen", site_id=demo.site_id)
    session.rollback()
    now = dt.datetime.combine(day, dt.time(7, 40), HANOI)
    clock.set(now)
    queue().expire_previous_days(demo.site_id)
    for _ in range(tickets_per_day):
        now += dt.timedelta(seconds=rng.randint(20, 200))
        clock.set(now)
        try:
            queue().issue_ticket(rng.choice(field_ids), kiosk_actor)
        except (errors.ServiceNotServed, errors.ServiceInactive):
            pass
    finished: list[int] = []
    for _round in range(tickets_per_day):
        for counter_id, clerk in clerks.items():
            now += dt.timedelta(seconds=rng.randint(30, 400))
            clock.set(now)
            try:
                ticket = queue().call_next(counter_id, clerk)
            except errors.NoTicketWaiting:
                continue
            roll = rng.random()
            now += dt.timedelta(seconds=rng.randint(5, 60))
            clock.set(now)
            if roll < 0.12:
                queue().skip(ticket.id, clerk)
                if rng.random() < 0.3:
                    now += dt.timedelta(seconds=rng.randint(5, 60))
                    clock.set(now)
                    queue().recall(ticket.id, clerk, counter_id=counter_id)
                    now += dt.timedelta(seconds=rng.randint(60, 600))
                    clock.set(now)
                    queue().finish(ticket.id, clerk)
                    finished.append(ticket.id)
            elif roll < 0.22:
                other = [f for f in field_ids if f != ticket.service_id]
                try:
                    queue().transfer(ticket.id, clerk, to_service_id=rng.choice(other))
                except errors.ServiceNotServed:
                    queue().finish(ticket.id, clerk)
                    finished.append(ticket.id)
            else:
                if rng.random() < 0.6:
                    queue().start(ticket.id, clerk)
                now += dt.timedelta(seconds=rng.randint(60, 900))
                clock.set(now)
                queue().finish(ticket.id, clerk)
                finished.append(ticket.id)
    for ticket_id in finished:
        if rng.random() < 0.66:
            rater = queue()
            token = rater.session.get(Ticket, ticket_id).public_token
            score = rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 2, 4, 6])[0]
            reasons = tuple(rng.sample(["cho_lau", "thai_do", "huong_dan"], rng.randint(1, 2))) if score <= 3 else ()
            now += dt.timedelta(seconds=rng.randint(1, 30))
            clock.set(now)
            try:
                rater.rate(RatingRequest(score=score, token=token, reasons=reasons), citizen)
            except errors.HangChoError:
                pass


def durations(session_factory, group_by: str) -> dict:  # type: ignore[no-untyped-def]
    """The exact waiting and service times of the period per group key (and "total"), sorted."""
    session = session_factory()
    values: dict = {}
    for ticket in session.scalars(select(Ticket).where(Ticket.business_date.between(PERIOD.start, PERIOD.end))):
        key = {"service": ticket.service_id, "counter": ticket.counter_id, "clerk": ticket.clerk_id,
               "site": ticket.site_id}[group_by]
        for group in (key, "total"):
            if ticket.first_called_at is not None:
                values.setdefault((group, "wait"), []).append((ticket.first_called_at - ticket.issued_at).total_seconds())
            if ticket.status is TicketStatus.DONE and ticket.finished_at is not None:
                begun = ticket.started_at or ticket.called_at
                values.setdefault((group, "service"), []).append((ticket.finished_at - begun).total_seconds())
    session.close()
    return {key: sorted(found) for key, found in values.items()}


def bound(sorted_values: list[float], fraction: float) -> float:
    """Half the bucket width at the higher of the two durations percentile_cont interpolates between."""
    upper = sorted_values[min(int(fraction * (len(sorted_values) - 1)) + 1, len(sorted_values) - 1)]
    return buckets.half_width(upper)


def assert_same_figures(exact: dict, rolled: dict, exact_durations: dict) -> None:
    exact_rows = {row["key"]: row for row in [*exact["rows"], exact["totals"]]}
    rolled_rows = {row["key"]: row for row in [*rolled["rows"], rolled["totals"]]}
    assert set(exact_rows) == set(rolled_rows)
    assert [row["key"] for row in exact["rows"]] == [row["key"] for row in rolled["rows"]]
    for key, row in exact_rows.items():
        other = rolled_rows[key]
        assert {name: row[name] for name in COUNTS} == {name: other[name] for name in COUNTS}, key
        for name in PERCENTILES:
            if row[name] is None:
                assert other[name] is None, (key, name)
                continue
            kind, fraction = name.split("_")[0], 0.5 if "p50" in name else 0.9
            # the bound, plus 0.05 s for rounding to one decimal
            limit = bound(exact_durations[(key, kind)], fraction) + 0.05
            assert abs(other[name] - row[name]) <= limit, (key, name, row[name], other[name])


def reports(session_factory, site_id: int, use_rollups: bool) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    session = session_factory()
    try:
        return {group: summary_report(session, [site_id], PERIOD, group, use_rollups=use_rollups) for group in GROUPS}
    finally:
        session.close()


def roll_up(session_factory, site_id: int, snapshot: bool = True) -> int:  # type: ignore[no-untyped-def]
    from server.db import make_session_factory

    writer = make_session_factory(session_factory.kw["bind"], writing=True)()
    try:
        count = catch_up(writer, site_id, reader=session_factory if snapshot else None)
        writer.commit()
        return count
    finally:
        writer.close()


def test_rollups_give_the_figures_of_the_tickets(queue, clock, demo, session_factory) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(13)
    clock.set(dt.datetime.combine(DAYS[0], dt.time(6, 0), HANOI))
    roll_up(session_factory, demo.site_id)  # the first roll-up: the (empty) history, from the tickets
    simulate_day(queue, clock, demo, DAYS[0], rng)
    roll_up(session_factory, demo.site_id)  # from the events
    simulate_day(queue, clock, demo, DAYS[1], rng)
    simulate_day(queue, clock, demo, DAYS[2], rng)

    exact = reports(session_factory, demo.site_id, use_rollups=False)
    assert exact["service"]["totals"]["issued"] > 60 and exact["service"]["totals"]["transferred"] > 0
    assert exact["service"]["totals"]["no_show"] > 0 and exact["service"]["totals"]["ratings"] > 10

    # Two days of events not rolled up yet: the report adds them in memory.
    pending = reports(session_factory, demo.site_id, use_rollups=True)
    exact_durations = {group: durations(session_factory, group) for group in GROUPS}
    for group in GROUPS:
        assert_same_figures(exact[group], pending[group], exact_durations[group])

    assert roll_up(session_factory, demo.site_id) > 0
    stored = reports(session_factory, demo.site_id, use_rollups=True)
    for group in GROUPS:
        assert_same_figures(exact[group], stored[group], exact_durations[group])

    # The same history rolled up from the tickets table (how an existing site starts) agrees too.
    session = session_factory()
    for model in (RollupDay, RollupSiteDay, RollupTicket, RollupCursor):
        session.execute(delete(model))
    session.commit()
    session.close()
    roll_up(session_factory, demo.site_id, snapshot=False)  # this time with the site row locked
    rebuilt = reports(session_factory, demo.site_id, use_rollups=True)
    for group in GROUPS:
        assert_same_figures(exact[group], rebuilt[group], exact_durations[group])


def test_applying_the_same_events_twice_counts_them_once(queue, clock, demo, session_factory) -> None:  # type: ignore[no-untyped-def]
    from server.db import make_session_factory
    from server.models import Event

    rng = random.Random(5)
    simulate_day(queue, clock, demo, DAYS[0], rng, tickets_per_day=10)
    writer = make_session_factory(session_factory.kw["bind"], writing=True)()
    events = list(writer.scalars(select(Event).where(Event.site_id == demo.site_id).order_by(Event.seq)))
    half = len(events) // 2
    assert apply_events(writer, 99, events[:half + 5]) == half + 5
    assert apply_events(writer, 99, events[half:]) == len(events) - half - 5  # overlapping batch
    assert apply_events(writer, 99, events) == 0
    writer.commit()
    day = writer.scalar(select(RollupSiteDay).where(RollupSiteDay.site_id == 99, RollupSiteDay.grain == "month"))
    tickets = list(writer.scalars(select(Ticket).where(Ticket.site_id == demo.site_id)))
    assert day.issued == len(tickets)
    assert day.served == sum(ticket.status is TicketStatus.DONE for ticket in tickets)
    writer.close()
