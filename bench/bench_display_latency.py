"""Benchmark the hall board: how fast a call reaches the screen, and how quiet an idle board is.

Starts a real server (`python -m server serve`, demo centre, throwaway SQLite), opens /display/hall in
headless Debian Chromium (Playwright, executable /usr/bin/chromium, autoplay allowed as on a hall TV),
then:
1. counts the HTTP requests the idle board makes over --idle-seconds (default 60) after it loaded;
2. --calls times (default 100): notes the wall clock, POSTs call-next, and reads the wall-clock time
   the page recorded right after it applied that ticket_called to the DOM (window.HangChoDisplay.applied,
   Date.now() in the page; both clocks are this machine's). Prints p50/p99/max.

Figures only, no pass/fail (targets: p99 < 100 ms, 0 requests per minute).
Run: .venv/bin/python bench/bench_display_latency.py [--calls 100] [--idle-seconds 60]
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from tests.conftest import start_live_server  # noqa: E402  (needs the project root on the path)

DISPLAY_KEY = "demo-display-1"
KIOSK_KEY = "demo-kiosk-1"
# Demo counter number → a field it calls from (server/demo.py).
FIELD_OF_COUNTER = {1: 1, 2: 2, 3: 3, 4: 5}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]


def percentile(values: list[float], rank: float) -> float:
    """Nearest-rank percentile (p99 of 100 values is the 99th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> str:
    return (f"p50 {percentile(values, 50):6.1f} ms   p99 {percentile(values, 99):6.1f} ms   "
            f"min {min(values):6.1f} ms   max {max(values):6.1f} ms")


def run(server_url: str, calls: int, idle_seconds: float, chromium: str) -> None:
    from playwright.sync_api import sync_playwright

    api = server_url + "/api/v1"
    clerks = {}
    for counter in FIELD_OF_COUNTER:
        answer = requests.post(api + "/auth/login", json={"username": f"canbo{counter}", "password": "demo"}, timeout=10)
        answer.raise_for_status()
        clerks[counter] = {"Authorization": "Bearer " + answer.json()["token"]}
    kiosk = {"Authorization": "Bearer " + KIOSK_KEY}
    for index in range(calls):
        field = FIELD_OF_COUNTER[index % 4 + 1]
        requests.post(api + "/tickets", json={"service_id": field, "priority": None}, headers=kiosk, timeout=10).raise_for_status()
    http = requests.Session()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN").new_page()
        page.set_default_timeout(15_000)
        loaded_at = time.monotonic()
        page.goto(f"{server_url}/display/hall?key={DISPLAY_KEY}")
        page.wait_for_function("() => window.HangChoDisplay && window.HangChoDisplay.snapshots > 0")
        page.wait_for_function("() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('/chime.wav'))")
        page.wait_for_load_state("networkidle")
        print(f"hall board loaded (page, scripts, fonts, voice pack) in {time.monotonic() - loaded_at:.2f} s")

        idle_requests: list[str] = []
        count_request = lambda request: idle_requests.append(request.url)  # noqa: E731
        page.on("request", count_request)
        page.wait_for_timeout(idle_seconds * 1000)
        per_minute = len(idle_requests) * 60 / idle_seconds
        print(f"idle hall board: {len(idle_requests)} HTTP requests in {idle_seconds:.0f} s ({per_minute:.1f} per minute)")
        for url in idle_requests[:10]:
            print("  ", url)
        page.remove_listener("request", count_request)

        latencies: list[float] = []
        round_trips: list[float] = []
        render_times: list[float] = []
        for index in range(calls):
            counter = index % 4 + 1
            before_ms = time.time() * 1000
            response = http.post(f"{api}/counters/{counter}/call-next", headers=clerks[counter], timeout=10)
            answered_ms = time.time() * 1000
            response.raise_for_status()
            ticket_id = response.json()["id"]
            applied = page.wait_for_function(
                """id => window.HangChoDisplay.applied.find((e) => e.name === 'ticket_called' && e.id === id) || null""",
                arg=ticket_id,
            ).json_value()
            latencies.append(applied["at"] - before_ms)
            render_times.append(applied["renderMs"])
            round_trips.append(answered_ms - before_ms)
        browser.close()

    print(f"call-next → hall board DOM updated, {calls} calls: {summary(latencies)}")
    print(f"  of which the page applying the event:    {summary(render_times)}")
    print(f"call-next HTTP round trip (for reference):  {summary(round_trips)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="calls to time (at least 50)")
    parser.add_argument("--idle-seconds", type=float, default=60.0, help="how long to watch the idle board")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hangcho-bench-") as folder:
        server = start_live_server(f"sqlite:///{folder}/bench.sqlite3", Path(folder))
        try:
            print(f"server {server.url} (gunicorn threads, SQLite); Chromium {args.chromium}")
            run(server.url, max(50, args.calls), args.idle_seconds, args.chromium)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
