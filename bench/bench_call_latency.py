"""Call-next → `ticket_called` delivery latency to 100 and to 500 connected Socket.IO clients.

Clients connect with the display key over the websocket transport, spread over a few processes, and
record when every `ticket_called` arrives. The parent calls the next ticket over HTTP, noting the time
just before the request; latency = arrival − that time, for every client and call (same machine
clock). Prints p50/p99 per client count, the call-next HTTP answer time (the server pushes before it
answers) and the server process's memory.

Two kinds of client (--client): `socketio` (python-socketio AsyncClient, the real library) and `raw`
(the Socket.IO v5 / Engine.IO v4 frames read directly from an aiohttp websocket). On a 2-core machine
500 python-socketio clients need much of a core themselves to decode the frames, and that queueing is
measured as latency; the raw client costs a fraction of that, so it shows the server's own delay.
Usage: python -m bench.bench_call_latency [--clients 100 500] [--calls 30] [--client raw socketio]
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time

import requests

from bench.common import median, percentile, rss_mb, start_server


def client_process(kind: str, url: str, count: int, ready: multiprocessing.Queue, results: multiprocessing.Queue,
                   stop: multiprocessing.Event) -> None:  # type: ignore[valid-type]
    asyncio.run((_raw_clients if kind == "raw" else _clients)(url, count, ready, results, stop))


async def _raw_clients(url: str, count: int, ready, results, stop) -> None:  # type: ignore[no-untyped-def]
    """Minimal Socket.IO clients: open, connect with auth, answer pings, timestamp ticket_called."""
    import json

    import aiohttp

    arrivals: list[tuple[int, float]] = []
    marker = '42["ticket_called",'
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"

    async def run_one(session: aiohttp.ClientSession, connected: asyncio.Event) -> None:
        async with session.ws_connect(ws_url) as ws:
            await ws.receive()  # Engine.IO open packet
            await ws.send_str("40" + json.dumps({"token": "demo-display-1"}))
            async for message in ws:
                data = message.data
                if data.startswith(marker):
                    arrived = time.time()
                    arrivals.append((json.loads(data[2:])[1]["id"], arrived))
                elif data == "2":
                    await ws.send_str("3")
                elif data.startswith("40"):
                    connected.set()
                elif data.startswith("44"):
                    raise RuntimeError("connection refused: " + data)

    # limit=0: aiohttp allows only 100 connections per session by default.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        tasks, events = [], []
        for _ in range(count):
            connected = asyncio.Event()
            events.append(connected)
            tasks.append(asyncio.create_task(run_one(session, connected)))
            if len(tasks) % 25 == 0:
                await asyncio.gather(*(event.wait() for event in events))
        await asyncio.gather(*(event.wait() for event in events))
        ready.put(count)
        while not stop.is_set():
            await asyncio.sleep(0.1)
        results.put(arrivals)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


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


def measure(kind: str, clients: int, calls: int, processes: int, server_processes: int,
            redis_url: str) -> tuple[list[float], list[float], float, int]:
    """One server process, or several sharing the database and a Redis message queue (clients spread
    over them, as nginx would spread them); the calls go to the first."""
    extra = {"HANGCHO_MESSAGE_QUEUE_URL": redis_url} if server_processes > 1 else {}
    server = start_server(HANGCHO_SCHEDULER="0", **extra)
    others = [start_server(database_url=f"sqlite:///{server.workdir / 'bench.sqlite3'}", workdir=server.workdir,
                           HANGCHO_SCHEDULER="0", **extra) for _ in range(server_processes - 1)]
    servers = [server, *others]
    context = multiprocessing.get_context("spawn")
    ready, results, stop = context.Queue(), context.Queue(), context.Event()
    per_process = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    workers = [context.Process(target=client_process, args=(kind, servers[i % len(servers)].url, n, ready, results, stop))
               for i, n in enumerate(per_process) if n]
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
        memory = sum(rss_mb(s.process.pid) for s in servers)
        sent: dict[int, float] = {}
        answers: list[float] = []
        for _ in range(calls):
            before = time.time()
            ticket = session.post(server.url + "/api/v1/counters/1/call-next", headers={"Authorization": "Bearer " + clerk}).json()
            answers.append(time.time() - before)
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
        return latencies, answers, memory, expected - len(latencies)
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
        for other in others:
            other.process.terminate()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--client", nargs="+", choices=["raw", "socketio"], default=["raw", "socketio"])
    parser.add_argument("--server-processes", type=int, nargs="+", default=[1],
                        help="several: share SQLite and a Redis message queue, clients spread over them")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    print("# bench_call_latency: HTTP call-next → ticket_called at every connected client")
    for server_processes in args.server_processes:
        for kind in args.client:
            for clients in args.clients:
                latencies, answers, memory, missing = measure(kind, clients, args.calls, args.processes,
                                                              server_processes, args.redis_url)
                print(f"server processes={server_processes} {kind} clients={clients}: {len(latencies)} deliveries, missing {missing}; "
                      f"latency p50 {median(latencies) * 1000:.1f} ms, p99 {percentile(latencies, 0.99) * 1000:.1f} ms, "
                      f"max {max(latencies) * 1000:.1f} ms; call-next answered in p50 {median(answers) * 1000:.1f} ms; "
                      f"server RSS {memory:.0f} MB")


if __name__ == "__main__":
    main()
