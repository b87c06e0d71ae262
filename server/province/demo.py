"""The demo central of `make run`: demo log-ins, the live demo site's uplink key `demo-uplink-1`, and
simulated communes (clearly named as demo data) whose 90 days of history come from the roll-ups'
generator (issue 13, part B) through the real ingest code, in the background so start-up stays fast."""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.province.models import ProvinceSite, ReceivedEvent
from server.province.registry import add_site, central_is_empty, create_central_staff
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
        add_site(session, commune_code(index), f"Trung tâm Phục vụ hành chính công xã {name} (mô phỏng)", now, demo=True)
    session.commit()
    return True


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
