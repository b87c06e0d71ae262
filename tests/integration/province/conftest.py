"""A central-like app for the province report routes: the site's app factory plus server/province/rankings'
blueprint, on a database that also has the central's site and live tables (created here when the central
models are not on this branch), and a hand-made month of roll-ups for three communes."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterator

import pytest
from sqlalchemy import text

from server.auth.secrets import hash_password
from server.models import Staff, StaffRole
from server.queue import events as ev
from server.rollups.apply import apply_events
from server.settings import load_settings

DAY = dt.date(2026, 11, 2)  # a Monday


@dataclass
class Event:
    seq: int
    type: str
    payload: dict[str, Any]
    created_at: dt.datetime


def local(day: dt.date, hour: int, minute: int, second: int = 0) -> dt.datetime:
    # Hà Nội is UTC+7 all year
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=dt.timezone.utc) - dt.timedelta(hours=7)


class History:
    """Events of one commune written by hand: ticket n issued at 08:00 + n min, called after `wait` s,
    served for `service` s, rated `score` (when given)."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.ticket = 0

    def add(self, at: dt.datetime, kind: str, payload: dict[str, Any]) -> None:
        self.events.append(Event(len(self.events) + 1, kind, payload, at))

    def served(self, day: dt.date, field: int, counter: int, clerk: int, wait: int, service: int,
               score: int | None = None, reasons: tuple[str, ...] = ()) -> None:
        self.ticket += 1
        issued = local(day, 8, 0) + dt.timedelta(minutes=self.ticket)
        called = issued + dt.timedelta(seconds=wait)
        done = called + dt.timedelta(seconds=service)
        base = {"id": self.ticket, "number": str(1000 + self.ticket), "service_id": field, "priority_level": 0,
                "call_count": 1, "issued_at": issued.isoformat()}
        self.add(issued, ev.TICKET_ISSUED, {**base, "status": "waiting", "counter_id": None, "clerk_id": None,
                                            "called_at": None})
        at_counter = {**base, "counter_id": counter, "counter_number": counter, "clerk_id": clerk,
                      "called_at": called.isoformat()}
        self.add(called, ev.TICKET_CALLED, {**at_counter, "status": "called"})
        self.add(done, ev.TICKET_FINISHED, {**at_counter, "status": "done"})
        if score is not None:
            self.add(done + dt.timedelta(seconds=10), ev.RATING_RECEIVED, {
                "rating_id": self.ticket, "id": self.ticket, "ticket_id": self.ticket, "service_id": field,
                "counter_id": counter, "clerk_id": clerk, "score": score, "reasons": list(reasons),
                "channel": "terminal"})

    def no_show(self, day: dt.date, field: int, counter: int, clerk: int, wait: int) -> None:
        self.ticket += 1
        issued = local(day, 9, 0) + dt.timedelta(minutes=self.ticket)
        called = issued + dt.timedelta(seconds=wait)
        base = {"id": self.ticket, "number": str(1000 + self.ticket), "service_id": field, "priority_level": 0,
                "call_count": 1, "issued_at": issued.isoformat(), "counter_id": counter, "counter_number": counter, "clerk_id": clerk,
                "called_at": called.isoformat()}
        self.add(issued, ev.TICKET_ISSUED, {**base, "status": "waiting", "counter_id": None, "clerk_id": None,
                                            "called_at": None})
        self.add(called, ev.TICKET_CALLED, {**base, "status": "called"})
        self.add(called + dt.timedelta(seconds=60), ev.TICKET_SKIPPED, {**base, "status": "no_show"})


def hand_made_province() -> dict[int, History]:
    """Three communes (ids 11, 12, 13). Figures by hand, 2–3 Nov 2026:
    - 11 Minh Khai: 4 served (waits 60, 120, 180, 240 s; service 300 s each), ratings 5, 5, 4, 2 → index 75.0;
      1 no-show → issued 5, served 4, no_show 1, response rate 4/4 = 1.0.
    - 12 Tân Lập: 3 served (waits 600, 600, 900 s), ratings 5, 5, 5 → index 100.0 but only 3 ratings.
    - 13 Hòa Bình: 4 served (waits 30 s each), ratings 4, 3, 3, 1 → index 25.0; response rate 1.0.
    With a minimum of 4 ratings: 11 (75.0) first, 13 (25.0) second, 12 last (too few ratings)."""
    minh_khai, tan_lap, hoa_binh = History(), History(), History()
    next_day = DAY + dt.timedelta(days=1)
    for wait, score in ((60, 5), (120, 5), (180, 4), (240, 2)):
        minh_khai.served(DAY if wait < 200 else next_day, 1, 1, 101, wait, 300, score,
                         ("cho_lau",) if score <= 3 else ())
    minh_khai.no_show(next_day, 2, 2, 102, 90)
    for wait in (600, 600, 900):
        tan_lap.served(DAY, 1, 1, 201, wait, 200, 5)
    for score in (4, 3, 3, 1):
        hoa_binh.served(DAY, 3, 2, 302, 30, 400, score, ("thai_do",) if score <= 3 else ())
    return {11: minh_khai, 12: tan_lap, 13: hoa_binh}


SITES = {11: ("XA-MK", "Xã Minh Khai"), 12: ("XA-TL", "Xã Tân Lập"), 13: ("XA-HB", "Xã Hòa Bình")}
LIVE = [  # site, code, name, waiting, estimated wait
    (11, "TPHT", "Tư pháp – Hộ tịch", 6, 900), (12, "TPHT", "Tư pháp – Hộ tịch", 2, 240),
    (13, "TPHT", "Tư pháp – Hộ tịch", 0, 0), (11, "DD", "Đất đai", 3, 600), (12, "DD", "Đất đai", 1, 120),
]
CONNECTED = {11: True, 12: True, 13: False}


def create_central_tables(connection: Any) -> None:
    """The two central tables the province blueprint reads (`province_sites`, `province_live_fields`)."""
    connection.execute(text("CREATE TABLE IF NOT EXISTS province_sites (id INTEGER PRIMARY KEY, code VARCHAR(32), "
                            "name VARCHAR(200), connected BOOLEAN)"))
    connection.execute(text("CREATE TABLE IF NOT EXISTS province_live_fields (site_id INTEGER, code VARCHAR(32), "
                            "name VARCHAR(200), waiting INTEGER, estimated_wait_s INTEGER)"))


def drop_central_tables(session_factory: Any) -> None:
    """The PostgreSQL test database is shared by the session: leave no table the models do not have."""
    session = session_factory()
    session.execute(text("DROP TABLE IF EXISTS province_live_fields"))
    session.execute(text("DROP TABLE IF EXISTS province_sites"))
    session.commit()
    session.close()


def seed_province(session_factory: Any) -> None:
    session = session_factory()
    create_central_tables(session.connection())
    for site_id, (code, name) in SITES.items():
        session.execute(text("INSERT INTO province_sites (id, code, name, connected) VALUES (:i, :c, :n, :k)"),
                        {"i": site_id, "c": code, "n": name, "k": CONNECTED[site_id]})
    for site_id, code, name, waiting, estimate in LIVE:
        session.execute(text("INSERT INTO province_live_fields VALUES (:s, :c, :n, :w, :e)"),
                        {"s": site_id, "c": code, "n": name, "w": waiting, "e": estimate})
    for site_id, history in hand_made_province().items():
        apply_events(session, site_id, history.events)
    now = dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc)
    for username, role in (("tinh", StaffRole.LEADER),):
        session.add(Staff(site_id=None, username=username, full_name=f"Cán bộ {username}", role=role,
                          password_hash=hash_password("demo"), created_at=now))
    session.commit()
    session.close()


def province_app(database_url: str, clock: Any) -> Any:
    from server import create_app
    from server.province.rankings import blueprint

    settings = load_settings(database_url=database_url, secret_key="test-secret", scheduler=False,
                             public_base_url="http://hangcho.test", province_min_ratings=4)
    application = create_app(settings, clock=clock)
    application.register_blueprint(blueprint())
    application.config["TESTING"] = True
    return application


@pytest.fixture
def province(database_url, clock, demo, session_factory) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    seed_province(session_factory)
    application = province_app(database_url, clock)
    yield application
    application.extensions["hangcho"].engine.dispose()
    drop_central_tables(session_factory)


def start_province_server(database_url: str, log_dir: Any) -> tuple[str, Any]:
    """Migrate and seed (the demo centre, then the hand-made province), then start serve_province."""
    import subprocess
    import sys
    from pathlib import Path

    from server.db import make_engine, make_session_factory
    from server.demo import seed_demo
    from server.migrate import upgrade
    from server.settings import PROJECT_ROOT
    from tests.conftest import free_port, wait_until_healthy

    upgrade(database_url)
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    session = factory()
    seed_demo(session, dt.datetime(2026, 11, 25, 2, tzinfo=dt.timezone.utc), demo_mode=True)
    session.close()
    seed_province(factory)
    engine.dispose()
    port = free_port()
    log_path = Path(log_dir) / f"province-{port}.log"
    process = subprocess.Popen([sys.executable, "-m", "tests.integration.province.serve_province", database_url,
                                str(port)], cwd=PROJECT_ROOT, stdout=log_path.open("ab"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(url, process, log_path)
    return url, process
