"""Ingest of a site's uplink batches at the central: check the chain, store each (site, seq) once,
acknowledge the highest contiguous seq, fold the live state and the roll-ups in the same transaction.

A batch may repeat events already stored (a lost acknowledgement): they are skipped and acknowledged.
A batch with a gap in seq (a deleted row) or whose chain breaks (an edited row) is stored up to the last good event; the rest is refused and a province alert names the
site and the first bad seq, so a rewritten history is never stored.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from server import errors
from server.province.live import fold
from server.province.phone import bind_tickets
from server.province.models import ProvinceAlert, ProvinceSite, ReceivedEvent, SiteLiveState
from server.queue.hashchain import GENESIS, ChainedEvent, verify_chain

from server.rollups.apply import apply_events

logger = logging.getLogger(__name__)

MAX_BATCH = 5000
HEX64 = re.compile(r"^[0-9a-f]{64}$")
CHAIN_BROKEN = "chain_broken"
EVENTS_MISSING = "events_missing"
HISTORY_DIVERGED = "history_diverged"


@dataclass(frozen=True)
class IngestResult:
    acknowledged_seq: int
    stored: int = 0
    duplicates: int = 0
    error: str | None = None
    first_bad_seq: int | None = None

    def answer(self) -> dict[str, Any]:
        answer: dict[str, Any] = {"ok": self.error is None, "acknowledged_seq": self.acknowledged_seq,
                                  "stored": self.stored, "duplicates": self.duplicates}
        if self.error:
            answer.update(error=self.error, first_bad_seq=self.first_bad_seq)
        return answer


def parse_events(raw: Any) -> list[ChainedEvent]:
    """The batch as the uplink sends it, strictly typed; anything else is a validation error."""
    if not isinstance(raw, list) or len(raw) > MAX_BATCH:
        raise errors.ValidationFailed(fields={"events": f"a list of at most {MAX_BATCH} events"})
    events = []
    for item in raw:
        try:
            if not isinstance(item, dict):
                raise ValueError("event")
            site_id, seq, kind, payload = item["site_id"], item["seq"], item["type"], item["payload"]
            created_at = dt.datetime.fromisoformat(str(item["created_at"]))
            digest = item["hash"]
            if (type(site_id) is not int or type(seq) is not int or not isinstance(kind, str) or not 0 < len(kind) <= 48
                    or not isinstance(payload, dict) or created_at.tzinfo is None or not isinstance(digest, str)
                    or not HEX64.match(digest) or seq < 1):
                raise ValueError("event")
        except (KeyError, TypeError, ValueError) as bad:
            raise errors.ValidationFailed(fields={"events": "each event: site_id, seq, type, payload, created_at, hash"}) from bad
        events.append(ChainedEvent(site_id, seq, kind, payload, created_at, digest))
    return events


def _naive_utc(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(dt.timezone.utc).replace(tzinfo=None)


def store_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert received events in the session's transaction: PostgreSQL's COPY (one stream instead of a
    statement per row: the ingest's main cost), SQLite's executemany."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(ReceivedEvent.__table__), rows)
        return
    driver = connection.connection.driver_connection
    columns = ("site_id", "seq", "type", "payload", "created_at", "hash", "received_at")
    with driver.cursor() as cursor:  # type: ignore[union-attr]
        with cursor.copy(f"COPY province_events ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((row["site_id"], row["seq"], row["type"], json.dumps(row["payload"], ensure_ascii=False),
                                _naive_utc(row["created_at"]), row["hash"], _naive_utc(row["received_at"])))


def _locked_site(session: Session, site_id: int) -> ProvinceSite:
    site = session.scalar(select(ProvinceSite).where(ProvinceSite.id == site_id).with_for_update())
    if site is None:
        raise errors.NotFound()
    return site


def raise_alert(session: Session, site: ProvinceSite, kind: str, message: str, dedupe_key: str,
                payload: dict[str, Any], now: dt.datetime) -> ProvinceAlert:
    """One open alert per situation: a repeat of the same break does not pile up."""
    alert = session.scalar(select(ProvinceAlert).where(ProvinceAlert.dedupe_key == dedupe_key,
                                                       ProvinceAlert.resolved_at.is_(None)))
    if alert is None:
        alert = ProvinceAlert(site_id=site.id, kind=kind, message=message[:500], dedupe_key=dedupe_key[:120],
                              payload=payload, created_at=now)
        session.add(alert)
        logger.warning("province alert for site %s: %s", site.code, message)
    return alert


def _first_diverging_seq(session: Session, site_id: int, repeated: list[ChainedEvent]) -> int | None:
    """The first repeated event whose hash differs from the one stored for its seq (None: all the same)."""
    if not repeated:
        return None
    stored = dict(session.execute(select(ReceivedEvent.seq, ReceivedEvent.hash).where(
        ReceivedEvent.site_id == site_id, ReceivedEvent.seq.in_([event.seq for event in repeated]))).all())
    for event in sorted(repeated, key=lambda event: event.seq):
        if event.seq in stored and stored[event.seq] != event.hash:
            return event.seq
    return None


def hello(session: Session, site_id: int, origin_site_id: Any, site_seq: Any, now: dt.datetime) -> IngestResult:
    """A site's uplink (re)connects: bind its own site id on first contact, answer where to resume."""
    if type(origin_site_id) is not int or origin_site_id < 1 or type(site_seq) is not int or site_seq < 0:
        raise errors.ValidationFailed(fields={"site_id": "the site's own id", "seq": "its newest seq"})
    site = _locked_site(session, site_id)
    if site.origin_site_id is None:
        site.origin_site_id = origin_site_id
    elif site.origin_site_id != origin_site_id:
        session.rollback()
        return IngestResult(site.last_seq, error="site_mismatch")
    site.connected, site.last_seen_at, site.site_seq = True, now, max(site.site_seq, site_seq)
    acknowledged = site.last_seq
    session.commit()
    return IngestResult(acknowledged)


def ingest(session: Session, site_id: int, raw_events: Any, now: dt.datetime, *, timezone: str,
           site_seq: Any = None) -> IngestResult:
    """Store a batch of one site's events; commits. See the module docstring for the rules."""
    events = parse_events(raw_events)
    site = _locked_site(session, site_id)
    if type(site_seq) is int and site_seq >= 0:
        site.site_seq = max(site.site_seq, site_seq)
    site.connected, site.last_seen_at = True, now
    if any(event.site_id != site.origin_site_id for event in events):
        # A key sends only its own site's events; another site's would be stored under the wrong site.
        acknowledged = site.last_seq
        session.commit()
        return IngestResult(acknowledged, error="site_mismatch")
    fresh = sorted((event for event in events if event.seq > site.last_seq), key=lambda event: event.seq)
    duplicates = len(events) - len(fresh)
    diverged = _first_diverging_seq(session, site.id, [event for event in events if event.seq <= site.last_seq])
    if diverged is not None:
        # A seq already stored, sent again with other content: a site restored from an old backup, or a
        # history rewritten after it was sent. Never overwritten; the province is told.
        raise_alert(session, site, HISTORY_DIVERGED,
                    f"Events of {site.name} ({site.code}) already received differ from seq {diverged}",
                    f"{HISTORY_DIVERGED}:{site.id}:{diverged}", {"site_code": site.code, "first_bad_seq": diverged}, now)
        acknowledged = site.last_seq
        session.commit()
        return IngestResult(acknowledged, duplicates=duplicates, error=HISTORY_DIVERGED, first_bad_seq=diverged)
    check = verify_chain(fresh, site.last_hash or GENESIS, site.last_seq)
    good = fresh[:check.checked]
    if good:
        rows = [{"site_id": site.id, "seq": e.seq, "type": e.type, "payload": e.payload, "created_at": e.created_at,
                 "hash": e.hash, "received_at": now} for e in good]
        store_events(session, rows)
        state = session.get(SiteLiveState, site.id)
        if state is None:
            state = SiteLiveState(site_id=site.id, waiting_tickets={}, counters={}, open_alerts={}, issued_today=0,
                                  served_today=0, ratings_today=0, satisfied_today=0)
            session.add(state)
        fold(state, good, timezone, now)
        apply_events(session, site.id, good, timezone=timezone)
        bind_tickets(session, site.id, good, timezone, now)
        site.last_seq, site.last_hash = good[-1].seq, good[-1].hash
    error = first_bad = None
    if not check.ok:
        first_bad = check.first_bad_seq
        # A missing seq is a deleted row as surely as a wrong hash is an edited one: both are alerts.
        error = EVENTS_MISSING if check.problem == "gap in seq" else CHAIN_BROKEN
        text = (f"Events of {site.name} ({site.code}) are missing from seq {first_bad}" if error == EVENTS_MISSING else
                f"The event history of {site.name} ({site.code}) does not match its hash chain from seq {first_bad}")
        raise_alert(session, site, error, text, f"{error}:{site.id}:{first_bad}",
                    {"site_code": site.code, "first_bad_seq": first_bad}, now)
    acknowledged = site.last_seq
    session.commit()
    return IngestResult(acknowledged, stored=len(good), duplicates=duplicates, error=error, first_bad_seq=first_bad)


def verify_stored(session: Session, site_id: int, chunk: int = 5000) -> dict[str, Any]:
    """Re-check the stored chain of a site from its first event: {"ok", "checked", "first_bad_seq"}."""
    site = session.get(ProvinceSite, site_id)
    if site is None:
        raise errors.NotFound()
    previous_hash, previous_seq, checked = GENESIS, 0, 0
    while True:
        rows = session.execute(
            select(ReceivedEvent.seq, ReceivedEvent.type, ReceivedEvent.payload, ReceivedEvent.created_at,
                   ReceivedEvent.hash)
            .where(ReceivedEvent.site_id == site_id, ReceivedEvent.seq > previous_seq)
            .order_by(ReceivedEvent.seq).limit(chunk)).all()
        if not rows:
            break
        result = verify_chain((ChainedEvent(site.origin_site_id or 0, *row) for row in rows), previous_hash, previous_seq)
        checked += result.checked
        if not result.ok:
            return {"ok": False, "checked": checked, "first_bad_seq": result.first_bad_seq}
        previous_hash, previous_seq = result.last_hash, result.last_seq
    return {"ok": True, "checked": checked, "first_bad_seq": None}


def open_alert_counts(session: Session) -> dict[int, int]:
    from sqlalchemy import func

    return dict(session.execute(select(ProvinceAlert.site_id, func.count(ProvinceAlert.id))
                                .where(ProvinceAlert.resolved_at.is_(None)).group_by(ProvinceAlert.site_id)).all())


def sites_overview(session: Session, now: dt.datetime, timezone: str, stale_s: float,
                   site_ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    from server.province.live import site_row

    query = select(ProvinceSite, SiteLiveState).outerjoin(SiteLiveState, SiteLiveState.site_id == ProvinceSite.id)
    if site_ids is not None:
        query = query.where(ProvinceSite.id.in_(list(site_ids)))
    alerts = open_alert_counts(session)
    return [site_row(site, state, alerts.get(site.id, 0), now, timezone, stale_s)
            for site, state in session.execute(query.order_by(ProvinceSite.name)).all()]
