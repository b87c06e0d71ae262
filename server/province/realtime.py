"""Socket.IO at the central: namespace /uplink (sites push their event log and their own status,
authenticated by the uplink key, and fetch the province catalogue), namespace /province (the live board of
leaders, inspectors and admins) and the public namespace /wait (the citizens' wait times): pushed, never
polled."""
from __future__ import annotations

import logging
import threading
from typing import Any

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, join_room
from sqlalchemy.exc import SQLAlchemyError

from server import errors
from server.auth.identity import actor_for_credential
from server.inputs import first_control_character
from server.province import catalogue as province_catalogue
from server.province import ingest as province_ingest
from server.province import phone
from server.province.live import local_date
from server.province import waits as province_waits
from server.province.models import ProvinceSite
from server.province.registry import site_for_key
from server.realtime import socketio
from server.runtime import db_session, runtime

logger = logging.getLogger(__name__)

UPLINK = "/uplink"
BOARD = "/province"
BOARD_ROOM = "province"
WAIT = "/wait"
WAIT_ROOM = "wait"
BOARD_ROLES = ("leader", "inspector", "admin")


class UplinkSockets:
    """Which province site is behind each uplink socket of this process."""

    def __init__(self) -> None:
        self._sites: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, sid: str, site_id: int) -> None:
        with self._lock:
            self._sites[sid] = site_id

    def remove(self, sid: str) -> tuple[int | None, bool]:
        """The site of the socket, and True when it was that site's last socket here."""
        with self._lock:
            site_id = self._sites.pop(sid, None)
            return site_id, site_id is not None and site_id not in self._sites.values()

    def site(self, sid: str) -> int | None:
        with self._lock:
            return self._sites.get(sid)

    def sid_of(self, site_id: int) -> str | None:
        """A socket of the site's uplink in this process (the newest), for a downlink message."""
        with self._lock:
            found = [sid for sid, owner in self._sites.items() if owner == site_id]
        return found[-1] if found else None


uplinks = UplinkSockets()

# Uplink messages handled at once by this process (each uses one or two database connections): more
# would only queue for the connection pool and time out there. A message that finds no slot within
# BUSY_WAIT_S is answered "busy" (a connection is refused) and the site sends it again.
UPLINK_SLOTS = threading.BoundedSemaphore(8)
BUSY_WAIT_S = 5.0


class Busy(Exception):
    pass


class uplink_slot:  # noqa: N801 - used as `with uplink_slot():`
    """One of this process's uplink slots, with the event's database session closed before it is given back."""

    def __enter__(self) -> None:
        if not UPLINK_SLOTS.acquire(timeout=BUSY_WAIT_S):
            raise Busy()

    def __exit__(self, *_exc: object) -> None:
        from server.runtime import close_db_session

        try:
            close_db_session()
        finally:
            UPLINK_SLOTS.release()


def push_site_state(site_id: int) -> None:
    """The board rows of one site, to every board (in every process when a message queue is set)."""
    from server.province.views import overview

    rows = overview([site_id])
    if rows:
        socketio.emit("site_state", rows[0], to=BOARD_ROOM, namespace=BOARD)


def push_site_waits(site_id: int) -> None:
    """The public wait row of one site, to every /wait page (its fields or its connection changed)."""
    settings = runtime().settings
    rows = province_waits.wait_times(db_session(), runtime().clock.now(), settings.province_stale_s, site_ids=[site_id])
    if rows:
        socketio.emit("site_waits", rows[0], to=WAIT_ROOM, namespace=WAIT)


def _refused(code: str) -> ConnectionRefusedError:
    return ConnectionRefusedError(code, {"error": code, "message": code})


@socketio.on("connect", namespace=UPLINK)
def on_uplink_connect(auth: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    """A site's uplink: refused unless its key is a registered, unrevoked site's."""
    auth = auth if isinstance(auth, dict) else {}
    key = auth.get("key")
    if not isinstance(key, str) or first_control_character(key) is not None:
        raise _refused("not_authenticated")
    try:
        with uplink_slot():
            site = site_for_key(db_session(), key)
    except Busy:
        raise _refused("busy") from None
    if site is None:
        logger.warning("uplink refused from %s: unknown or revoked key", request.remote_addr)
        raise _refused("not_authenticated")
    uplinks.add(request.sid, site.id)  # type: ignore[attr-defined]
    logger.info("uplink of site %s connected", site.code)


def _uplink_site() -> int:
    site_id = uplinks.site(request.sid)  # type: ignore[attr-defined]
    if site_id is None:
        raise errors.NotAuthenticated()
    session = db_session()
    site = session.get(ProvinceSite, site_id)
    session.rollback()
    if site is None or site.revoked_at is not None:
        # A key revoked while connected stops at its next message.
        raise errors.NotAuthenticated()
    return site_id


def _answer_errors(run: Any) -> dict[str, Any]:
    try:
        with uplink_slot():
            return run()
    except Busy:
        return {"ok": False, "error": "busy"}
    except errors.HangChoError as error:
        return {"ok": False, "error": error.code}
    except SQLAlchemyError:
        logger.exception("uplink batch failed on the database")
        return {"ok": False, "error": "unavailable"}


@socketio.on("hello", namespace=UPLINK)
def on_uplink_hello(data: Any = None) -> dict[str, Any]:
    """{"site_id": the site's own id, "seq": its newest seq} → {"ok", "acknowledged_seq"}."""
    def run() -> dict[str, Any]:
        site_id = _uplink_site()
        body = data if isinstance(data, dict) else {}
        session = runtime().write_session_factory()
        try:
            result = province_ingest.hello(session, site_id, body.get("site_id"), body.get("seq"), runtime().clock.now())
            if result.error is None:
                phone.forget_old_tickets(session, site_id, local_date(runtime().clock.now(), runtime().settings.timezone))
            version = province_catalogue.published(session)["version"]
        finally:
            session.close()
        push_site_state(site_id)
        push_site_waits(site_id)
        answer = result.answer()
        if answer["ok"]:
            # Where the site's QR codes point from now on; then the ratings phones gave while it was away.
            answer["phone_base_url"] = phone.announced_base_url(runtime().settings)
            socketio.start_background_task(phone.deliver_pending, current_app._get_current_object(), site_id)  # type: ignore[attr-defined]
        # The catalogue's version: a site that applied another asks for the list (`catalogue`).
        return {**answer, "catalogue_version": version}
    return _answer_errors(run)


@socketio.on("phone_tickets", namespace=UPLINK)
def on_uplink_phone_tickets(data: Any = None) -> dict[str, Any]:
    """{"tickets": [{"token_sha256", "view"}]}: what the site's phone page shows of tickets that changed
    (server/province/phone.py); the phones watching them are told."""
    def run() -> dict[str, Any]:
        site_id = _uplink_site()
        body = data if isinstance(data, dict) else {}
        session = runtime().write_session_factory()
        try:
            changed = phone.store_views(session, site_id, body.get("tickets"), runtime().clock.now())
        finally:
            session.close()
        phone.push_changes(changed)
        return {"ok": True, "changed": len(changed)}
    return _answer_errors(run)


@socketio.on("site_status", namespace=UPLINK)
def on_uplink_site_status(data: Any = None) -> dict[str, Any]:
    """{"name": the site's own name, "fields": [{code, name, waiting, estimated_wait_s, counters_serving}]}
    → {"ok"}: stored in the site's live state, pushed to the board and to /wait."""
    def run() -> dict[str, Any]:
        site_id = _uplink_site()
        session = runtime().write_session_factory()
        try:
            province_waits.record_site_status(session, site_id, data, runtime().clock.now())
        finally:
            session.close()
        push_site_state(site_id)
        push_site_waits(site_id)
        return {"ok": True}
    return _answer_errors(run)


@socketio.on("catalogue", namespace=UPLINK)
def on_uplink_catalogue(_data: Any = None) -> dict[str, Any]:
    """→ {"ok", "version", "fields": [{code, name, name_en, prefix}]}: the province's list of fields."""
    def run() -> dict[str, Any]:
        _uplink_site()
        return {"ok": True, **province_catalogue.published(db_session())}
    return _answer_errors(run)


@socketio.on("events", namespace=UPLINK)
def on_uplink_events(data: Any = None) -> dict[str, Any]:
    """{"events": [...], "seq": the site's newest seq} → {"ok", "acknowledged_seq", …}; see ingest.py."""
    def run() -> dict[str, Any]:
        site_id = _uplink_site()
        body = data if isinstance(data, dict) else {}
        session = runtime().write_session_factory()
        try:
            result = province_ingest.ingest(session, site_id, body.get("events", []), runtime().clock.now(),
                                            timezone=runtime().settings.timezone, site_seq=body.get("seq"))
        finally:
            session.close()
        push_site_state(site_id)
        return result.answer()
    return _answer_errors(run)


@socketio.on("disconnect", namespace=UPLINK)
def on_uplink_disconnect(*_args: Any) -> None:
    site_id, last = uplinks.remove(request.sid)  # type: ignore[attr-defined]
    if site_id is None or not last:
        return
    with UPLINK_SLOTS:  # waits: a disconnection is always recorded
        _record_disconnection(site_id)


def _record_disconnection(site_id: int) -> None:
    session = runtime().write_session_factory()
    try:
        site = session.get(ProvinceSite, site_id)
        if site is not None:
            site.connected = False
            session.commit()
    finally:
        session.close()
    push_site_state(site_id)
    push_site_waits(site_id)


@socketio.on("connect", namespace=WAIT)
def on_wait_connect(_auth: Any = None) -> None:
    """Public: the citizens' /wait page. Every centre's waits now, then each change as it lands."""
    settings = runtime().settings
    join_room(WAIT_ROOM)
    rows = province_waits.wait_times(db_session(), runtime().clock.now(), settings.province_stale_s)
    socketio.emit("wait_times", {"sites": rows, "server_time": runtime().clock.now().isoformat()},
                  to=request.sid, namespace=WAIT)  # type: ignore[attr-defined]


@socketio.on("connect", namespace=BOARD)
def on_board_connect(auth: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    """A leader's, inspector's or admin's board: every site's row now, then each change as it lands."""
    from server.province.views import overview

    auth = auth if isinstance(auth, dict) else {}
    token = auth.get("token")
    if not isinstance(token, str) or first_control_character(token) is not None:
        raise _refused("not_authenticated")
    actor = actor_for_credential(db_session(), token, runtime().clock.now())
    if actor is None:
        raise _refused("not_authenticated")
    if actor.kind != "staff" or actor.role not in BOARD_ROLES:
        raise _refused("forbidden")
    join_room(BOARD_ROOM)
    socketio.emit("sites", {"sites": overview()}, to=request.sid, namespace=BOARD)  # type: ignore[attr-defined]
