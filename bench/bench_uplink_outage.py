"""A site whose province server is down: does it slow down, and does its memory grow with the backlog?

Issue 13: "with the central down for a day the site issues, calls and rates as usual, and memory stays
flat (it reads the outbox from the database, not a growing queue in memory)". One server process on a
fresh SQLite database issues tickets over HTTP (each then cancelled by the supervisor: two events per
ticket), three times:
  - `alone`: no uplink configured;
  - `central down`: HANGCHO_CENTRAL_URL points at a port where nothing listens, so the uplink retries
    with back-off the whole time and the backlog (its lag) grows with every event;
  - `central back`: the same backlog, then a real central process starts and the site catches up.
Prints the issue request's latency (p50/p99), the server's RSS every `--sample` tickets, the uplink's lag as the
site's own health route reports it, and for the last run how long the catch-up took.
Usage: python -m bench.bench_uplink_outage [--tickets 4000] [--sample 1000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.common import PROJECT_ROOT, BenchServer, free_port, median, percentile, rss_mb, start_server
from server.db import make_engine, make_session_factory
from server.migrate import upgrade
from server.province.demo import seed_demo_central

FIELDS = (1, 2, 3, 4, 5, 6, 7)
UPLINK_KEY = "demo-uplink-1"  # the key the demo central accepts for the demo site (CONTRACT.md)


def supervisor_token(url: str) -> str:
    answer = requests.post(url + "/api/v1/auth/login", json={"username": "giamsat", "password": "demo"}, timeout=10)
    answer.raise_for_status()
    return str(answer.json()["token"])


def uplink_health(url: str, token: str) -> dict:
    return dict(requests.get(url + "/api/v1/uplink", headers={"Authorization": f"Bearer {token}"}, timeout=10).json())


def backlog(url: str, token: str) -> int | None:
    """The uplink's lag in events, or None when the site has no uplink configured."""
    health = uplink_health(url, token)
    return int(health["lag_events"]) if health.get("enabled") else None


Sample = tuple[int, float, "int | None"]


def issue_tickets(server: BenchServer, count: int, sample_every: int) -> tuple[list[float], list[Sample]]:
    """Issue `count` tickets; return each request's latency and (tickets, RSS MB, lag events) samples."""
    session = requests.Session()
    headers = {"Authorization": "Bearer demo-kiosk-1"}
    token = supervisor_token(server.url)
    latencies: list[float] = []
    samples: list[Sample] = [(0, rss_mb(server.process.pid), backlog(server.url, token))]
    for index in range(count):
        began = time.perf_counter()
        answer = session.post(server.url + "/api/v1/tickets", json={"service_id": FIELDS[index % len(FIELDS)]},
                              headers=headers, timeout=30)
        latencies.append(time.perf_counter() - began)
        if answer.status_code != 201:
            raise RuntimeError(f"ticket {index + 1} refused: {answer.status_code} {answer.text[:200]}")
        # The citizen leaves and the supervisor cancels the ticket: a second event per ticket, so the
        # backlog is twice the tickets (and the field's waiting list stays short).
        cancelled = session.post(f"{server.url}/api/v1/tickets/{answer.json()['id']}/cancel",
                                 headers={"Authorization": f"Bearer {token}"}, timeout=30)
        if cancelled.status_code != 200:
            raise RuntimeError(f"ticket {index + 1} not cancelled: {cancelled.status_code} {cancelled.text[:200]}")
        if (index + 1) % sample_every == 0:
            samples.append((index + 1, rss_mb(server.process.pid), backlog(server.url, token)))
    return latencies, samples


def report(name: str, latencies: list[float], samples: list[Sample]) -> None:
    print(f"{name:>13}: issue p50 {median(latencies) * 1000:.1f} ms, p99 {percentile(latencies, 0.99) * 1000:.1f} ms")
    print("               tickets -> RSS MB (uplink lag in events): "
          + ", ".join(f"{tickets} -> {rss:.0f} ({'no uplink' if lag is None else lag})" for tickets, rss, lag in samples))
    growth = samples[-1][1] - samples[1][1] if len(samples) > 2 else float("nan")
    print(f"               RSS growth from the first sample to the last: {growth:+.1f} MB")


def start_central(workdir: Path, port: int) -> subprocess.Popen:
    """The demo central's accounts and sites (it accepts the demo site's key), without the simulated
    communes' history, whose background ingest would compete with the catch-up being measured."""
    database_url = f"sqlite:///{workdir / 'central.sqlite3'}"
    upgrade(database_url)
    engine = make_engine(database_url)
    with make_session_factory(engine, writing=True)() as session:
        seed_demo_central(session, dt.datetime.now(dt.timezone.utc))
    engine.dispose()
    env = {**os.environ, "HANGCHO_ROLE": "central", "HANGCHO_PORT": str(port), "HANGCHO_DEMO": "1",
           "HANGCHO_DATABASE_URL": database_url, "HANGCHO_SECRET_KEY": "bench", "HANGCHO_LOG_LEVEL": "WARNING"}
    log = (workdir / "central.log").open("ab")
    process = subprocess.Popen([sys.executable, "-m", "server", "serve"], cwd=PROJECT_ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).ok:
                return process
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"the central did not start; see {workdir / 'central.log'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=4000)
    parser.add_argument("--sample", type=int, default=1000)
    arguments = parser.parse_args()
    # The periodic jobs stay off (as in bench_issue_http): unanswered print jobs are not failed mid-run.
    quiet = {"HANGCHO_SCHEDULER": "0"}

    server = start_server(**quiet)
    try:
        latencies, samples = issue_tickets(server, arguments.tickets, arguments.sample)
        report("alone", latencies, samples)
    finally:
        server.stop()

    workdir = Path(tempfile.mkdtemp(prefix="hangcho-bench-outage-"))
    central_port = free_port()  # nothing listens here until the third run starts the central
    server = start_server(workdir=workdir, HANGCHO_CENTRAL_URL=f"http://127.0.0.1:{central_port}",
                          HANGCHO_UPLINK_KEY=UPLINK_KEY, **quiet)
    central: subprocess.Popen | None = None
    try:
        latencies, samples = issue_tickets(server, arguments.tickets, arguments.sample)
        report("central down", latencies, samples)
        token = supervisor_token(server.url)
        waiting_events = backlog(server.url, token)
        central = start_central(workdir, central_port)
        began = time.monotonic()
        while time.monotonic() - began < 600:
            health = uplink_health(server.url, token)
            if health.get("connected") and int(health.get("lag_events", 1)) == 0:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"the site did not catch up: {health}")
        print(f"{'central back':>13}: a backlog of {waiting_events} events caught up in {time.monotonic() - began:.1f} s "
              f"(central start to lag 0, including the uplink's back-off of at most 30 s)")
    finally:
        if central is not None:
            central.terminate()
            central.wait(timeout=30)
        server.stop()


if __name__ == "__main__":
    main()
