"""A real central (HANGCHO_ROLE=central) process and real site processes uplinked to it; and a central-like
app for the province report routes (the site's app factory plus server/province/rankings' blueprint) with a
hand-made month of roll-ups for three communes registered as province sites."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import psutil
import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.auth.secrets import hash_password
from server.models import Staff, StaffRole
from server.province.models import ProvinceSite
from server.queue import events as ev
from server.rollups.apply import apply_events
from server.settings import PROJECT_ROOT, load_settings
from tests.conftest import (POSTGRES_ADMIN_URL, LiveServer, free_port, service_missing, start_live_server,
                            stop_process, wait_until_healthy)

CENTRAL_PASSWORD = "demo"


def run_cli(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=PROJECT_ROOT, env=env, check=check,
                          capture_output=True, text=True, timeout=120)


@dataclass
class Central:
    url: str
    port: int
    database_url: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "server", "serve"], cwd=PROJECT_ROOT, env=self.env,
                                        stdout=log, stderr=subprocess.STDOUT)
        wait_until_healthy(self.url, self.process, self.log_path)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)

    def kill(self) -> None:
        """kill -9 of the whole server (gunicorn's master and its worker), mid-stream."""
        assert self.process is not None
        parent = psutil.Process(self.process.pid)
        for process in [*parent.children(recursive=True), parent]:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        self.process.wait()

    def add_site(self, code: str, name: str) -> str:
        """Register a site through the CLI; returns the uplink key (the last line printed)."""
        return run_cli(self.env, "central", "add-site", "--code", code, "--name", name).stdout.strip().splitlines()[-1]

    def login(self, username: str) -> str:
        answer = requests.post(self.url + "/api/v1/auth/login", json={"username": username, "password": CENTRAL_PASSWORD},
                               timeout=10)
        answer.raise_for_status()
        return answer.json()["token"]

    def get(self, path: str, username: str = "tinh") -> requests.Response:
        return requests.get(self.url + path, headers={"Authorization": f"Bearer {self.login(username)}"}, timeout=10)

    def sites(self) -> dict[str, dict[str, Any]]:
        answer = self.get("/api/v1/province/sites")
        answer.raise_for_status()
        return {row["code"]: row for row in answer.json()}

    def query(self, sql: str, **params: Any) -> list[Any]:
        return query_database(self.database_url, sql, **params)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def query_database(database_url: str, sql: str, **params: Any) -> list[Any]:
    """The rows of one SQL statement, read straight from a central's or a site's database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params))
    finally:
        engine.dispose()


def seed_central(database_url: str) -> None:
    """Migrate and create the three central accounts (in-process: the CLI's own test is test_central_cli)."""
    import datetime as dt

    from server.db import make_engine, make_session_factory
    from server.migrate import upgrade
    from server.province.registry import create_central_staff

    upgrade(database_url)
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine, writing=True)() as session:
            now = dt.datetime.now(dt.timezone.utc)
            for username, role in (("tinh", "leader"), ("thanhtra", "inspector"), ("admin", "admin")):
                create_central_staff(session, username, role, now, password=CENTRAL_PASSWORD)
            session.commit()
    finally:
        engine.dispose()


def add_site(central: "Central", code: str, name: str) -> str:
    """Register a site in-process; returns its uplink key."""
    import datetime as dt

    from server.db import make_engine, make_session_factory
    from server.province.registry import add_site as register

    engine = make_engine(central.database_url)
    try:
        with make_session_factory(engine, writing=True)() as session:
            _site, key = register(session, code, name, dt.datetime.now(dt.timezone.utc))
            session.commit()
            return key
    finally:
        engine.dispose()


def make_central(database_url: str, tmp_path: Path) -> Central:
    port = free_port()
    env = {**os.environ, "HANGCHO_ROLE": "central", "HANGCHO_DATABASE_URL": database_url, "HANGCHO_PORT": str(port),
           "HANGCHO_HOST": "127.0.0.1", "HANGCHO_SECRET_KEY": "central-test-secret", "HANGCHO_LOG_LEVEL": "WARNING"}
    seed_central(database_url)
    return Central(f"http://127.0.0.1:{port}", port, database_url, env, tmp_path / f"central-{port}.log")


@pytest.fixture
def fresh_postgres_url() -> Iterator[Callable[[], str]]:
    """`fresh_postgres_url()` → a new, empty PostgreSQL database of its own, dropped after the test."""
    created: list[str] = []
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure to reach the server means "missing"
        service_missing("PostgreSQL", str(error).splitlines()[0])

    def make() -> str:
        name = f"hangcho_province_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    yield make
    with admin.connect() as connection:
        for name in created:
            connection.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
                                    "AND pid <> pg_backend_pid()"))
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def start_site(database_url: str, tmp_path: Path, central: Central | None, key: str | None, **env: str) -> LiveServer:
    uplink = {"HANGCHO_CENTRAL_URL": central.url, "HANGCHO_UPLINK_KEY": key or "",
              "HANGCHO_UPLINK_MAX_BACKOFF_S": "1"} if central else {}
    return start_live_server(database_url, tmp_path, **uplink, **env)


def issue(site: LiveServer, count: int = 1, service_id: int = 1) -> list[dict[str, Any]]:
    tickets = []
    for _ in range(count):
        answer = requests.post(site.url + "/api/v1/tickets", json={"service_id": service_id, "priority": None},
                               headers={"X-Device-Key": "demo-kiosk-1"}, timeout=10)
        assert answer.status_code == 201, answer.text
        tickets.append(answer.json())
    return tickets


def site_seq(site: LiveServer) -> int:
    engine = create_engine(site.database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT event_seq FROM sites ORDER BY id LIMIT 1")).scalar() or 0)
    finally:
        engine.dispose()


def wait_until(condition: Callable[[], Any], timeout_s: float = 30, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"{what} not met within {timeout_s} s (last: {last!r})")


# --------------------------------------------------------------------------- the province reports' fixture

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
CONNECTED = {11: True, 12: True, 13: False}


def seed_province(session_factory: Any) -> None:
    session = session_factory()
    registered = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)
    for site_id, (code, name) in SITES.items():
        session.add(ProvinceSite(id=site_id, code=code, name=name, key_hash=hashlib.sha256(code.encode()).hexdigest(),
                                 created_at=registered, connected=CONNECTED[site_id]))
    session.flush()
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

    settings = load_settings(database_url=database_url, secret_key="test-secret", scheduler=False, role="central",
                             public_base_url="http://hangcho.test", province_min_ratings=4)
    application = create_app(settings, clock=clock)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def province(database_url, clock, demo, session_factory) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    seed_province(session_factory)
    application = province_app(database_url, clock)
    yield application
    application.extensions["hangcho"].engine.dispose()


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
