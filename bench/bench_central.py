"""The province server under load, on PostgreSQL: ingest from many sites at once, and a week's catch-up.

1. Ingest: N simulated sites (default 100) connect to a real central process (`HANGCHO_ROLE=central
   python -m server serve`) over Socket.IO at once and each sends its chained events in batches, as
   the uplink does; prints events per second sustained and the central's peak memory (RSS).
2. Catch-up: a site database (SQLite) holding 7 days of events (default 20,160) that never reached the
   central; the real uplink code (server/uplink/client.py) sends them; prints the time until the
   central acknowledged the last one.
3. Live: a real site process (SQLite, the demo centre) uplinked to the central; a province leader's
   /province board open in headless Debian Chromium; for each of N tickets (default 60, at least 50)
   the time from just before the kiosk's POST /tickets (the site commits inside it) to the moment the
   board's DOM shows the new count (a MutationObserver stamps it with the same machine's clock);
   prints p50, p90, p99 and the worst.

    .venv/bin/python -m bench.bench_central [--sites 100] [--events-per-site 2000] [--batch 500]
                                           [--catch-up-events 20160] [--live-tickets 60]
                                           [--parts ingest,catch-up,live] [--chromium /usr/bin/chromium]

Prints figures only (no pass/fail); see docs/performance.md. The clients run on the same machine as the
central and the database, so the figure is a floor for a central on its own host.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
import requests
import socketio
from sqlalchemy import create_engine, insert, select, text, update
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PROJECT_ROOT, free_port  # noqa: E402
from server.db import make_engine, make_session_factory  # noqa: E402
from server.migrate import upgrade  # noqa: E402
from server.models import Event, Site  # noqa: E402
from server.province.registry import add_site  # noqa: E402
from server.queue.hashchain import GENESIS, canonical_event, chain_hash  # noqa: E402

POSTGRES_URL = os.environ.get("HANGCHO_BENCH_POSTGRES_URL", "postgresql+psycopg://root@127.0.0.1:5432/postgres")
START = dt.datetime(2026, 11, 16, 1, 0, tzinfo=dt.timezone.utc)  # a Monday, 08:00 in Hà Nội
TYPES = ("ticket_issued", "ticket_called", "ticket_started", "ticket_finished", "rating_received")


def log(message: str) -> None:
    print(message, flush=True)


def generated_events(count: int, span: dt.timedelta) -> list[dict[str, Any]]:
    """`count` chained events of one site (its own id 1) spread over `span`, shaped like the core's."""
    events, previous = [], GENESIS
    step = span / max(1, count)
    for index in range(count):
        seq = index + 1
        ticket = index // len(TYPES) + 1
        kind = TYPES[index % len(TYPES)]
        at = START + step * index
        payload: dict[str, Any] = {"id": ticket, "number": str(1000 + ticket % 999), "service_id": 1 + ticket % 7,
                                   "status": {"ticket_issued": "waiting", "ticket_called": "called",
                                              "ticket_started": "serving"}.get(kind, "done"),
                                   "counter_id": 1 + ticket % 4, "issued_at": at.isoformat(), "call_count": 1,
                                   "waiting": {str(1 + ticket % 7): ticket % 11}}
        if kind == "rating_received":
            payload.update(score=1 + ticket % 5, reasons=[], ticket_id=ticket, rating_id=ticket)
        previous = chain_hash(previous, canonical_event(1, seq, kind, payload, at))
        events.append({"site_id": 1, "seq": seq, "type": kind, "payload": payload, "created_at": at.isoformat(),
                       "hash": previous})
    return events


class Central:
    def __init__(self, database_url: str, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "HANGCHO_ROLE": "central", "HANGCHO_DATABASE_URL": database_url,
               "HANGCHO_PORT": str(self.port), "HANGCHO_SECRET_KEY": "bench", "HANGCHO_LOG_LEVEL": "WARNING"}
        self.process = subprocess.Popen([sys.executable, "-m", "server", "serve"], cwd=PROJECT_ROOT, env=env,
                                        stdout=(workdir / "central.log").open("ab"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/api/v1/health", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("central did not start")

    def rss_mb(self) -> float:
        parent = psutil.Process(self.process.pid)
        return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)]) / 1e6

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def register(database_url: str, codes: list[str]) -> dict[str, str]:
    engine = make_engine(database_url)
    keys = {}
    with make_session_factory(engine, writing=True)() as session:
        for code in codes:
            keys[code] = add_site(session, code, f"Xã mô phỏng {code}", dt.datetime.now(dt.timezone.utc))[1]
        session.commit()
    engine.dispose()
    return keys


def one_site(url: str, key: str, events: list[dict[str, Any]], batch: int, start: threading.Barrier,
             latencies: list[float], errors: list[str]) -> None:
    client = socketio.Client(reconnection=False)
    try:
        client.connect(url, auth={"key": key}, namespaces=["/uplink"], transports=["websocket"], wait_timeout=30)
        client.call("hello", {"site_id": 1, "seq": len(events)}, namespace="/uplink", timeout=300)
        start.wait()
        for offset in range(0, len(events), batch):
            began = time.perf_counter()
            answer = client.call("events", {"events": events[offset:offset + batch], "seq": len(events)},
                                 namespace="/uplink", timeout=300)
            latencies.append(time.perf_counter() - began)
            while answer.get("error") == "busy":  # as the uplink does: the same batch again
                time.sleep(1)
                answer = client.call("events", {"events": events[offset:offset + batch], "seq": len(events)},
                                     namespace="/uplink", timeout=300)
            if not answer.get("ok"):
                errors.append(str(answer))
                return
    except Exception as error:  # noqa: BLE001 - a benchmark reports failures, it does not stop on them
        errors.append(repr(error))
    finally:
        client.disconnect()


def bench_ingest(database_url: str, workdir: Path, sites: int, per_site: int, batch: int) -> None:
    codes = [f"SIM-{index:03d}" for index in range(sites)]
    keys = register(database_url, codes)
    central = Central(database_url, workdir)
    try:
        events = generated_events(per_site, dt.timedelta(days=1))
        start = threading.Barrier(sites + 1)
        latencies: list[float] = []
        errors: list[str] = []
        threads = [threading.Thread(target=one_site, args=(central.url, keys[code], events, batch, start, latencies, errors),
                                    daemon=True) for code in codes]
        for thread in threads:
            thread.start()
        start.wait(timeout=300)
        began = time.perf_counter()
        peak = central.rss_mb()
        while any(thread.is_alive() for thread in threads):
            peak = max(peak, central.rss_mb())
            time.sleep(0.5)
        elapsed = time.perf_counter() - began
        engine = create_engine(database_url)
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT count(*) FROM province_events")).scalar()
        engine.dispose()
        log(f"ingest: {sites} sites × {per_site} events in batches of {batch}: {stored} stored in {elapsed:.1f} s "
            f"= {stored / elapsed:,.0f} events/s sustained; batch round trip median "
            f"{statistics.median(latencies) * 1000:.0f} ms; central RSS peak {peak:.0f} MB; errors {len(errors)}"
            + (f" (first: {errors[0]})" if errors else ""))
    finally:
        central.stop()


def bench_catch_up(database_url: str, workdir: Path, count: int, batch: int) -> None:
    from server.uplink.client import Uplink

    key = register(database_url, ["CATCHUP"])["CATCHUP"]
    site_url = f"sqlite:///{workdir / 'site.sqlite3'}"
    upgrade(site_url)
    engine = make_engine(site_url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO centres (id, code, name, label, province) VALUES (1, 'B', 'Bench', '', '')"))
        connection.execute(text("INSERT INTO sites (id, centre_id, code, name, label, address, timezone, event_seq, "
                                "event_hash, config_version, settings) VALUES (1, 1, 'B', 'Bench', '', '', "
                                "'Asia/Ho_Chi_Minh', 0, '', 0, '{}')"))
        events = generated_events(count, dt.timedelta(days=7))
        for offset in range(0, count, 5000):
            connection.execute(insert(Event), [{"site_id": 1, "seq": e["seq"], "type": e["type"], "payload": e["payload"],
                                                "created_at": dt.datetime.fromisoformat(e["created_at"]), "hash": e["hash"],
                                                "actor": ""} for e in events[offset:offset + 5000]])
        connection.execute(update(Site).where(Site.id == 1).values(event_seq=count, event_hash=events[-1]["hash"]))
    central = Central(database_url, workdir)
    try:
        uplink = Uplink(engine, make_session_factory(engine), make_session_factory(engine, writing=True), central.url, key,
                        batch_size=batch, poll_s=0.05)
        central_engine = create_engine(database_url)
        began = time.perf_counter()
        uplink.start()
        while True:
            with central_engine.connect() as connection:
                done = connection.execute(text("SELECT last_seq FROM province_sites WHERE code = 'CATCHUP'")).scalar()
            if done >= count:
                break
            if time.perf_counter() - began > 600:
                raise RuntimeError(f"catch-up stuck at {done}")
            time.sleep(0.05)
        elapsed = time.perf_counter() - began
        uplink.stop()
        central_engine.dispose()
        log(f"catch-up: {count} events (7 days) from a site's database through the real uplink in batches of "
            f"{batch}: current again after {elapsed:.1f} s ({count / elapsed:,.0f} events/s)")
    finally:
        central.stop()
        engine.dispose()


# Records, in the board's page, when the live site's "issued today" cell first shows each value.
OBSERVE_BOARD = """(code) => {
  window.__seen = {};
  const look = () => {
    const row = Array.from(document.querySelectorAll("tr[data-site-id]")).find((r) => r.textContent.includes(code));
    const cell = row && row.querySelector(".issued-cell");
    if (cell && !(cell.textContent in window.__seen)) window.__seen[cell.textContent] = Date.now();
  };
  new MutationObserver(look).observe(document.querySelector("#sites-table tbody"),
                                     {childList: true, subtree: true, characterData: true});
  look();
}"""


def bench_live(database_url: str, workdir: Path, tickets: int, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    from bench.common import percentile, start_server
    from server.province.registry import create_central_staff

    key = register(database_url, ["LIVE"])["LIVE"]
    engine = make_engine(database_url)
    with make_session_factory(engine, writing=True)() as session:
        create_central_staff(session, "benchtinh", "leader", dt.datetime.now(dt.timezone.utc), password="bench")
        session.commit()
    engine.dispose()
    central = Central(database_url, workdir)
    (workdir / "site").mkdir()
    site = start_server(workdir=workdir / "site", log_path=workdir / "site.log", HANGCHO_CENTRAL_URL=central.url,
                        HANGCHO_UPLINK_KEY=key)
    latencies: list[float] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                                 args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="vi-VN")
            page.goto(f"{central.url}/login?next=/province")
            page.fill("#username", "benchtinh")
            page.fill("#password", "bench")
            page.click("#login-form button[type=submit]")
            page.wait_for_selector("html[data-ready=yes]")
            page.wait_for_selector("tr[data-site-id]:has-text('LIVE')")
            page.evaluate(OBSERVE_BOARD, "LIVE")
            kiosk = requests.Session()
            for index in range(tickets):
                began = time.time()
                answer = kiosk.post(site.url + "/api/v1/tickets", json={"service_id": 1 + index % 3, "priority": None},
                                    headers={"X-Device-Key": "demo-kiosk-1"}, timeout=10)
                answer.raise_for_status()
                shown = page.wait_for_function("(n) => window.__seen[String(n)]", arg=index + 1, timeout=30_000)
                latencies.append(shown.json_value() / 1000 - began)
                time.sleep(0.2 + (index % 5) * 0.1)  # tickets a few hundred ms apart, not in lockstep with the poll
            browser.close()
        log(f"live: {tickets} tickets, site commit → /province board DOM in Chromium: "
            f"p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p90 {percentile(latencies, 0.9) * 1000:.0f} ms, "
            f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, worst {max(latencies) * 1000:.0f} ms")
    finally:
        site.stop()
        central.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--events-per-site", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--catch-up-events", type=int, default=20_160)
    parser.add_argument("--live-tickets", type=int, default=60)
    parser.add_argument("--parts", default="ingest,catch-up,live", help="which parts to run, comma-separated")
    parser.add_argument("--chromium", default=os.environ.get("HANGCHO_CHROMIUM", "/usr/bin/chromium"))
    arguments = parser.parse_args()
    parts = set(arguments.parts.split(","))
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"hangcho_bench_central_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    workdir = Path(tempfile.mkdtemp(prefix="hangcho-bench-central-"))
    try:
        upgrade(database_url)
        if "ingest" in parts:
            bench_ingest(database_url, workdir, arguments.sites, arguments.events_per_site, arguments.batch)
        if "catch-up" in parts:
            bench_catch_up(database_url, workdir, arguments.catch_up_events, arguments.batch)
        if "live" in parts:
            bench_live(database_url, workdir, max(50, arguments.live_tickets), arguments.chromium)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        with admin.connect() as connection:
            connection.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
                                    "AND pid <> pg_backend_pid()"))
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


if __name__ == "__main__":
    main()
