"""Call-next → `ticket_called` delivery latency to 100 and to 500 connected Socket.IO clients.

Clients are python-socketio AsyncClients (websocket transport, display key) spread over a few
processes; each records when every `ticket_called` arrives. The parent calls the next ticket over
HTTP, noting the time just before the request; latency = arrival − that time, for every client and
call (same machine clock). Prints p50/p99 per client count and the server process's memory.
Usage: python -m bench.bench_call_latency [--clients 100 500] [--calls 30]
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time

import requests

from bench.common import median, percentile, rss_mb, start_server


def client_process(url: str, count: int, ready: multiprocessing.Queue, results: multiprocessing.Queue,
                   stop: multiprocessing.Event) -> None:  # type: ignore[valid-type]
    asyncio.run(_clients(url, count, ready, results, stop))


async def _clients(url: str, count: int, ready, results, stop) -> None:  # type: ignore[no-untyped-def]
    import socketio

    arrivals: list[tuple[int, float]] = []
    clients = []

    async def connect_one() -> None:
        client = socketio.AsyncClient(reconnection=False)

        @client.on("ticket_called")
        async def on_called(data):  # type: ignore[no-untyped-def]
            arrivals.append((data["id"], time.time()))

        await client.connect(url, auth={"token": "demo-display-1"}, transports=["websocket"], wait_timeout=30)
        clients.append(client)

    for start in range(0, count, 25):  # connect in small waves, as screens come up in a hall
        await asyncio.gather(*(connect_one() for _ in range(start, min(count, start + 25))))
    ready.put(len(clients))
    while not stop.is_set():
        await asyncio.sleep(0.1)
    results.put(arrivals)
    await asyncio.gather(*(client.disconnect() for client in clients), return_exceptions=True)


def measure(clients: int, calls: int, processes: int) -> tuple[list[float], float, int]:
    server = start_server(HANGCHO_SCHEDULER="0")
    context = multiprocessing.get_context("spawn")
    ready, results, stop = context.Queue(), context.Queue(), context.Event()
    per_process = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    workers = [context.Process(target=client_process, args=(server.url, n, ready, results, stop)) for n in per_process if n]
    try:
        for worker in workers:
            worker.start()
        connected = sum(ready.get(timeout=300) for _ in workers)
        session = requests.Session()
        clerk = session.post(server.url + "/api/v1/auth/login", json={"username": "canbo1", "password": "demo"}).json()["token"]
        kiosk = {"Authorization": "Bearer demo-kiosk-1"}
        for _ in range(calls):
            session.post(server.url + "/api/v1/tickets", json={"service_id": 1}, headers=kiosk)
        time.sleep(1.0)
        memory = rss_mb(server.process.pid)
        sent: dict[int, float] = {}
        for _ in range(calls):
            before = time.time()
            ticket = session.post(server.url + "/api/v1/counters/1/call-next", headers={"Authorization": "Bearer " + clerk}).json()
            sent[ticket["id"]] = before
            time.sleep(0.25)
        time.sleep(2.0)
        stop.set()
        latencies = []
        for _ in workers:
            for ticket_id, arrived in results.get(timeout=120):
                if ticket_id in sent:
                    latencies.append(arrived - sent[ticket_id])
        for worker in workers:
            worker.join(timeout=60)
        expected = connected * calls
        return latencies, memory, expected - len(latencies)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    print("# bench_call_latency: HTTP call-next → ticket_called at every connected client (one server process)")
    for clients in args.clients:
        latencies, memory, missing = measure(clients, args.calls, args.processes)
        print(f"clients={clients}: {len(latencies)} deliveries, missing {missing}; latency p50 {median(latencies) * 1000:.1f} ms, "
              f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms; server RSS {memory:.0f} MB")


if __name__ == "__main__":
    main()
