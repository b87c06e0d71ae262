"""Reports and the dashboard snapshot on a year of a busy centre, on SQLite and on PostgreSQL.

Generates 300,000 tickets (with ratings, transfers, no-shows and their events) spread like a real
one-stop centre: working days only, morning and afternoon peaks, busier fields and counters, clerks
who differ in speed and in the ratings they get. Rows go in with Core executemany in large batches.
Then it times the monthly per-clerk report, a per-field quarter, and the dashboard snapshot, each the
median of several runs, and prints the figures (no pass/fail: see docs/reports.md for the targets).

    .venv/bin/python -m bench.bench_reports [--tickets 300000] [--runs 5] [--only sqlite|postgres]

PostgreSQL: a throwaway database is created on HANGCHO_BENCH_POSTGRES_URL (default: the local server
used by the tests) and dropped at the end.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, insert, select, text, update
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.db import make_engine, make_session_factory  # noqa: E402
from server.demo import seed_demo  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.models import Counter, Event, Rating, Service, Site, Staff, StaffRole, Ticket  # noqa: E402
from server.queue.clock import FixedClock  # noqa: E402
from server.queue.queries import dashboard_snapshot  # noqa: E402
from server.reports.periods import Period, month_of, quarter_of  # noqa: E402
from server.reports.summary import summary_report  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://root@127.0.0.1:5432/postgres"
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
YEAR = 2026
# Arrivals by local hour (7:00–11:30 and 13:30–17:00 sessions): a morning peak and a smaller afternoon one.
HOUR_WEIGHTS = {7: 6, 8: 14, 9: 16, 10: 13, 11: 5, 13: 5, 14: 11, 15: 12, 16: 8}
FIELD_WEIGHTS = [30, 22, 14, 8, 10, 9, 7]  # the 7 demo fields: civil status and certification are busiest
BATCH = 20_000


def log(message: str) -> None:
    print(message, flush=True)


def working_days() -> list[dt.date]:
    """Monday–Friday plus Saturday mornings are common; holidays are left in for simplicity."""
    day, days = dt.date(YEAR, 1, 1), []
    while day.year == YEAR:
        if day.weekday() < 6:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def generate(engine: Engine, ticket_count: int, seed: int = 7) -> dict[str, Any]:
    """Seed the demo centre, add clerks and counters of a busy centre, then a year of tickets."""
    session = make_session_factory(engine)()
    start = dt.datetime(YEAR, 1, 1, 0, 0, tzinfo=dt.timezone.utc)
    demo = seed_demo(session, start, demo_mode=True)
    site_id = demo.site_id
    services = list(session.scalars(select(Service.id).where(Service.site_id == site_id).order_by(Service.position)))
    counters = {c.number: c.id for c in session.scalars(select(Counter).where(Counter.site_id == site_id))}
    session.close()
    with engine.begin() as connection:
        # A busy centre: 12 counters, 2 clerks per counter (shifts), each counter serving 2–3 fields.
        password_hash = connection.execute(select(Staff.password_hash).limit(1)).scalar_one()
        clerk_ids: list[int] = []
        for index in range(24):
            clerk_ids.append(connection.execute(insert(Staff).values(
                site_id=site_id, username=f"bench{index:02d}", full_name=f"Cán bộ thử {index:02d}",
                title="", role=StaffRole.CLERK, password_hash=password_hash, active=True,
                created_at=start).returning(Staff.id)).scalar_one())
        for number in range(5, 13):
            counters[number] = connection.execute(insert(Counter).values(
                site_id=site_id, number=number, name=f"Quầy {number}", status="open", pause_reason="",
                active=True).returning(Counter.id)).scalar_one()
    rng = random.Random(seed)
    counter_numbers = sorted(counters)
    fields_of_counter = {number: rng.sample(services, 3) for number in counter_numbers}
    counters_of_field: dict[int, list[int]] = {service: [] for service in services}
    for number, fields in fields_of_counter.items():
        for service in fields:
            counters_of_field[service].append(number)
    for service in services:
        if not counters_of_field[service]:
            counters_of_field[service].append(counter_numbers[0])
    clerk_speed = {clerk: rng.uniform(0.7, 1.4) for clerk in clerk_ids}
    clerk_mood = {clerk: rng.uniform(-0.6, 0.4) for clerk in clerk_ids}
    days = working_days()
    per_day = ticket_count // len(days)
    extra = ticket_count - per_day * len(days)
    hours = list(HOUR_WEIGHTS)
    hour_weights = list(HOUR_WEIGHTS.values())
    reasons = ["thai_do", "huong_dan", "cho_lau", "giay_to", "hen_sai", "di_lai", "khac"]

    tickets: list[dict[str, Any]] = []
    ratings: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    ticket_id = rating_id = seq = 0
    created = {"tickets": 0, "ratings": 0, "events": 0}

    def flush() -> None:
        with engine.begin() as connection:
            if tickets:
                connection.execute(insert(Ticket), tickets)
            if ratings:
                connection.execute(insert(Rating), ratings)
            if events:
                connection.execute(insert(Event), events)
        created["tickets"] += len(tickets)
        created["ratings"] += len(ratings)
        created["events"] += len(events)
        tickets.clear()
        ratings.clear()
        events.clear()

    def event(kind: str, when: dt.datetime, ticket: int, counter: int | None, payload: dict[str, Any]) -> None:
        nonlocal seq
        seq += 1
        events.append({"site_id": site_id, "seq": seq, "type": kind, "ticket_id": ticket, "counter_id": counter,
                       "actor": "bench", "payload": payload, "created_at": when})

    for day_index, day in enumerate(days):
        count = per_day + (1 if day_index < extra else 0)
        sequences = {service: 0 for service in services}
        shift = day_index % 2  # clerks alternate days at each counter
        arrivals = sorted(
            dt.datetime.combine(day, dt.time(rng.choices(hours, hour_weights)[0], rng.randrange(60), rng.randrange(60)),
                                tzinfo=ZONE).astimezone(dt.timezone.utc)
            for _ in range(count)
        )
        for issued_at in arrivals:
            ticket_id += 1
            service = rng.choices(services, FIELD_WEIGHTS)[0]
            sequences[service] += 1
            number = counters_of_field[service][ticket_id % len(counters_of_field[service])]
            counter_id = counters[number]
            clerk = clerk_ids[(counter_numbers.index(number) * 2 + shift) % len(clerk_ids)]
            wait = rng.lognormvariate(6.2, 0.7)  # median ≈ 8 minutes, a long tail
            fate = rng.random()
            row: dict[str, Any] = {
                "id": ticket_id, "site_id": site_id, "service_id": service, "issued_service_id": service,
                "business_date": day, "sequence": sequences[service],
                # numbers are unique per site and day: each field has its own thousand
                "number": str(1000 * (services.index(service) + 1) + sequences[service]), "status": "done",
                "priority_category_id": None, "priority_level": 1 if rng.random() < 0.06 else 0,
                "issued_at": issued_at, "called_at": None, "first_called_at": None, "started_at": None,
                "finished_at": None, "ended_at": None, "counter_id": None, "clerk_id": None,
                "target_counter_id": None, "call_count": 0, "transfer_count": 0, "transfer_note": "",
                "issued_by_device_id": None, "issued_by_staff_id": None, "public_token": uuid.uuid4().hex,
                "language": "vi", "dossier_code": "",
            }
            event("ticket_issued", issued_at, ticket_id, None, {"id": ticket_id, "service_id": service})
            if fate < 0.02:  # never called: left, or expired at day end
                row.update(status="expired", ended_at=issued_at + dt.timedelta(hours=8))
                tickets.append(row)
                continue
            called_at = issued_at + dt.timedelta(seconds=wait)
            row.update(called_at=called_at, first_called_at=called_at, counter_id=counter_id, clerk_id=clerk, call_count=1)
            event("ticket_called", called_at, ticket_id, counter_id, {"id": ticket_id, "counter_id": counter_id})
            if fate < 0.06:  # no-show
                row.update(status="no_show", ended_at=called_at + dt.timedelta(seconds=90))
                event("ticket_skipped", row["ended_at"], ticket_id, counter_id, {"id": ticket_id})
                tickets.append(row)
                continue
            if fate < 0.09:  # transferred once, then served elsewhere (same clerk for simplicity)
                event("ticket_transferred", called_at + dt.timedelta(seconds=60), ticket_id, counter_id,
                      {"id": ticket_id, "from_service_id": service, "to_service_id": service, "from_clerk_id": clerk})
                row["transfer_count"] = 1
            started_at = called_at + dt.timedelta(seconds=rng.uniform(10, 60))
            finished_at = started_at + dt.timedelta(seconds=rng.lognormvariate(5.6, 0.5) * clerk_speed[clerk])
            row.update(started_at=started_at, finished_at=finished_at, ended_at=finished_at)
            event("ticket_started", started_at, ticket_id, counter_id, {"id": ticket_id})
            event("ticket_finished", finished_at, ticket_id, counter_id, {"id": ticket_id})
            tickets.append(row)
            if rng.random() < 0.72:  # about seven in ten citizens rate
                mood = rng.gauss(0.9 + clerk_mood[clerk] - (0.4 if wait > 1500 else 0), 0.9)
                score = max(1, min(5, round(3.8 + mood)))
                low = score <= 3
                rating_id += 1
                ratings.append({
                    "id": rating_id, "ticket_id": ticket_id, "site_id": site_id, "service_id": service,
                    "counter_id": counter_id, "clerk_id": clerk, "score": score,
                    "reasons": rng.sample(reasons, rng.randint(1, 2)) if low and rng.random() < 0.7 else [],
                    "comment": "", "channel": "terminal", "device_id": None,
                    "created_at": finished_at + dt.timedelta(seconds=rng.uniform(3, 25)),
                })
                event("rating_received", ratings[-1]["created_at"], ticket_id, counter_id, {"score": score})
        if len(tickets) >= BATCH:
            flush()
    flush()
    with engine.begin() as connection:
        connection.execute(update(Site).where(Site.id == site_id).values(event_seq=seq))
        # Today (the last day generated) keeps some citizens waiting and counters busy for the snapshot.
        last_day = days[-1]
        today_ids = connection.execute(select(Ticket.id).where(Ticket.business_date == last_day)
                                       .order_by(Ticket.issued_at.desc()).limit(40)).scalars().all()
        connection.execute(update(Ticket).where(Ticket.id.in_(today_ids)).values(
            status="waiting", called_at=None, first_called_at=None, started_at=None, finished_at=None,
            ended_at=None, counter_id=None, clerk_id=None))
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    else:
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    return {"site_id": site_id, "last_day": days[-1], **created}


def timed(work: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """Median and best of `runs` timings in ms, after one warm-up run."""
    result = work()
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        result = work()
        timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings), min(timings), result


def measure(name: str, engine: Engine, facts: dict[str, Any], runs: int) -> list[dict[str, Any]]:
    session_factory = make_session_factory(engine)
    site_id, last_day = facts["site_id"], facts["last_day"]
    month = month_of(dt.date(YEAR, 10, 15))
    quarter = quarter_of(dt.date(YEAR, 10, 15))
    clock = FixedClock(dt.datetime.combine(last_day, dt.time(16, 0), tzinfo=ZONE))

    def run(work: Callable[[Any], Any]) -> Callable[[], Any]:
        def inner() -> Any:
            session = session_factory()
            try:
                return work(session)
            finally:
                session.close()
        return inner

    cases = [
        ("monthly report per clerk (Oct)", run(lambda s: summary_report(s, [site_id], month, "clerk"))),
        ("monthly report per field (Oct)", run(lambda s: summary_report(s, [site_id], month, "service"))),
        ("quarterly report per counter (Q4)", run(lambda s: summary_report(s, [site_id], quarter, "counter"))),
        ("yearly report per clerk", run(lambda s: summary_report(s, [site_id], Period(dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)), "clerk"))),
        ("dashboard snapshot (today)", run(lambda s: dashboard_snapshot(s, site_id, clock))),
    ]
    results = []
    for label, work in cases:
        median, best, result = timed(work, runs)
        size = len(result["rows"]) if "rows" in result else len(json.dumps(result, default=str))
        results.append({"database": name, "case": label, "median_ms": median, "best_ms": best, "size": size})
        log(f"  {name:<10} {label:<36} median {median:8.1f} ms   best {best:8.1f} ms")
    return results


def sqlite_engine(directory: Path) -> tuple[str, Engine]:
    url = f"sqlite:///{directory / 'bench.sqlite3'}"
    upgrade(url)
    return url, make_engine(url)


def postgres_engine() -> Iterator[tuple[str, Engine]]:
    import os

    admin_url = os.environ.get("HANGCHO_BENCH_POSTGRES_URL", POSTGRES_URL)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"hangcho_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = None
    try:
        upgrade(url)
        engine = make_engine(url)
        yield url, engine
    finally:
        if engine is not None:
            engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
                                    "AND pid <> pg_backend_pid()"))
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    options = parser.parse_args()
    results: list[dict[str, Any]] = []
    if options.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="hangcho-bench-") as directory:
            _url, engine = sqlite_engine(Path(directory))
            began = time.perf_counter()
            facts = generate(engine, options.tickets)
            log(f"sqlite: generated {facts['tickets']:,} tickets, {facts['ratings']:,} ratings, "
                f"{facts['events']:,} events in {time.perf_counter() - began:.1f} s")
            results += measure("sqlite", engine, facts, options.runs)
            engine.dispose()
    if options.only in (None, "postgres"):
        for _url, engine in postgres_engine():
            began = time.perf_counter()
            facts = generate(engine, options.tickets)
            log(f"postgres: generated {facts['tickets']:,} tickets, {facts['ratings']:,} ratings, "
                f"{facts['events']:,} events in {time.perf_counter() - began:.1f} s")
            results += measure("postgres", engine, facts, options.runs)
    log("")
    log(f"{'database':<10} {'case':<36} {'median ms':>10} {'best ms':>10}")
    for row in results:
        log(f"{row['database']:<10} {row['case']:<36} {row['median_ms']:>10.1f} {row['best_ms']:>10.1f}")


if __name__ == "__main__":
    main()
