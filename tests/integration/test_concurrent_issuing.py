"""Numbers under concurrency: thousands of tickets from many threads and processes, no duplicate, no gap."""
from __future__ import annotations

import multiprocessing
import threading
from collections import defaultdict

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from server.db import make_engine, make_session_factory
from server.demo import seed_demo
from server.models import DailySequence, Event, Ticket
from server.queue.actors import Actor
from server.queue.clock import SystemClock
from server.queue.service import QueueService
from tests.conftest import _truncate_postgres

KIOSK = Actor(kind="device", id=1, site_id=1, role="kiosk")
FIELDS = (1, 2, 3, 6)  # two numeric ranges, one more, and a prefixed one (A001…)


def issue_many(sessions: sessionmaker[Session], count: int, first_field: int) -> list[int]:
    """Issue `count` tickets round-robin over FIELDS, each in its own unit of work."""
    issued = []
    for index in range(count):
        session = sessions()
        try:
            service = QueueService(session, clock=SystemClock())
            issued.append(service.issue_ticket(FIELDS[(first_field + index) % len(FIELDS)], KIOSK).ticket.id)
        finally:
            session.close()
    return issued


def issue_from_threads(database_url: str, threads: int, per_thread: int) -> list[int]:
    """Threads of one server process: one engine, as the server has (its writers queue on the engine's
    lock; other processes wait on the database's)."""
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    results: list[list[int]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []

    def worker(slot: int) -> None:
        try:
            results[slot] = issue_many(sessions, per_thread, slot)
        except BaseException as error:  # noqa: BLE001 - reported to the test below
            errors.append(error)

    workers = [threading.Thread(target=worker, args=(slot,)) for slot in range(threads)]
    try:
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join(timeout=600)
    finally:
        engine.dispose()
    assert not errors, errors
    return [ticket_id for chunk in results for ticket_id in chunk]


def issue_from_processes(database_url: str, processes: int, threads: int, per_thread: int) -> list[int]:
    """Several server processes on one database, each with its threads."""
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()
    workers = [context.Process(target=_process_main, args=(database_url, threads, per_thread, results))
               for _ in range(processes)]
    for process in workers:
        process.start()
    issued = [ticket_id for _ in workers for ticket_id in results.get(timeout=600)]
    for process in workers:
        process.join(timeout=60)
        assert process.exitcode == 0
    return issued


def _process_main(database_url: str, threads: int, per_thread: int, queue: multiprocessing.Queue) -> None:
    queue.put(issue_from_threads(database_url, threads, per_thread))


def assert_numbers_are_gapless_and_unique(database_url: str, expected_total: int) -> None:
    engine = make_engine(database_url)
    session = make_session_factory(engine)()
    try:
        tickets = session.execute(select(Ticket.id, Ticket.service_id, Ticket.business_date, Ticket.sequence, Ticket.number)).all()
        assert len(tickets) == expected_total
        by_field: dict[tuple[int, object], list[int]] = defaultdict(list)
        numbers: set[tuple[int, object, str]] = set()
        for _, service_id, day, sequence, number in tickets:
            by_field[(service_id, day)].append(sequence)
            numbers.add((service_id, day, number))
        assert len(numbers) == expected_total, "a number was handed out twice"
        for (service_id, day), sequences in by_field.items():
            assert sorted(sequences) == list(range(1, len(sequences) + 1)), f"gap in field {service_id} on {day}"
        stored = {(row.service_id, row.business_date): row.last_value for row in session.scalars(select(DailySequence))}
        assert stored == {key: len(values) for key, values in by_field.items()}
        issued_events = session.execute(select(Event.ticket_id).where(Event.type == "ticket_issued")).scalars().all()
        assert sorted(issued_events) == sorted(ticket_id for ticket_id, *_ in tickets), "one event per ticket"
        seqs = session.execute(select(Event.seq).order_by(Event.seq)).scalars().all()
        assert seqs == list(range(1, len(seqs) + 1)), "event seq must be gapless"
    finally:
        session.close()
        engine.dispose()


def _seed(database_url: str) -> None:
    engine = make_engine(database_url)
    session = make_session_factory(engine)()
    seed_demo(session, SystemClock().now(), demo_mode=True)
    session.close()
    engine.dispose()


@pytest.mark.long
@pytest.mark.timeout(900)  # 2,000 real units of work; slow when the machine is shared
def test_2000_tickets_from_2_processes_of_4_threads_on_sqlite_have_no_duplicate_and_no_gap(sqlite_url: str) -> None:
    _seed(sqlite_url)
    issued = issue_from_processes(sqlite_url, processes=2, threads=4, per_thread=250)
    assert len(issued) == len(set(issued)) == 2000
    assert_numbers_are_gapless_and_unique(sqlite_url, 2000)


@pytest.mark.postgres
@pytest.mark.long
@pytest.mark.timeout(900)
def test_2000_tickets_from_2_processes_on_postgresql_have_no_duplicate_and_no_gap(postgres_database: str) -> None:
    _truncate_postgres(postgres_database)
    _seed(postgres_database)
    issued = issue_from_processes(postgres_database, processes=2, threads=4, per_thread=250)
    assert len(issued) == len(set(issued)) == 2000
    assert_numbers_are_gapless_and_unique(postgres_database, 2000)
