"""What one round of the uplink's phone views costs a busy site (issue 15).

Once a second after new events, the uplink builds the phone page's view of every active ticket of the
day (people ahead, estimated wait, counter…) to send the province server. A demo site server on SQLite
gets `--tickets` waiting tickets over HTTP across its fields; then this process times
`server.uplink.phone.phone_views` on the same database, as the uplink calls it after a new connection
(every ticket of today) and in a round after one event (the active ones). Prints the medians.
Usage: python -m bench.bench_phone_views [--tickets 200] [--rounds 15]
"""
from __future__ import annotations

import argparse
import statistics
import time

import requests
from sqlalchemy import func, select

from bench.common import start_server
from server.db import make_engine, make_session_factory
from server.models import Event, Site
from server.queue.clock import SystemClock
from server.uplink.phone import phone_views

FIELDS = (1, 2, 3, 4, 5, 6, 7)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=15)
    arguments = parser.parse_args()
    server = start_server(HANGCHO_SCHEDULER="0")
    try:
        session = requests.Session()
        for index in range(arguments.tickets):
            answer = session.post(server.url + "/api/v1/tickets", json={"service_id": FIELDS[index % len(FIELDS)]},
                                  headers={"Authorization": "Bearer demo-kiosk-1"}, timeout=30)
            answer.raise_for_status()
        engine = make_engine(f"sqlite:///{server.workdir / 'bench.sqlite3'}")
        sessions = make_session_factory(engine)
        with sessions() as reader:
            site_id = reader.scalar(select(Site.id).order_by(Site.id).limit(1))
            last_seq = reader.scalar(select(func.max(Event.seq)).where(Event.site_id == site_id)) or 0
        for name, after_seq in (("new connection (every ticket of today)", None),
                                ("a round after one event (the active tickets)", last_seq - 1)):
            timings, count = [], 0
            for _ in range(arguments.rounds):
                with sessions() as reader:
                    began = time.perf_counter()
                    count = len(phone_views(reader, site_id, SystemClock().now(), after_seq))
                    timings.append(time.perf_counter() - began)
            print(f"{name}: {count} views, median {statistics.median(timings) * 1000:.1f} ms "
                  f"({statistics.median(timings) * 1000 / max(count, 1):.2f} ms per view)")
        engine.dispose()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
