"""A real central (HANGCHO_ROLE=central) process and real site processes uplinked to it."""
from __future__ import annotations

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

from server.settings import PROJECT_ROOT
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
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(sql), params))
        finally:
            engine.dispose()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


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
