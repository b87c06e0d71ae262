"""The hardware bridge: one Socket.IO client to the server, one worker thread per serial device.

It connects with its bridge key, says hello with its devices, carries out print and display jobs,
sends key presses and keypad ratings (held in the outbox until acknowledged) and device health. It
reconnects by itself with backoff and logs each change of state once (docs/bridge.md).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import socketio
import socketio.exceptions

from hardware.backoff import Backoff
from hardware.bridge.outbox import NotDelivered, OutgoingMessage, Outbox
from hardware.bridge.workers import (
    CallKeypadWorker,
    DeviceWorker,
    LedState,
    LedWorker,
    PrinterWorker,
    RatingKeypadWorker,
    build_keypad,
)
from hardware.device_config import DeviceConfig, DeviceConfigError
from hardware.drivers.link import FramedLink
from hardware.printing.ticket import TicketRenderer
from hardware.transport import Port, SerialTransport, printer_transport_for

logger = logging.getLogger(__name__)

HELLO_TIMEOUT_S = 10.0
CONNECT_WAIT_S = 5.0
STATUS_LEVELS = {"online": logging.INFO}


@dataclass
class BridgeConfig:
    """Everything the bridge needs: where the server is, its key, its devices, and its timing."""

    server_url: str
    key: str
    devices: list[DeviceConfig]
    ack_timeout_s: float = 5.0
    reconnect_initial_s: float = 0.5
    reconnect_max_s: float = 2.0
    refused_initial_s: float = 2.0
    refused_max_s: float = 30.0
    reply_timeout_s: float = 0.25
    font_path: str | None = None
    bold_font_path: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)


class Bridge:
    """Runs the server connection loop in `run()` (blocking) until `stop()`; workers run in their threads."""

    def __init__(self, config: BridgeConfig) -> None:
        self.config = config
        self.stopping = threading.Event()
        self.outbox = Outbox(self._send_with_ack, ack_timeout=config.ack_timeout_s)
        self.connected = threading.Event()
        self.hello_done = threading.Event()
        self._disconnected = threading.Event()
        self._generation = 0
        self._connection_state = ""
        self._last_connect_error: Any = None
        self._counter_status: dict[int, str] = {}
        self._accepted_devices: list[str] = []
        self._emit_lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False, handle_sigint=False, logger=False, engineio_logger=False)
        self._register_handlers()
        self.workers: dict[str, DeviceWorker] = {}
        self._build_workers()

    # --- devices ---------------------------------------------------------------------------------

    def _build_workers(self) -> None:
        roles = [device.role for device in self.config.devices]
        duplicates = {role for role in roles if roles.count(role) > 1}
        if duplicates:
            raise DeviceConfigError(f"devices configured twice: {', '.join(sorted(duplicates))}")
        transports: dict[str, Port] = {}
        links: dict[str, FramedLink] = {}
        exclusive: dict[str, str] = {}
        renderer: TicketRenderer | None = None
        for device in self.config.devices:
            shared_framed = device.kind in ("led", "rating-keypad", "call-keypad") and device.mode == "framed"
            owner = exclusive.get(device.url)
            if owner or (not shared_framed and device.url in transports):
                raise DeviceConfigError(f"{device.role} and {owner or 'another device'} cannot share {device.url}: "
                                        "only framed devices share a (multi-drop) line")
            if device.url not in transports:
                try:
                    transports[device.url] = (printer_transport_for(device.url, device.baud)
                                              if device.kind == "printer"
                                              else SerialTransport(device.url, baudrate=device.baud, timeout=0.1))
                except ValueError as error:
                    raise DeviceConfigError(f"{device.role}: {error}") from error
            transport = transports[device.url]
            if not shared_framed:
                exclusive[device.url] = device.role
            link = None
            if shared_framed:
                assert isinstance(transport, SerialTransport)
                link = links.setdefault(device.url, FramedLink(transport, reply_timeout=self.config.reply_timeout_s))
            worker: DeviceWorker
            if device.kind == "printer":
                if renderer is None:
                    renderer = TicketRenderer(self.config.font_path, self.config.bold_font_path)
                worker = PrinterWorker(device, self, transport, renderer)
            elif device.kind == "led":
                assert link is not None
                worker = LedWorker(device, self, link)
            elif device.kind == "rating-keypad":
                worker = RatingKeypadWorker(device, self, transport, build_keypad(device, transport, link))
            else:
                worker = CallKeypadWorker(device, self, transport, build_keypad(device, transport, link))
            self.workers[device.role] = worker

    def report_status(self, device: str, status: str, message: str) -> None:
        """A worker's device changed state: log it once and tell the server (coalesced, acknowledged)."""
        level = STATUS_LEVELS.get(status, logging.WARNING)
        logger.log(level, "device %s is %s%s", device, status, f": {message}" if message else "")
        self._queue_status(device, status, message)

    def _queue_status(self, device: str, status: str, message: str) -> None:
        payload = {"device": device, "status": status, "message": message}
        self.outbox.put(OutgoingMessage("device_status", payload, replace_key=f"device_status:{device}"))

    def counter_status(self, counter_id: int) -> str | None:
        """The counter's status from the last snapshot or counter_status event."""
        return self._counter_status.get(counter_id)

    def _worker(self, kind: str, number: Any) -> DeviceWorker | None:
        try:
            return self.workers.get(f"{kind}:{int(number)}")
        except (TypeError, ValueError):
            return None

    # --- server events ---------------------------------------------------------------------------

    def _register_handlers(self) -> None:
        handlers: dict[str, Callable[..., Any]] = {
            "connect": self._on_connect,
            "disconnect": self._on_disconnect,
            "connect_error": self._on_connect_error,
            "snapshot": self._on_snapshot,
            "print_job": self._on_print_job,
            "ticket_called": lambda data: self._on_ticket_shown(data, flash=False),
            "ticket_recalled": lambda data: self._on_ticket_shown(data, flash=True),
            "ticket_finished": self._on_ticket_left,
            "ticket_skipped": self._on_ticket_left,
            "ticket_transferred": self._on_ticket_left,
            "counter_status": self._on_counter_status,
            "rating_requested": self._on_rating_requested,
            "rating_closed": self._on_rating_closed,
        }
        for event, handler in handlers.items():
            self.sio.on(event, handler)

    def _on_connect(self) -> None:
        self._disconnected.clear()
        self.connected.set()

    def _on_disconnect(self, reason: Any = None) -> None:
        self.connected.clear()
        self.hello_done.clear()
        self.outbox.set_connected(False)
        self._generation += 1
        self._disconnected.set()
        logger.debug("disconnected from the server: %s", reason)

    def _on_connect_error(self, data: Any = None) -> None:
        self._last_connect_error = data

    def _on_snapshot(self, data: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(data, dict):
            return {"ok": False}
        sequence = data.get("seq")
        for counter in data.get("counters") or []:
            if not isinstance(counter, dict) or "id" not in counter:
                continue
            counter_id = int(counter["id"])
            status = str(counter.get("status") or "")
            self._counter_status[counter_id] = status
            worker = self._worker("led", counter_id)
            if isinstance(worker, LedWorker):
                ticket = counter.get("current_ticket")
                if ticket and status == "open" and ticket.get("number") is not None:
                    state = LedState("number", str(ticket["number"]), ticket.get("id"))
                else:
                    state = LedState("blank")
                worker.update(state, sequence)
        return {"ok": True}

    def _on_print_job(self, data: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(data, dict) or "job_id" not in data:
            logger.warning("ignoring a print job without job_id: %r", data)
            return {"ok": False}
        worker = self._worker("printer", data.get("kiosk_id"))
        if not isinstance(worker, PrinterWorker):
            logger.warning("print job %s for kiosk %s: no printer configured", data.get("job_id"), data.get("kiosk_id"))
            self.outbox.put(OutgoingMessage("print_result", {
                "job_id": data["job_id"], "ok": False, "error": "no_printer",
                "message": f"Không có máy in cho ki-ốt {data.get('kiosk_id')}"}))
            return {"ok": False, "error": "no_printer"}
        worker.submit(data)
        return {"ok": True}

    def _on_ticket_shown(self, data: dict[str, Any], flash: bool) -> None:
        if not isinstance(data, dict):
            return
        worker = self._worker("led", data.get("counter_id"))
        if isinstance(worker, LedWorker) and data.get("number") is not None:
            worker.update(LedState("flash" if flash else "number", str(data["number"]), data.get("id")),
                          data.get("seq"))

    def _on_ticket_left(self, data: dict[str, Any]) -> None:
        if not isinstance(data, dict):
            return
        worker = self._worker("led", data.get("counter_id"))
        if isinstance(worker, LedWorker):
            ticket_id = data.get("id")
            if ticket_id is None:
                return
            worker.update(LedState("blank"), data.get("seq"), only_if_ticket=int(ticket_id))

    def _on_counter_status(self, data: dict[str, Any]) -> None:
        if not isinstance(data, dict) or data.get("counter_id") is None:
            return
        counter_id = int(data["counter_id"])
        status = str(data.get("status") or "")
        self._counter_status[counter_id] = status
        worker = self._worker("led", counter_id)
        if isinstance(worker, LedWorker) and status in ("paused", "closed"):
            worker.update(LedState("blank"), data.get("seq"))

    def _on_rating_requested(self, data: dict[str, Any]) -> None:
        if not isinstance(data, dict):
            return
        worker = self._worker("rating-keypad", data.get("counter_id"))
        if isinstance(worker, RatingKeypadWorker):
            window_s = int(data.get("window_s") or 30)
            worker.open_window(data.get("ticket_id"), data.get("token"), str(data.get("number") or ""), window_s)

    def _on_rating_closed(self, data: dict[str, Any]) -> None:
        if not isinstance(data, dict):
            return
        worker = self._worker("rating-keypad", data.get("counter_id"))
        if isinstance(worker, RatingKeypadWorker):
            ticket_id = data.get("ticket_id")
            worker.close_window(int(ticket_id) if ticket_id is not None else None)

    # --- sending ---------------------------------------------------------------------------------

    def _send_with_ack(self, event: str, payload: dict[str, Any], timeout: float) -> Any:
        """Emit `event` and return the server's acknowledgement; NotDelivered if the connection drops first."""
        generation = self._generation
        if not self.connected.is_set():
            raise NotDelivered("not connected")
        answered = threading.Event()
        answers: list[tuple[Any, ...]] = []

        def on_ack(*arguments: Any) -> None:
            answers.append(arguments)
            answered.set()

        try:
            with self._emit_lock:
                self.sio.emit(event, payload, callback=on_ack)
        except socketio.exceptions.SocketIOError as error:
            raise NotDelivered(str(error)) from error
        deadline = time.monotonic() + timeout
        while not answered.wait(0.05):
            if generation != self._generation or not self.connected.is_set():
                raise NotDelivered("connection lost before the acknowledgement")
            if time.monotonic() >= deadline:
                raise NotDelivered(f"no acknowledgement within {timeout:.0f} s")
        arguments = answers[0]
        return arguments[0] if len(arguments) == 1 else (list(arguments) or None)

    # --- the connection loop ---------------------------------------------------------------------

    def _log_connection(self, state: str, level: int, message: str, *arguments: Any) -> None:
        """Log a connection state once, not at every retry."""
        if state != self._connection_state:
            self._connection_state = state
            logger.log(level, message, *arguments)

    def _hello(self) -> bool:
        devices = list(self.workers)
        try:
            answer = self._send_with_ack("bridge_hello", {"devices": devices}, HELLO_TIMEOUT_S)
        except NotDelivered as error:
            logger.warning("bridge_hello was not acknowledged: %s", error)
            return False
        if not isinstance(answer, dict) or not answer.get("ok"):
            self._log_connection("hello-refused", logging.ERROR, "the server refused bridge_hello: %r", answer)
            return False
        self._accepted_devices = list(answer.get("accepted") or [])
        for rejected in answer.get("rejected") or []:
            if isinstance(rejected, dict):
                logger.warning("the server rejected device %s: %s %s", rejected.get("device"),
                               rejected.get("error"), rejected.get("message"))
        return True

    def run(self) -> None:
        """Start the workers and keep a server connection until `stop()`; then shut everything down."""
        for worker in self.workers.values():
            worker.start()
        self.outbox.start()
        backoff = Backoff(initial=self.config.reconnect_initial_s, maximum=self.config.reconnect_max_s)
        refused_backoff = Backoff(initial=self.config.refused_initial_s, maximum=self.config.refused_max_s)
        try:
            while not self.stopping.is_set():
                self._last_connect_error = None
                try:
                    self.sio.connect(self.config.server_url, auth={"token": self.config.key},
                                     transports=["websocket"], wait_timeout=CONNECT_WAIT_S,
                                     headers=self.config.extra_headers)
                except socketio.exceptions.ConnectionError as error:
                    if self._last_connect_error is not None and "namespace" in str(error):
                        self._log_connection("refused", logging.ERROR,
                                             "the server %s refused the bridge key: %s (check --key); retrying",
                                             self.config.server_url, self._last_connect_error)
                        self.stopping.wait(refused_backoff.next_delay())
                    else:
                        self._log_connection("unreachable", logging.WARNING,
                                             "server %s unreachable: %s; retrying", self.config.server_url, error)
                        self.stopping.wait(backoff.next_delay())
                    continue
                if not self._hello():
                    self.sio.disconnect()
                    self.stopping.wait(backoff.next_delay())
                    continue
                backoff.reset()
                refused_backoff.reset()
                self._log_connection("connected", logging.INFO, "connected to %s with %d devices",
                                     self.config.server_url, len(self.workers))
                for worker in self.workers.values():
                    if isinstance(worker, LedWorker):
                        worker.reset_sequence()
                    if worker.status is not None:
                        self._queue_status(worker.role, worker.status, worker.status_message)
                self.hello_done.set()
                self.outbox.set_connected(True)
                while not self.stopping.is_set() and not self._disconnected.wait(0.2):
                    pass
                self.hello_done.clear()
                self.outbox.set_connected(False)
                if not self.stopping.is_set():
                    self._log_connection("lost", logging.WARNING, "lost the connection to %s; reconnecting",
                                         self.config.server_url)
        finally:
            self._shutdown()

    def stop(self) -> None:
        """Ask `run()` to return (safe from a signal handler or another thread)."""
        self.stopping.set()

    def _shutdown(self) -> None:
        logger.info("bridge stopping")
        self.outbox.set_connected(False)
        self.outbox.stop()
        if self.sio.connected:
            # The Socket.IO goodbye is sent at once; waiting for the websocket's closing handshake is
            # capped, so an unresponsive server cannot hold the shutdown.
            closing = threading.Thread(target=self.sio.disconnect, name="bridge-disconnect", daemon=True)
            closing.start()
            closing.join(timeout=1.0)
        for worker in self.workers.values():
            worker.stop()
        for worker in self.workers.values():
            if worker.is_alive():
                worker.join(timeout=3)
        for worker in self.workers.values():
            worker.transport.close()
        self.outbox.join(timeout=3)
