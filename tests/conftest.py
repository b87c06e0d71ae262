"""Shared fixtures: databases (SQLite and PostgreSQL), the app with the demo centre, a live server.

PostgreSQL and Redis tests run whenever the services answer (HANGCHO_TEST_POSTGRES_URL,
HANGCHO_TEST_REDIS_URL; defaults are the local ones). Without them they skip with a clear message,
unless HANGCHO_REQUIRE_SERVICES=1 (set by .ci/run), which turns the skip into a failure.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from server.settings import PROJECT_ROOT, load_settings

POSTGRES_ADMIN_URL = os.environ.get("HANGCHO_TEST_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("HANGCHO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("HANGCHO_REQUIRE_SERVICES") == "1"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
# 09:00 on Wednesday 25 Nov 2026 in Hà Nội (02:00 UTC): inside working hours.
LOCAL_MORNING = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.timezone.utc)


def service_missing(what: str, reason: str) -> None:
    message = f"{what} is not reachable ({reason}); start it or set its URL. CI requires it."
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --------------------------------------------------------------------------- databases

@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating every time would be slow)."""
    from server.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once and dropped at the end."""
    try:
        admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 - any failure to reach the server means "missing"
        service_missing("PostgreSQL", str(error).splitlines()[0])
    name = f"hangcho_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    from server.migrate import upgrade

    upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = [row[0] for row in connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"))]
        if tables:
            connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """Each test using this runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "hangcho.sqlite3"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    _truncate_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only (for tests that need a file, e.g. subprocess servers)."""
    path = tmp_path / "hangcho.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


# --------------------------------------------------------------------------- the domain and the app

@pytest.fixture(autouse=True)
def _fresh_estimate_cache() -> None:
    """Per-process estimate caches must not carry one test's database into the next."""
    from server.auth.identity import forget_credentials
    from server.queue.queries import forget_service_pace
    from server.queue.service import forget_calendars

    forget_service_pace()
    forget_credentials()
    forget_calendars()


@pytest.fixture
def clock():  # type: ignore[no-untyped-def]
    from server.queue.clock import FixedClock

    return FixedClock(LOCAL_MORNING)


@pytest.fixture
def session_factory(database_url: str):  # type: ignore[no-untyped-def]
    from server.db import make_engine, make_session_factory

    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def demo(session_factory, clock):  # type: ignore[no-untyped-def]
    """The demo centre of CONTRACT.md, seeded at LOCAL_MORNING."""
    from server.demo import seed_demo

    session = session_factory()
    result = seed_demo(session, clock.now(), demo_mode=True)
    session.close()
    return result


class RecordingPublisher:
    """Collects published events so domain tests can check what would be pushed, in order."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def publish(self, events: list[Any]) -> None:
        self.events.extend(events)

    def types(self) -> list[str]:
        return [event.type for event in self.events]


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def queue(session_factory, clock, publisher, demo):  # type: ignore[no-untyped-def]
    """A QueueService factory: `queue()` gives a service on a fresh session (one unit of work)."""
    from server.queue.service import QueueService

    sessions = []

    def make() -> QueueService:
        session = session_factory()
        sessions.append(session)
        return QueueService(session, clock=clock, publisher=publisher, public_base_url="http://hangcho.test")

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def app(database_url, clock, demo):  # type: ignore[no-untyped-def]
    from server import create_app

    settings = load_settings(database_url=database_url, secret_key="test-secret", scheduler=False,
                             public_base_url="http://hangcho.test")
    application = create_app(settings, clock=clock)
    application.config["TESTING"] = True
    yield application
    application.extensions["hangcho"].engine.dispose()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def login(client):  # type: ignore[no-untyped-def]
    """`login("canbo1")` → headers with that staff member's bearer token."""
    def do_login(username: str, password: str = "demo") -> dict[str, str]:
        response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.json
        client.delete_cookie("session")
        return {"Authorization": f"Bearer {response.json['token']}"}
    return do_login


KIOSK = {"Authorization": "Bearer demo-kiosk-1"}
DISPLAY = {"Authorization": "Bearer demo-display-1"}
BRIDGE = {"Authorization": "Bearer demo-bridge-1"}


def rating_terminal(counter_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer demo-rating-{counter_id}"}


# --------------------------------------------------------------------------- a real server process

@dataclass
class LiveServer:
    url: str
    port: int
    database_url: str
    process: subprocess.Popen
    env: dict[str, str]
    log_path: Path

    def api(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return requests.request(method, self.url + "/api/v1" + path, headers=headers, timeout=10, **kwargs)

    def login(self, username: str, password: str = "demo") -> str:
        response = self.api("POST", "/auth/login", json={"username": username, "password": password})
        response.raise_for_status()
        return response.json()["token"]

    def stop(self) -> None:
        stop_process(self.process)

    def start(self) -> None:
        """(Re)start the server process on the same port and database (for restart tests)."""
        self.process = _spawn_server(self.env, self.log_path)
        wait_until_healthy(self.url, self.process, self.log_path)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def update_site_settings(self, **changes: Any) -> None:
        """Change the site's settings in the server's database, as the admin pages do (validated and
        audited; no event is pushed: screens see the change at their next snapshot or call)."""
        from sqlalchemy import select

        from server.administration import update_site_settings
        from server.db import make_engine, make_session_factory
        from server.models import Site

        engine = make_engine(self.database_url)
        session = make_session_factory(engine, writing=True)()
        try:
            site = session.scalar(select(Site).order_by(Site.id).limit(1))
            update_site_settings(session, site, changes, dt.datetime.now(dt.timezone.utc))
            session.commit()
        finally:
            session.close()
            engine.dispose()


def stop_process(process: subprocess.Popen, timeout_s: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not ended in time."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _spawn_server(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    log = log_path.open("ab")
    return subprocess.Popen([sys.executable, "-m", "server", "serve"], cwd=PROJECT_ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def wait_until_healthy(url: str, process: subprocess.Popen, log_path: Path, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited:\n" + log_path.read_text(errors="replace")[-3000:])
        try:
            if requests.get(url + "/api/v1/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not become healthy:\n" + log_path.read_text(errors="replace")[-3000:])


def start_live_server(database_url: str, tmp_path: Path, seed: bool = True, **env_overrides: str) -> LiveServer:
    """A real `python -m server serve` process on a free port, with the demo centre seeded."""
    port = free_port()
    env = {
        **os.environ,
        "HANGCHO_DATABASE_URL": database_url,
        "HANGCHO_PORT": str(port),
        "HANGCHO_HOST": "127.0.0.1",
        "HANGCHO_SECRET_KEY": "live-test-secret",
        "HANGCHO_DEMO": "1",
        "HANGCHO_LOG_LEVEL": "WARNING",
        **env_overrides,
    }
    if seed:
        subprocess.run([sys.executable, "-m", "server", "seed-demo", "--if-empty"], cwd=PROJECT_ROOT, env=env,
                       check=True, capture_output=True)
    log_path = tmp_path / f"server-{port}.log"
    process = _spawn_server(env, log_path)
    server = LiveServer(f"http://127.0.0.1:{port}", port, database_url, process, env, log_path)
    wait_until_healthy(server.url, process, log_path)
    return server


@pytest.fixture
def live_server(sqlite_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """The real server (gunicorn, threading Socket.IO) on a free port with the demo centre on SQLite."""
    server = start_live_server(sqlite_url, tmp_path)
    yield server
    server.stop()


class SocketListener:
    """A real python-socketio client that records every event it receives, to wait on them.

    `wait_for` returns the first matching event not returned before (so waiting twice for `snapshot`
    gives two snapshots, and events may be awaited in any order)."""

    def __init__(self, url: str, auth: dict[str, str]) -> None:
        import socketio

        self.seen: list[tuple[str, Any]] = []
        self._taken: set[int] = set()
        self._changed = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._record)
        self.client.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)

    def _record(self, event: str, data: Any = None) -> None:
        with self._changed:
            self.seen.append((event, data))
            self._changed.notify_all()

    def wait_for(self, event: str, where=lambda data: True, timeout: float = 20) -> Any:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for index, (name, data) in enumerate(self.seen):
                    if index not in self._taken and name == event and where(data):
                        self._taken.add(index)
                        return data
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no {event} within {timeout} s; got {self.names()}")
                self._changed.wait(remaining)

    def names(self) -> list[str]:
        return [name for name, _ in self.seen]

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture
def socket_listener() -> Iterator[Callable[[str, dict[str, str]], SocketListener]]:
    """`socket_listener(url, auth)` → a connected SocketListener, disconnected after the test."""
    opened: list[SocketListener] = []

    def open_listener(url: str, auth: dict[str, str]) -> SocketListener:
        listener = SocketListener(url, auth)
        opened.append(listener)
        return listener

    yield open_listener
    for listener in opened:
        listener.close()


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        service_missing("Redis", str(error))
    return REDIS_URL


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots and rendered images go (test-artifacts/, ignored by git)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_collection_modifyitems(config, items) -> None:  # type: ignore[no-untyped-def]
    """Tests marked `long` run first: pytest-xdist hands out tests in this order, so a test of several
    minutes started last would keep one worker busy after the others have finished."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)
