"""The uplink: the site's event log, read from the database in seq order, sent to the central.

It runs in its own daemon thread of a server process and holds UplinkLock, so exactly one process of a
site sends. It keeps nothing in memory but one batch: after any outage it asks the central where to
resume and reads the outbox again from there. Every call has a short timeout and a dropped connection
releases a pending call at once; while the central is down it backs off (1 s doubling to 30 s), and the
queue's verbs never wait for it.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from typing import Any, Callable

import socketio
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from server.errors import HangChoError
from server.models import Event, Site
from server.queue.clock import Clock, SystemClock
from server.uplink.lock import UplinkLock
from server.uplink.models import UplinkState

logger = logging.getLogger(__name__)

NAMESPACE = "/uplink"
CALL_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 5.0
HEARTBEAT_S = 10.0
MAX_BACKOFF_S = 30.0
REFUSED_PAUSE_S = 30.0  # after the central refused a batch (broken chain): ask again, not in a tight loop
MAX_BATCH_BYTES = 4 * 1024 * 1024
RETRY_SOON = ("busy", "unavailable")  # the central could not take the batch now; nothing is wrong with it
BUSY_PAUSE_S = 1.0
PHONE_EVERY_S = 1.0  # the phone views go up at most this often
STATUS_MIN_INTERVAL_S = 1.0  # site_status: at most once a second, and at least every HEARTBEAT_S


class CallFailed(Exception):
    """The central did not answer (time-out, or the connection dropped while waiting)."""


class Uplink:
    def __init__(self, engine: Engine, session_factory: sessionmaker[Session], write_session_factory: sessionmaker[Session],
                 central_url: str, key: str, *, batch_size: int = 500, poll_s: float = 0.3,
                 max_backoff_s: float = MAX_BACKOFF_S, clock: Clock | None = None,
                 relayed_rating: Callable[[int, Any], dict[str, Any]] | None = None,
                 apply_catalogue: Callable[[list[dict[str, Any]]], None] | None = None) -> None:
        self.engine = engine
        self.session_factory = session_factory
        self.write_session_factory = write_session_factory
        self.central_url = central_url.rstrip("/")
        self.key = key
        self.batch_size = batch_size
        self.poll_s = poll_s
        self.max_backoff_s = max_backoff_s
        self.clock = clock or SystemClock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pending: dict[int, tuple[threading.Event, list[Any]]] = {}
        self._pending_lock = threading.Lock()
        self._call_id = 0
        self._client: socketio.Client | None = None
        self._last_state_write = 0.0
        self._recorded_acknowledged: int | None = None
        self.site_id: int | None = None
        # The site's answer to a phone's rating relayed by the central (server/uplink/phone.rate_relayed).
        self.relayed_rating = relayed_rating
        self._phone_after_seq: int | None = None  # events up to here are in the phone views already sent
        self._phone_sent: dict[str, dict[str, Any]] = {}  # digest → the view last sent on this connection
        self._phone_last = 0.0
        self._phone_served = False
        # Applies the province's catalogue through the site's audited admin code (start_uplink gives it).
        self.apply_catalogue = apply_catalogue
        self._catalogue_failed: str | None = None
        self._status_sent: dict[str, Any] | None = None
        self._status_checked = self._status_sent_at = 0.0
        self._central_has_status = False

    # ------------------------------------------------------------------ life

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hangcho-uplink", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._give_up_pending()

    def wake(self) -> None:
        """New events were committed in this process: look now rather than at the next poll."""
        self._wake.set()

    def _run(self) -> None:
        lock: UplinkLock | None = None
        backoff = min(1.0, self.max_backoff_s)
        while not self._stop.is_set():
            try:
                if self.site_id is None:
                    self.site_id = self._site_id()
                    if self.site_id is None:
                        self._stop.wait(5)
                        continue
                if lock is None:
                    lock = UplinkLock(self.engine, self.site_id)
                if not lock.try_acquire():
                    self._stop.wait(5)  # another process of this site sends; take over if it goes
                    continue
                self._session_with_central()
                backoff = min(1.0, self.max_backoff_s)  # a session that ended cleanly (the central went away): start over soon
            except (CallFailed, socketio.exceptions.SocketIOError, OSError) as problem:
                self._write_state(connected=False, error=str(problem)[:300] or type(problem).__name__, force=True)
                logger.info("uplink to %s unavailable (%s); again in %.0f s", self.central_url, problem, backoff)
            except SQLAlchemyError:
                logger.exception("uplink: the site database failed; again in %.0f s", backoff)
            except Exception:  # noqa: BLE001 - the uplink thread must outlive any single failure
                logger.exception("uplink failed; again in %.0f s", backoff)
            finally:
                self._disconnect()
            self._stop.wait(backoff)
            backoff = min(self.max_backoff_s, backoff * 2)
        if lock is not None:
            lock.release()

    def _site_id(self) -> int | None:
        with self.session_factory() as session:
            return session.scalar(select(Site.id).order_by(Site.id).limit(1))

    # ------------------------------------------------------------------ the connection

    def _connect(self) -> socketio.Client:
        client = socketio.Client(reconnection=False, request_timeout=CONNECT_TIMEOUT_S, logger=False, engineio_logger=False)
        client.on("disconnect", self._give_up_pending, namespace=NAMESPACE)
        client.on("relayed_rating", self._on_relayed_rating, namespace=NAMESPACE)
        client.connect(self.central_url, auth={"key": self.key}, namespaces=[NAMESPACE], transports=["websocket"],
                       wait_timeout=CONNECT_TIMEOUT_S)
        self._client = client
        return client

    def _disconnect(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.disconnect()
            except Exception:  # noqa: BLE001 - already gone
                pass
        self._give_up_pending()

    def _give_up_pending(self, *_args: Any) -> None:
        """The connection dropped: every call waiting for an answer fails now, not at its time-out."""
        with self._pending_lock:
            pending, self._pending = self._pending, {}
        for done, _answer in pending.values():
            done.set()

    def _call(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        client = self._client
        if client is None or not client.connected:
            raise CallFailed("not connected")
        with self._pending_lock:
            self._call_id += 1
            call_id = self._call_id
            done, answer = threading.Event(), []
            self._pending[call_id] = (done, answer)

        def on_answer(*args: Any) -> None:
            answer.extend(args)
            done.set()

        try:
            client.emit(event, data, namespace=NAMESPACE, callback=on_answer)
            if not done.wait(CALL_TIMEOUT_S) or not answer:
                raise CallFailed(f"no answer to {event}")
        finally:
            with self._pending_lock:
                self._pending.pop(call_id, None)
        result = answer[0]
        if not isinstance(result, dict):
            raise CallFailed(f"unexpected answer to {event}")
        return result

    # ------------------------------------------------------------------ sending

    def _session_with_central(self) -> None:
        assert self.site_id is not None
        self._connect()
        answer = self._call("hello", {"site_id": self.site_id, "seq": self._site_seq()})
        if not answer.get("ok"):
            raise CallFailed(f"central refused the uplink: {answer.get('error')}")
        acknowledged = int(answer["acknowledged_seq"])
        self._write_state(connected=True, acknowledged=acknowledged, error="", force=True,
                          phone_base_url=_http_url(answer.get("phone_base_url")))
        logger.info("uplink connected to %s; resuming after seq %s", self.central_url, acknowledged)
        # A central that names its public URL serves the phone page (an older one would leave the call
        # unanswered until its time-out): only then does the uplink send it the phone views.
        self._phone_after_seq, self._phone_sent = None, {}
        self._phone_served = bool(_http_url(answer.get("phone_base_url")))
        self._catalogue_failed, self._status_sent = None, None
        # A central that names a catalogue version knows `site_status` and `catalogue`; an older one would
        # leave those calls unanswered (a 10 s time-out each), so they are sent only to a central that does.
        self._central_has_status = "catalogue_version" in answer
        self._follow_catalogue(answer.get("catalogue_version"))
        last_spoke = time.monotonic()
        while not self._stop.is_set():
            if self._client is None or not self._client.connected:
                raise CallFailed("connection lost")
            self._send_site_status()
            batch = self._read_batch(acknowledged)
            if batch:
                answer = self._call("events", {"events": batch, "seq": self._site_seq()})
                last_spoke = time.monotonic()
                acknowledged = int(answer.get("acknowledged_seq", acknowledged))
                if answer.get("error") in RETRY_SOON:
                    self._stop.wait(BUSY_PAUSE_S)  # the central is loaded: the same batch again shortly
                    continue
                if not answer.get("ok"):
                    error = str(answer.get("error") or "refused")
                    detail = f"{error} at seq {answer.get('first_bad_seq')}" if answer.get("first_bad_seq") else error
                    logger.error("central refused events of this site: %s", detail)
                    self._write_state(connected=True, acknowledged=acknowledged, error=detail, force=True)
                    self._stop.wait(REFUSED_PAUSE_S)
                    continue
                self._write_state(connected=True, acknowledged=acknowledged, error="")
                continue  # catching up: the next batch at once
            self._send_phone_tickets(acknowledged)
            if time.monotonic() - last_spoke >= HEARTBEAT_S:
                answer = self._call("hello", {"site_id": self.site_id, "seq": self._site_seq()})
                last_spoke = time.monotonic()
                if not answer.get("ok"):
                    raise CallFailed(f"central refused the uplink: {answer.get('error')}")
                acknowledged = int(answer["acknowledged_seq"])
                self._write_state(connected=True, acknowledged=acknowledged, error="", force=True)
                self._follow_catalogue(answer.get("catalogue_version"))
            elif acknowledged != self._recorded_acknowledged:
                # The last batch's acknowledgement fell inside the once-a-second limit: record it now, so the
                # dashboard's lag is exact within a second rather than at the next heartbeat.
                self._write_state(connected=True, acknowledged=acknowledged, error="")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    # ------------------------------------------------------------------ the phone page at the central

    def _send_phone_tickets(self, acknowledged: int) -> None:
        """Once the central has every event, the phone views that changed since the last call: at most
        once a second after new events, and at each heartbeat anyway (estimated waits drift with time)."""
        if not self.relayed_rating or not self._phone_served or time.monotonic() - self._phone_last < PHONE_EVERY_S:
            return
        if self._phone_after_seq is not None and self._phone_after_seq >= acknowledged \
                and time.monotonic() - self._phone_last < HEARTBEAT_S:
            return
        from server.uplink.phone import MAX_VIEWS_PER_CALL, phone_views

        with self.session_factory() as session:
            views = phone_views(session, self.site_id or 0, self.clock.now(), self._phone_after_seq)
        changed = [item for item in views if self._phone_sent.get(item["token_sha256"]) != item["view"]]
        for start in range(0, len(changed), MAX_VIEWS_PER_CALL):
            part = changed[start:start + MAX_VIEWS_PER_CALL]
            answer = self._call("phone_tickets", {"tickets": part})
            if not answer.get("ok"):
                logger.warning("central refused phone views: %s", answer.get("error"))
                break
            self._phone_sent.update({item["token_sha256"]: item["view"] for item in part})
        self._phone_after_seq, self._phone_last = acknowledged, time.monotonic()

    def _on_relayed_rating(self, data: Any = None) -> dict[str, Any]:
        """A phone's rating, relayed by the central this uplink authenticated to (only it can send on this
        connection): the site's own rating verb decides; its answer goes back as the acknowledgement."""
        if self.relayed_rating is None or self.site_id is None:
            return {"ok": False, "status": 404, "error": "not_found", "message": "not_found", "params": {}}
        try:
            answer = self.relayed_rating(self.site_id, data)
        except SQLAlchemyError:
            logger.exception("uplink: a relayed rating failed on the site database")
            return {"ok": False, "status": 503, "error": "unavailable", "message": "unavailable", "params": {}}
        self.wake()  # its rating_received event goes up at once
        return answer

    def _site_seq(self) -> int:
        with self.session_factory() as session:
            return int(session.scalar(select(Site.event_seq).where(Site.id == self.site_id)) or 0)

    def _read_batch(self, after_seq: int) -> list[dict[str, Any]]:
        """The next events of the outbox, straight from the events table (nothing queued in memory)."""
        with self.session_factory() as session:
            rows = session.execute(
                select(Event.site_id, Event.seq, Event.type, Event.payload, Event.created_at, Event.hash)
                .where(Event.site_id == self.site_id, Event.seq > after_seq)
                .order_by(Event.seq).limit(self.batch_size)).all()
        batch, size = [], 0
        for site_id, seq, kind, payload, created_at, digest in rows:
            item = {"site_id": site_id, "seq": seq, "type": kind, "payload": payload,
                    "created_at": created_at.isoformat(), "hash": digest}
            size += len(str(payload)) + 200
            if batch and size > MAX_BATCH_BYTES:
                break
            batch.append(item)
        return batch

    # ------------------------------------------------------------------ the site's own status

    def site_status(self) -> dict[str, Any]:
        """The site's own name (its centre's and its own: "Trung tâm … · Trụ sở chính") and, per active
        field, its line and the kiosk's wait estimate."""
        from server.models import Centre
        from server.queue.queries import field_waits

        with self.session_factory() as session:
            names = session.execute(select(Centre.name, Site.name).join(Site, Site.centre_id == Centre.id)
                                    .where(Site.id == self.site_id)).first()
            name = " · ".join(part for part in (names or ()) if part)[:200]
            return {"name": name, "fields": field_waits(session, self.site_id, self.clock)}

    def _send_site_status(self) -> None:
        """`site_status` when it changed (looked at most once a second) and at least every HEARTBEAT_S."""
        now = time.monotonic()
        if not self._central_has_status or now - self._status_checked < STATUS_MIN_INTERVAL_S:
            return
        self._status_checked = now
        status = self.site_status()
        if status == self._status_sent and now - self._status_sent_at < HEARTBEAT_S:
            return
        answer = self._call("site_status", status)
        if not answer.get("ok"):
            logger.warning("central refused this site's status: %s", answer.get("error"))
        self._status_sent, self._status_sent_at = status, now

    def _follow_catalogue(self, version: Any) -> None:
        """The central named its catalogue's version: fetch and apply the list when this site applied another."""
        if not isinstance(version, str) or self.apply_catalogue is None or version == self._catalogue_failed:
            return
        with self.session_factory() as session:
            state = session.get(UplinkState, self.site_id)
            applied = state.catalogue_version if state else ""
        if version == applied:
            return
        answer = self._call("catalogue", {})
        fields, published = answer.get("fields"), answer.get("version")
        if not answer.get("ok") or not isinstance(fields, list) or not isinstance(published, str):
            logger.warning("the province catalogue could not be read: %s", answer.get("error"))
            return
        try:
            self.apply_catalogue(fields)
        except HangChoError as problem:
            # Retried at the next connection, not every heartbeat: an administrator has to act first.
            self._catalogue_failed = version
            logger.error("the province catalogue %s was not applied: %s %s", published, problem.code,
                         getattr(problem, "fields", ""))
            self._write_state(connected=True, error=f"catalogue: {problem.code}", force=True)
            return
        with self.write_session_factory() as session:
            state = session.get(UplinkState, self.site_id)
            if state is not None:
                state.catalogue_version = published
                session.commit()
        logger.info("province catalogue %s applied (%s fields)", published, len(fields))

    # ------------------------------------------------------------------ health

    def _write_state(self, *, connected: bool, acknowledged: int | None = None, error: str | None = None,
                     force: bool = False, phone_base_url: str | None = None) -> None:
        """The link's health for the dashboard; at most once a second unless something changed state."""
        if self.site_id is None or (not force and time.monotonic() - self._last_state_write < 1.0):
            return
        self._last_state_write = time.monotonic()
        now = self.clock.now()
        try:
            with self.write_session_factory() as session:
                state = session.get(UplinkState, self.site_id)
                if state is None:
                    state = UplinkState(site_id=self.site_id, central_url=self.central_url, connected=connected,
                                        acknowledged_seq=0, last_error="")
                    session.add(state)
                state.central_url, state.connected, state.updated_at = self.central_url, connected, now
                if acknowledged is not None and acknowledged != state.acknowledged_seq:
                    state.acknowledged_seq, state.acknowledged_at = acknowledged, now
                if error is not None:
                    state.last_error = error[:300]
                if phone_base_url is not None:
                    state.phone_base_url = phone_base_url
                session.commit()
                self._recorded_acknowledged = state.acknowledged_seq
        except SQLAlchemyError:
            logger.warning("uplink: could not record its health", exc_info=True)


def _http_url(value: Any) -> str:
    """The central's public base URL from its hello answer, when it is one (else the site's own is used)."""
    if isinstance(value, str) and len(value) <= 300 and value.startswith(("http://", "https://")) \
            and not any(character.isspace() for character in value):
        return value.rstrip("/")
    return ""


def lag(session: Session, site_id: int, now: dt.datetime) -> dict[str, Any]:
    """What the dashboard shows: connected, how many events and seconds the central is behind."""
    state = session.get(UplinkState, site_id)
    site_seq = int(session.scalar(select(Site.event_seq).where(Site.id == site_id)) or 0)
    acknowledged = state.acknowledged_seq if state else 0
    oldest = session.scalar(select(Event.created_at).where(Event.site_id == site_id, Event.seq == acknowledged + 1))
    return {
        # The uplink refreshes its row at least every HEARTBEAT_S while connected; an older row means its
        # process is gone (another process's uplink takes over within seconds).
        "connected": bool(state and state.connected and state.updated_at
                          and (now - state.updated_at).total_seconds() <= 3 * HEARTBEAT_S),
        "central_url": state.central_url if state else "",
        "acknowledged_seq": acknowledged,
        "site_seq": site_seq,
        "lag_events": max(0, site_seq - acknowledged),
        "lag_s": int(max(0.0, (now - oldest).total_seconds())) if oldest is not None else 0,
        "last_error": state.last_error if state else "",
        "updated_at": state.updated_at.isoformat() if state and state.updated_at else None,
    }
