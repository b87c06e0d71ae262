"""Socket.IO adapter: authentication on connect, rooms by identity, `snapshot` on every connect, and the
publisher that pushes committed domain events to rooms.

Async mode is `threading` (with simple-websocket for the websocket transport); eventlet/gevent are not
used. With `HANGCHO_MESSAGE_QUEUE_URL=redis://…` several server processes share one event stream.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter as Tally
from typing import Any, Callable

from flask import request
from flask_socketio import ConnectionRefusedError, SocketIO, join_room  # socketio's, not the builtin OSError
from sqlalchemy import select
from sqlalchemy.orm import Session

from server import errors
from server.api.errors import error_body
from server.auth.identity import actor_for_credential
from server.inputs import CONTROL_PROBLEM, DB_INT_MAX, first_control_character
from server.models import Counter, Device, RatingWindow, Site, Ticket
from server.queue import events as ev
from server.queue import queries
from server.queue.actors import Actor
from server.queue.clock import Clock
from server.queue.service import RatingRequest
from server.queue.site_settings import site_settings
from server.runtime import db_session, runtime

logger = logging.getLogger(__name__)

socketio = SocketIO()

BRIDGE_ROLES = ("printer", "led", "rating-keypad", "call-keypad")
KEYPAD_ACTIONS = ("call_next", "recall", "skip", "start", "finish", "pause", "resume")
# display_health's sound word → the device_status of the display's "sound" hardware entry.
SOUND_STATES = {"blocked": ("blocked", "the browser blocks autoplay until someone taps the screen"), "ok": ("online", "")}


class SocketIOPublisher:
    """Pushes each committed event to its rooms; enrichers add presentation data (voice clips)."""

    def __init__(self, server: SocketIO, enrichers: list[Callable[[str, dict[str, Any]], None]]) -> None:
        self.server = server
        self.enrichers = enrichers

    def publish(self, events: list[ev.DomainEvent]) -> None:
        for event in events:
            payload = event.wire_payload()
            for enrich in self.enrichers:
                enrich(event.type, payload)
            self.server.emit(event.type, payload, to=list(event.rooms))
            site_room = ev.site_room(event.site_id)
            if event.logged and site_room not in event.rooms:
                # Keep the site room's seq stream gapless without showing it private events
                # (ratings, alerts): it learns only that the number moved on.
                self.server.emit(ev.SEQ_ADVANCED, {"seq": event.seq, "site_id": event.site_id}, to=site_room)


class Connections:
    """Who is behind each socket of this process, and how many sockets each device holds."""

    def __init__(self) -> None:
        self._actors: dict[str, Actor] = {}
        self._device_sockets: Tally[int] = Tally()
        # The serial devices a bridge's socket announced in bridge_hello (and the server accepted).
        self._bridge_devices: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def add(self, sid: str, actor: Actor) -> bool:
        """Returns True when this is the device's first socket (it just came online)."""
        with self._lock:
            self._actors[sid] = actor
            if actor.kind == "device" and actor.id is not None:
                self._device_sockets[actor.id] += 1
                return self._device_sockets[actor.id] == 1
            return False

    def remove(self, sid: str) -> tuple[Actor | None, bool]:
        """The actor of the socket, and True when it was the device's last socket."""
        with self._lock:
            actor = self._actors.pop(sid, None)
            self._bridge_devices.pop(sid, None)
            if actor is not None and actor.kind == "device" and actor.id is not None:
                self._device_sockets[actor.id] -= 1
                if self._device_sockets[actor.id] <= 0:
                    del self._device_sockets[actor.id]
                    return actor, True
            return actor, False

    def actor(self, sid: str) -> Actor | None:
        with self._lock:
            return self._actors.get(sid)

    def count(self) -> int:
        with self._lock:
            return len(self._actors)

    def set_bridge_devices(self, sid: str, devices: list[str]) -> None:
        with self._lock:
            self._bridge_devices[sid] = frozenset(devices)

    def bridge_has(self, sid: str, device: str) -> bool:
        """True when this bridge socket announced `device` (e.g. "rating-keypad:1") and it was accepted."""
        with self._lock:
            return device in self._bridge_devices.get(sid, frozenset())


connections = Connections()


# --------------------------------------------------------------------------- snapshots

def snapshot_for(session: Session, actor: Actor, site_id: int) -> dict[str, Any]:
    """The full state a client of this identity needs, with the site's current seq."""
    clock = runtime().clock
    if actor.kind == "citizen":
        return queries.hall_snapshot(session, site_id, clock)
    if actor.kind == "device":
        if actor.role == "kiosk":
            site = session.get(Site, site_id)
            issuing = runtime().service(session).issuing_state(site) if site else None
            return queries.kiosk_snapshot(session, site_id, clock, issuing, kiosk_id=actor.id)  # type: ignore[arg-type]
        if actor.role == "rating_terminal":
            return rating_terminal_snapshot(session, actor, clock)
        return queries.hall_snapshot(session, site_id, clock)
    if actor.role in ("supervisor", "admin", "inspector"):
        return queries.dashboard_snapshot(session, site_id, clock)
    counter_id = session.scalar(select(Counter.id).where(Counter.clerk_id == actor.id))
    if counter_id is not None:
        return queries.counter_snapshot(session, counter_id, clock)
    return queries.hall_snapshot(session, site_id, clock)


def rating_terminal_snapshot(session: Session, actor: Actor, clock: Clock) -> dict[str, Any]:
    """The counter, its clerk, the rating buttons, and the window still open (after a reconnect)."""
    counter = session.get(Counter, actor.counter_id) if actor.counter_id else None
    site = session.get(Site, actor.site_id)
    if counter is None or site is None:
        raise errors.CounterNotFound()
    settings = site_settings(site.settings)
    now = clock.now()
    window = session.scalar(
        select(RatingWindow)
        .where(RatingWindow.counter_id == counter.id, RatingWindow.closed_at.is_(None), RatingWindow.closes_at > now)
        .order_by(RatingWindow.opens_at.desc())
        .limit(1)
    )
    open_request = None
    if window is not None:
        ticket = session.get(Ticket, window.ticket_id)
        open_request = {
            "ticket_id": window.ticket_id, "id": window.ticket_id, "number": ticket.number if ticket else None,
            "counter_id": counter.id, "token": window.token, "expires_at": window.closes_at.isoformat(),
            "window_s": max(0, int((window.closes_at - now).total_seconds())),
        }
    clerk = counter.clerk
    return {
        "seq": queries.current_seq(session, site.id),
        "site_id": site.id,
        "server_time": now.isoformat(),
        "site": queries.site_header(site),
        "counter": {"id": counter.id, "number": counter.number, "name": counter.name, "status": counter.status.value,
                    "clerk": {"id": clerk.id, "full_name": clerk.full_name, "title": clerk.title} if clerk else None},
        "rating": {
            "window_s": settings.rating.window_s,
            "buttons": [b.model_dump() for b in settings.rating.buttons],
            "low_score_max": settings.rating.low_score_max,
            "reasons": [r.model_dump() for r in settings.rating.reasons],
        },
        "open_request": open_request,
    }


# --------------------------------------------------------------------------- connect

def rooms_for(session: Session, actor: Actor) -> list[str]:
    site_id = actor.site_id
    if actor.kind == "device":
        if actor.role == "rating_terminal" and actor.counter_id is not None:
            return [ev.rating_room(actor.counter_id), ev.device_room(actor.id or 0)]
        rooms = [ev.site_room(site_id or 0), ev.device_room(actor.id or 0)]
        if actor.role == "kiosk":
            rooms.append(ev.kiosk_room(actor.id or 0))
        return rooms
    rooms = [ev.site_room(site_id or 0)]
    if actor.role in ("supervisor", "admin", "inspector"):
        rooms.append(ev.dashboard_room(site_id or 0))
    else:
        counter_id = session.scalar(select(Counter.id).where(Counter.clerk_id == actor.id))
        if counter_id is not None:
            rooms.append(ev.counter_room(counter_id))
    return rooms


def _site_of(session: Session, actor: Actor) -> int:
    if actor.site_id is not None:
        return actor.site_id
    site_id = session.scalar(select(Site.id).order_by(Site.id).limit(1))
    if site_id is None:
        raise ConnectionRefusedError("no_site", {"error": "no_site", "message": "no site configured"})
    return site_id


@socketio.on("connect")
def on_connect(auth: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    """Refuse unauthenticated clients; join the identity's rooms; send the snapshot.

    A refusal is raised as (message, data) so the browser's `connect_error` carries `data.error`
    (python-socketio turns a single argument into a message string and drops the dict)."""
    auth = auth if isinstance(auth, dict) else {}
    if first_control_character(auth) is not None:
        raise ConnectionRefusedError("not_authenticated", {"error": "not_authenticated", "message": "not_authenticated"})
    if runtime().settings.is_central:
        # The central has no hall: its sockets are the sites' uplinks and the province board (server/province).
        raise ConnectionRefusedError("not_found", {"error": "not_found", "message": "not_found"})
    session = db_session()
    now = runtime().clock.now()
    ticket_token = str(auth.get("ticket_token") or "")
    if ticket_token:
        ticket = session.scalar(select(Ticket).where(Ticket.public_token == ticket_token))
        if ticket is None:
            raise ConnectionRefusedError("invalid_token", {"error": "invalid_token", "message": "not_authenticated"})
        actor = Actor(kind="citizen", id=ticket.id, site_id=ticket.site_id)
        rooms = [ev.ticket_room(ticket.id), ev.site_room(ticket.site_id)]
    else:
        actor = actor_for_credential(session, str(auth.get("token") or ""), now)
        if actor is None:
            raise ConnectionRefusedError("not_authenticated", {"error": "not_authenticated", "message": "not_authenticated"})
        actor = Actor(kind=actor.kind, id=actor.id, site_id=_site_of(session, actor), role=actor.role,
                      counter_id=actor.counter_id, name=actor.name)
        rooms = rooms_for(session, actor)
    for room in rooms:
        join_room(room)
    first_socket = connections.add(request.sid, actor)  # type: ignore[attr-defined]
    socketio.emit("snapshot", snapshot_for(session, actor, actor.site_id or 0), to=request.sid)  # type: ignore[attr-defined]
    if actor.kind == "device" and first_socket:
        runtime().service(session).report_device_status(actor.id or 0, "online")
    logger.info("socket %s connected as %s, rooms %s", request.sid, actor.label, rooms)  # type: ignore[attr-defined]


@socketio.on("disconnect")
def on_disconnect(*_args: Any) -> None:
    actor, last_socket = connections.remove(request.sid)  # type: ignore[attr-defined]
    if actor is not None and actor.kind == "device" and last_socket:
        runtime().service(db_session()).report_device_status(actor.id or 0, "offline", "disconnected")


def _actor() -> Actor:
    actor = connections.actor(request.sid)  # type: ignore[attr-defined]
    if actor is None:
        raise errors.NotAuthenticated()
    return actor


def _handled(handler: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Socket events answer through their ack: {"ok": true, …} or {"ok": false, "error", "message"}.
    A control character anywhere in the message is refused here, for every event (as on HTTP)."""

    def wrapper(*args: Any) -> dict[str, Any]:
        try:
            location = first_control_character(args[0] if len(args) == 1 else list(args))
            if location is not None:
                raise errors.ValidationFailed(fields={location: CONTROL_PROBLEM})
            return {"ok": True, **handler(*args)}
        except errors.HangChoError as error:
            return {"ok": False, **error_body(error)}

    wrapper.__name__ = handler.__name__
    return wrapper


@socketio.on("request_snapshot")
@_handled
def on_request_snapshot(_data: Any = None) -> dict[str, Any]:
    """A client that saw a gap in seq asks for the full state again."""
    actor = _actor()
    snapshot = snapshot_for(db_session(), actor, actor.site_id or 0)
    socketio.emit("snapshot", snapshot, to=request.sid)  # type: ignore[attr-defined]
    return {"seq": snapshot["seq"]}


@socketio.on("join_counter")
@_handled
def on_join_counter(data: Any = None) -> dict[str, Any]:
    """A clerk's console that just opened a counter joins that counter's room."""
    actor = _actor()
    counter_id = _integer(data.get("counter_id")) if isinstance(data, dict) else None
    counter = db_session().get(Counter, counter_id) if counter_id is not None else None
    if actor.kind != "staff" or counter is None or counter.site_id != actor.site_id:
        raise errors.Forbidden()
    if actor.role == "clerk" and counter.clerk_id != actor.id:
        raise errors.NotClerkOfCounter(counter_number=counter.number)
    join_room(ev.counter_room(counter.id))
    return {"counter_id": counter.id}


@socketio.on("display_health")
@_handled
def on_display_health(data: Any = None) -> dict[str, Any]:
    """A display page says whether the browser lets it play sound ({"sound": "blocked" | "ok"}), so the
    dashboard shows a hall board that cannot call anyone aloud under device health."""
    actor = _actor()
    if not actor.is_device("display"):
        raise errors.Forbidden()
    sound = str((data or {}).get("sound", "")) if isinstance(data, dict) else ""
    if sound not in SOUND_STATES:
        raise errors.ValidationFailed(fields={"sound": "blocked or ok"})
    status, message = SOUND_STATES[sound]
    runtime().service(db_session()).report_device_status(actor.id or 0, status, message, hardware="sound")
    return {"sound": sound}


# --------------------------------------------------------------------------- the hardware bridge

def _bridge() -> Actor:
    actor = _actor()
    if not actor.is_device("bridge"):
        raise errors.Forbidden()
    return actor


def _parse_role(device: str) -> tuple[str, int]:
    role, _, target = str(device).partition(":")
    if role not in BRIDGE_ROLES or _integer(target) is None or not target.isdigit():
        raise errors.ValidationFailed(fields={"device": "ROLE:<id> with ROLE in " + ", ".join(BRIDGE_ROLES)})
    return role, int(target)


@socketio.on("bridge_hello")
@_handled
def on_bridge_hello(data: Any = None) -> dict[str, Any]:
    """The bridge names its devices; it joins the rooms that carry their jobs."""
    bridge = _bridge()
    session = db_session()
    accepted, rejected = [], []
    devices = data.get("devices") if isinstance(data, dict) else None
    for device in devices if isinstance(devices, list) else []:
        try:
            role, target = _parse_role(device)
            if role == "printer":
                kiosk = session.get(Device, target)
                if kiosk is None or kiosk.site_id != bridge.site_id or kiosk.kind.value != "kiosk":
                    raise errors.NotFound()
                join_room(ev.printer_room(kiosk.id))
            else:
                counter = session.get(Counter, target)
                if counter is None or counter.site_id != bridge.site_id:
                    raise errors.CounterNotFound()
                join_room(ev.counter_room(counter.id))
                if role == "rating-keypad":
                    join_room(ev.rating_room(counter.id))
            accepted.append(device)
        except errors.HangChoError as error:
            rejected.append({"device": device, **error_body(error)})
    connections.set_bridge_devices(request.sid, accepted)  # type: ignore[attr-defined]
    socketio.emit("snapshot", snapshot_for(session, bridge, bridge.site_id or 0), to=request.sid)  # type: ignore[attr-defined]
    return {"accepted": accepted, "rejected": rejected}


@socketio.on("device_status")
@_handled
def on_device_status(data: Any = None) -> dict[str, Any]:
    bridge = _bridge()
    data = data if isinstance(data, dict) else {}
    device = str(data.get("device", ""))
    _parse_role(device)
    status = str(data.get("status", ""))
    if status not in ("online", "offline", "paper_out", "error"):
        raise errors.ValidationFailed(fields={"status": "online, offline, paper_out or error"})
    runtime().service(db_session()).report_device_status(bridge.id or 0, status, str(data.get("message", "")), hardware=device)
    return {}


@socketio.on("print_result")
@_handled
def on_print_result(data: Any = None) -> dict[str, Any]:
    bridge = _bridge()
    data = data if isinstance(data, dict) else {}
    job_id = _integer(data.get("job_id"))
    if job_id is None:
        raise errors.ValidationFailed(fields={"job_id": "required"})
    job = runtime().service(db_session()).record_print_result(
        job_id, bridge, bool(data.get("ok")), str(data.get("error") or ""), str(data.get("message") or "")
    )
    return {"job_id": job.id, "status": job.status.value}


@socketio.on("key_press")
@_handled
def on_key_press(data: Any = None) -> dict[str, Any]:
    """A clerk's call keypad: the same domain verbs as the console, deduplicated by press_id."""
    bridge = _bridge()
    data = data if isinstance(data, dict) else {}
    action = str(data.get("action", ""))
    press_id = str(data.get("press_id", ""))[:128]
    if action not in KEYPAD_ACTIONS or not press_id:
        raise errors.ValidationFailed(fields={"action": "one of " + ", ".join(KEYPAD_ACTIONS), "press_id": "required"})
    counter_id = _integer(data.get("counter_id"))
    if counter_id is None:
        raise errors.ValidationFailed(fields={"counter_id": "required"})
    # A bridge acts only for the call keypads it announced (and the server accepted) in bridge_hello.
    if not connections.bridge_has(request.sid, f"call-keypad:{counter_id}"):  # type: ignore[attr-defined]
        raise errors.Forbidden()
    ticket = runtime().service(db_session()).counter_action(counter_id, action, bridge, press_id)
    return {"ticket": queries.ticket_view(ticket) if ticket is not None else None}


@socketio.on("keypad_rating")
@_handled
def on_keypad_rating(data: Any = None) -> dict[str, Any]:
    """A serial rating keypad's key press, for the ticket just finished at its counter.

    Every refusal goes through the domain verb so that it is recorded in rating_attempts: a press
    for a counter whose keypad this bridge did not announce rates for no counter (not_this_counter).
    """
    bridge = _bridge()
    data = data if isinstance(data, dict) else {}
    counter_id = _integer(data.get("counter_id"))
    press_id = str(data.get("press_id", ""))[:128]
    session = db_session()
    ticket_id = _integer(data.get("ticket_id"))
    if ticket_id is None and counter_id is not None:
        # A press outside any window the bridge knew of: the latest window at the counter decides.
        ticket_id = session.scalar(
            select(RatingWindow.ticket_id).where(RatingWindow.counter_id == counter_id)
            .order_by(RatingWindow.opens_at.desc(), RatingWindow.id.desc()).limit(1)
        )
    announced = counter_id is not None and connections.bridge_has(request.sid, f"rating-keypad:{counter_id}")  # type: ignore[attr-defined]
    token = data.get("token")
    rating = runtime().service(session).rate(
        RatingRequest(score=_integer(data.get("score")) or 0, ticket_id=ticket_id,
                      counter_id=counter_id if announced else None,
                      window_token=str(token) if token else None),
        bridge,
        idempotency_key=press_id or None,
    )
    return {"rating_id": rating.id, "ticket_id": rating.ticket_id}


def _integer(value: Any) -> int | None:
    """An id or score from a device message; None when missing, not a whole number, or beyond what the
    database holds (an id that large names nothing)."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value) if value is not None and str(value).strip() != "" else None
    except (TypeError, ValueError):
        return None
    return number if number is None or abs(number) <= DB_INT_MAX else None


def init_realtime(app: Any) -> None:
    settings = app.extensions["hangcho"].settings
    socketio.init_app(
        app,
        async_mode="threading",
        message_queue=settings.message_queue_url or None,
        cors_allowed_origins=[settings.base_url, f"http://{settings.host}:{settings.port}"],
        logger=False,
        engineio_logger=False,
        ping_interval=10,
        ping_timeout=10,
        # The central receives the sites' uplink batches (up to a few MB while catching up).
        max_http_buffer_size=16 * 1024 * 1024 if settings.is_central else 1_000_000,
    )

