"""SQL statements and CPU time per verb of the core, on a fresh demo centre (SQLite or PostgreSQL).

    .venv/bin/python -m bench.bench_core_statements [--database-url URL] [--rounds 200]

Statement counts do not depend on the machine's load, so they show what a change to the core costs
(docs/performance.md compares them across versions); CPU times are medians of process time per verb.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import event

from server.db import make_engine, make_session_factory
from server.demo import seed_demo
from server.migrate import upgrade
from server.queue.actors import Actor
from server.queue.clock import FixedClock
from server.queue.ratings import RatingRequest
from server.queue.service import QueueService
import datetime as dt

# 09:00 on a Wednesday in Hà Nội: the demo centre is open.
START = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.timezone.utc)
KIOSK = Actor(kind="device", id=1, site_id=1, role="kiosk")
CLERK = Actor(kind="staff", id=1, site_id=1, role="clerk")
TERMINAL = Actor(kind="device", id=3, site_id=1, role="rating_terminal", counter_id=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="an EMPTY database (default: a temporary SQLite file)")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='hangcho-stmts-')) / 'bench.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    clock = FixedClock(START)
    with sessions() as session:
        seed_demo(session, START, demo_mode=True)
    counts: dict[str, list[int]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    current = {"n": 0}

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args) -> None:  # type: ignore[no-untyped-def]
        current["n"] += 1

    def measure(name: str, verb) -> object:  # type: ignore[no-untyped-def]
        session = sessions()
        try:
            current["n"] = 0
            started = time.process_time()
            result = verb(QueueService(session, clock=clock))
            cpu[name].append((time.process_time() - started) * 1000)
            counts[name].append(current["n"])
            return result
        finally:
            session.close()

    measure("open counter", lambda service: service.open_counter(1, CLERK))
    for _ in range(args.rounds):
        clock.advance(seconds=20)
        measure("issue ticket", lambda service: service.issue_ticket(1, KIOSK))
        ticket = measure("call next", lambda service: service.call_next(1, CLERK))
        measure("start", lambda service: service.start(ticket.id, CLERK))
        measure("finish", lambda service: service.finish(ticket.id, CLERK))
        measure("rate (terminal)", lambda service: service.rate(RatingRequest(score=4, ticket_id=ticket.id), TERMINAL))
    engine.dispose()
    print(f"database: {url.split(':')[0]}; {args.rounds} rounds of issue → call → start → finish → rate")
    for name in counts:
        print(f"{name:16} statements median {statistics.median(counts[name]):5.1f} (max {max(counts[name])}); "
              f"CPU median {statistics.median(cpu[name]):6.2f} ms")


if __name__ == "__main__":
    main()
