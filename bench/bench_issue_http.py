"""Tickets issued per second over HTTP by 1 and by 8 concurrent clients, one server process, SQLite.

Each client is its own process (so the client side does not share a GIL) with a keep-alive session,
posting POST /api/v1/tickets with the demo kiosk key for a fixed time. Prints tickets/s (median of
the runs), the request latency p50/p99 and the server's CPU time per ticket (a figure that depends
little on what else the machine does). The periodic jobs are off, so the print jobs that no bridge
answers here are not failed in bulk in the middle of the run.
Usage: python -m bench.bench_issue_http [--seconds 10] [--runs 3]
"""
from __future__ import annotations

import argparse
import multiprocessing
import time

import requests

from bench.common import median, percentile, rss_mb, start_server

FIELDS = (1, 2, 3, 4, 5, 6, 7)


def client(url: str, seconds: float, start_at: float, index: int, results: multiprocessing.Queue) -> None:
    session = requests.Session()
    headers = {"Authorization": "Bearer demo-kiosk-1"}
    latencies: list[float] = []
    while time.time() < start_at:
        time.sleep(0.001)
    deadline = start_at + seconds
    count = failures = 0
    while time.time() < deadline:
        began = time.perf_counter()
        response = session.post(url + "/api/v1/tickets", json={"service_id": FIELDS[(index + count) % len(FIELDS)]},
                                headers=headers, timeout=30)
        latencies.append(time.perf_counter() - began)
        if response.status_code == 201:
            count += 1
        else:
            failures += 1
    results.put((count, failures, latencies))


def server_cpu_s(pid: int) -> float:
    import psutil

    processes = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    return sum(p.cpu_times().user + p.cpu_times().system for p in processes)


def run(url: str, clients: int, seconds: float) -> tuple[float, list[float], int]:
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = context.Queue()
    start_at = time.time() + 2.0
    workers = [context.Process(target=client, args=(url, seconds, start_at, i, results)) for i in range(clients)]
    for worker in workers:
        worker.start()
    total = failures = 0
    latencies: list[float] = []
    for _ in workers:
        count, failed, lat = results.get(timeout=seconds + 120)
        total += count
        failures += failed
        latencies.extend(lat)
    for worker in workers:
        worker.join()
    return total / seconds, latencies, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args()
    print(f"# bench_issue_http: POST /api/v1/tickets, SQLite (WAL), one gunicorn gthread process, {args.seconds:.0f} s per run")
    for clients in args.clients:
        rates: list[float] = []
        latencies: list[float] = []
        cpu_per_ticket: list[float] = []
        failures = 0
        memory = 0.0
        for _ in range(args.runs):
            server = start_server(HANGCHO_SCHEDULER="0")
            try:
                cpu_before = server_cpu_s(server.process.pid)
                rate, lat, failed = run(server.url, clients, args.seconds)
                cpu_per_ticket.append((server_cpu_s(server.process.pid) - cpu_before) / max(1.0, rate * args.seconds))
                memory = max(memory, rss_mb(server.process.pid))
            finally:
                server.stop()
            rates.append(rate)
            latencies.extend(lat)
            failures += failed
        print(f"clients={clients}: tickets/s median {median(rates):.0f} (runs: {', '.join(f'{r:.0f}' for r in rates)}); "
              f"latency p50 {percentile(latencies, 0.5) * 1000:.1f} ms, p99 {percentile(latencies, 0.99) * 1000:.1f} ms; "
              f"server CPU per ticket {median(cpu_per_ticket) * 1000:.2f} ms; failed requests {failures}; "
              f"server RSS {memory:.0f} MB")


if __name__ == "__main__":
    main()
