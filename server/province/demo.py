"""The demo central of `make run`: demo log-ins, the live demo site's uplink key `demo-uplink-1`, and
simulated communes (clearly named as demo data) whose 90 days of history come from the roll-ups'
generator (issue 13, part B) through the real ingest code, in the background so start-up stays fast."""
from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.secrets import digest
from server.province.catalogue import replace_catalogue
from server.province.models import ProvinceSite, ReceivedEvent
from server.province.registry import add_site, central_is_empty, create_central_staff, rotate_key
from server.queue.rules import estimated_wait_seconds
from server.queue.hashchain import GENESIS, canonical_event, chain_hash, json_normalised

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "demo"
DEMO_UPLINK_KEY = "demo-uplink-1"
DEMO_SITE_CODE = "XA-DEMO"
DEMO_SITE_NAME = "Trung tâm Phục vụ hành chính công xã Demo (trực tiếp)"
DEMO_STAFF = (("tinh", "leader", "Lãnh đạo tỉnh (demo)"), ("thanhtra", "inspector", "Thanh tra tỉnh (demo)"),
              ("admin", "admin", "Quản trị tỉnh (demo)"))
DEMO_COMMUNES = ("An Bình", "Bình Minh", "Cẩm Giang", "Đông Hải", "Hòa Lạc", "Hưng Phú", "Kim Sơn", "Long Thạnh",
                 "Mỹ Hòa", "Phú Lộc", "Quang Trung", "Tân Lập")
HISTORY_DAYS = 90
INGEST_BATCH = 2000


def commune_code(index: int) -> str:
    return f"DEMO-{index + 1:02d}"


def seed_demo_central(session: Session, now: dt.datetime) -> bool:
    """Create the demo accounts and sites once; False when the central already has them."""
    if not central_is_empty(session):
        return False
    for username, role, full_name in DEMO_STAFF:
        create_central_staff(session, username, role, now, password=DEMO_PASSWORD, full_name=full_name)
    add_site(session, DEMO_SITE_CODE, DEMO_SITE_NAME, now, key=DEMO_UPLINK_KEY, demo=True)
    for index, name in enumerate(DEMO_COMMUNES):
        add_site(session, commune_code(index), f"Trung tâm Phục vụ hành chính công xã {name} (mô phỏng)", now,
                 key=commune_key(index), demo=True)
    replace_catalogue(session, demo_catalogue())
    session.commit()
    return True


def commune_key(index: int) -> str:
    return f"demo-commune-{index + 1:02d}"


def demo_catalogue() -> list[dict[str, str]]:
    """The province's list of fields in the demo: the demo site's own fields (server/demo.py)."""
    from server.demo import DEMO_FIELDS

    return [{"code": spec.code, "name": spec.name, "name_en": spec.name_en, "prefix": spec.number_prefix}
            for spec in DEMO_FIELDS]


class CommuneFigures:
    """Plausible live figures of one simulated commune's fields, moving a little at each step."""

    def __init__(self, index: int) -> None:
        self.random = random.Random(index)
        catalogue = demo_catalogue()
        chosen = self.random.sample(catalogue, k=self.random.randint(4, len(catalogue)))
        self.fields = [{"code": entry["code"], "name": entry["name"], "waiting": self.random.randint(0, 10),
                        "counters_serving": self.random.choice((0, 1, 1, 1, 2, 2, 3)),
                        "average_s": self.random.choice((240, 300, 420, 600))} for entry in chosen]

    def step(self) -> list[dict[str, Any]]:
        rows = []
        for field in self.fields:
            field["waiting"] = max(0, min(30, field["waiting"] + self.random.choice((-2, -1, 0, 0, 1, 2))))
            if self.random.random() < 0.05:
                field["counters_serving"] = max(0, min(3, field["counters_serving"] + self.random.choice((-1, 1))))
            rows.append({"code": field["code"], "name": field["name"], "waiting": field["waiting"],
                         "estimated_wait_s": estimated_wait_seconds(field["waiting"], field["average_s"],
                                                                    field["counters_serving"])
                         if field["counters_serving"] else 0,
                         "counters_serving": field["counters_serving"]})
        return rows


def simulate_communes(session: Session, central_url: str, interval_s: float = 10.0,
                      stop: threading.Event | None = None) -> None:
    """The simulated communes speak to the demo central like real sites: each one's uplink connects with
    its demo key and sends its `site_status` (its fields' lines and waits) every `interval_s`, so the
    board and the public /wait page show them live. Runs until `stop` is set."""
    import socketio

    stop = stop or threading.Event()
    communes = []
    for index, name in enumerate(DEMO_COMMUNES):
        site = session.scalar(select(ProvinceSite).where(ProvinceSite.code == commune_code(index)))
        if site is None or not site.demo:
            continue
        if site.key_hash != digest(commune_key(index)):
            rotate_key(session, site.code, key=commune_key(index))  # a demo central seeded before the simulation
        communes.append((index, name, site.last_seq, CommuneFigures(index)))
    session.commit()
    clients: dict[int, Any] = {}
    while not stop.is_set():
        for index, name, last_seq, figures in communes:
            try:
                client = clients.get(index)
                if client is None or not client.connected:
                    client = socketio.Client(reconnection=False)
                    client.connect(central_url, auth={"key": commune_key(index)}, namespaces=["/uplink"],
                                   transports=["websocket"], wait_timeout=5)
                    client.call("hello", {"site_id": 1, "seq": last_seq}, namespace="/uplink", timeout=10)
                    clients[index] = client
                client.call("site_status", {"name": f"TTPVHCC xã {name}", "fields": figures.step()},
                            namespace="/uplink", timeout=10)
            except (socketio.exceptions.SocketIOError, OSError) as problem:
                logger.info("simulated commune %s could not reach the central: %s", commune_code(index), problem)
                clients.pop(index, None)
        stop.wait(interval_s)
    for client in clients.values():
        client.disconnect()


def chained_batches(events: Iterable[Any], origin_site_id: int = 1) -> Iterable[list[dict[str, Any]]]:
    """Generated events (seq, type, payload, created_at) as the uplink would send them, chained."""
    previous, batch = GENESIS, []
    for event in events:
        payload = json_normalised(dict(event.payload))
        previous = chain_hash(previous, canonical_event(origin_site_id, event.seq, event.type, payload, event.created_at))
        batch.append({"site_id": origin_site_id, "seq": event.seq, "type": event.type, "payload": payload,
                      "created_at": event.created_at.isoformat(), "hash": previous})
        if len(batch) >= INGEST_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def seed_demo_history(session: Session, now: dt.datetime, timezone: str, days: int = HISTORY_DAYS) -> int:
    """Each simulated commune's history (server.rollups.demo_history) through the real ingest."""
    from server.province.ingest import hello, ingest
    from server.rollups.demo_history import generate_events

    stored = 0
    for index, _name in enumerate(DEMO_COMMUNES):
        code = commune_code(index)
        site = session.scalar(select(ProvinceSite).where(ProvinceSite.code == code))
        if site is None or site.last_seq:
            continue  # not a demo commune, or its history is already there
        site_id = site.id
        hello(session, site_id, 1, 0, now)
        for batch in chained_batches(generate_events(code, days, index + 1)):
            result = ingest(session, site_id, batch, now, timezone=timezone)
            stored += result.stored

        # The column's own type (aware UTC): max() would hand back SQLite's raw text.
        last_event_at = session.scalar(select(ReceivedEvent.created_at).where(ReceivedEvent.site_id == site_id)
                                       .order_by(ReceivedEvent.seq.desc()).limit(1))
        session.execute(ProvinceSite.__table__.update().where(ProvinceSite.id == site_id)
                        .values(connected=False, last_seen_at=last_event_at))
        session.commit()
    return stored
