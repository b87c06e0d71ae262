"""One worker thread per device: it owns the device's health, retries, and the work the server sends it.

Each worker runs a supervisor loop: a fault of its device (port gone, no answer, garbage) marks the
device offline, waits with backoff and tries again; it never reaches the other devices or the bridge.
"""
from __future__ import annotations

import abc
import logging
import queue
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

import serial

from hardware.backoff import Backoff
from hardware.bridge.outbox import OutgoingMessage, Outbox
from hardware.device_config import DeviceConfig
from hardware.drivers.keypads import FramedCallKeypad, FramedRatingKeypad, Keypad, KeyPress, RawKeypad
from hardware.drivers.led import LedDisplay
from hardware.drivers.link import FramedLink
from hardware.drivers.printer import EscPosPrinter
from hardware.errors import (
    DeviceTimeout,
    HardwareError,
    NegativeAcknowledgement,
    PaperOut,
    PortUnavailable,
    PrinterError,
    PrinterOffline,
    ProtocolError,
)
from hardware.printing.ticket import TicketRenderer, profile_for_width
from hardware.protocol.raw_keys import (
    DEFAULT_CALL_KEYMAP,
    DEFAULT_RATING_KEYMAP,
    RawKeyDecoder,
    parse_call_keymap,
    parse_rating_keymap,
)
from hardware.transport import Port, SerialTransport

logger = logging.getLogger(__name__)

LED_HEARTBEAT_S = 2.0
PRINTER_STATUS_ONLINE_S = 2.0
PRINTER_STATUS_FAULT_S = 0.5
KEYPAD_POLL_S = 0.1
RAW_READ_S = 0.2
REMEMBERED_JOBS = 64


class BridgeContext(Protocol):
    """What workers need from the bridge."""

    outbox: Outbox

    def report_status(self, device: str, status: str, message: str) -> None:
        """A device's health changed (or was confirmed)."""
        ...

    def counter_status(self, counter_id: int) -> str | None:
        """The counter's last known status: open, paused, closed (None if unknown)."""
        ...


def iso_time(epoch: float) -> str:
    """ISO 8601 with offset (UTC) for a Unix time."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat(timespec="milliseconds")


class DeviceWorker(threading.Thread, abc.ABC):
    """Supervisor loop around `cycle()`; subclasses do one bounded piece of work per cycle."""

    def __init__(self, config: DeviceConfig, context: BridgeContext, transport: Port) -> None:
        super().__init__(name=f"device-{config.role}", daemon=True)
        self.config = config
        self.role = config.role
        self.context = context
        self.transport = transport
        self.status: str | None = None
        self.status_message = ""
        self.backoff = Backoff(initial=0.2, maximum=2.0)
        self.stopping = threading.Event()
        self.wake = threading.Event()

    def run(self) -> None:
        """Cycle until stopped; every fault becomes a status and a backoff, never the end of the thread."""
        while not self.stopping.is_set():
            try:
                self.cycle()
            except PortUnavailable as error:
                self.fault("offline", f"port unavailable: {error}")
            except DeviceTimeout as error:
                self.fault("offline", f"no answer: {error}")
            except (ProtocolError, NegativeAcknowledgement) as error:
                self.fault("error", f"protocol error: {error}")
            except Exception as error:  # supervisor loop: a bug in one device's code must not stop it
                message = f"unexpected failure: {error}"
                if (self.status, self.status_message) != ("error", message):
                    logger.exception("%s: unexpected failure", self.role)  # once, not at every retry
                self.fault("error", message)

    def stop(self) -> None:
        """Ask the loop to end and wake it."""
        self.stopping.set()
        self.wake.set()

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`, or less when woken by new work."""
        if self.wake.wait(seconds):
            self.wake.clear()

    def set_status(self, status: str, message: str = "") -> None:
        """Record the device's health and tell the bridge when it changed."""
        changed = status != self.status
        self.status, self.status_message = status, message
        if changed:
            self.context.report_status(self.role, status, message)

    def online(self, message: str = "") -> None:
        """The device just answered (or took bytes): healthy, and the next fault starts with a short backoff."""
        self.backoff.reset()
        self.set_status("online", message)

    def fault(self, status: str, message: str) -> None:
        """Mark the device faulty, forget what it was told (it is re-sent after recovery), back off."""
        self.set_status(status, message)
        self.after_fault()
        self.sleep(self.backoff.next_delay())

    def after_fault(self) -> None:
        """Hook: forget device-side state that must be sent again once the device is back."""

    @abc.abstractmethod
    def cycle(self) -> None:
        """One bounded piece of work."""


# --- printer -------------------------------------------------------------------------------------


class PrinterWorker(DeviceWorker):
    """Prints tickets for one kiosk and watches the printer's paper and online status.

    A printer whose status is not asked (mode none, or auto after silence) is `online` with the message
    "status unknown" while its port opens; nothing ever waits for its answer.
    """

    def __init__(self, config: DeviceConfig, context: BridgeContext, transport: Port,
                 renderer: TicketRenderer) -> None:
        super().__init__(config, context, transport)
        self.printer = EscPosPrinter(transport, status_mode=config.printer_status)
        self.renderer = renderer
        self.jobs: queue.Queue[dict[str, Any]] = queue.Queue()
        self._results: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._last_status_check = 0.0

    def submit(self, job: dict[str, Any]) -> None:
        """Queue a print job; its print_result goes to the outbox when done."""
        self.jobs.put(job)
        self.wake.set()

    def cycle(self) -> None:
        """Print the next job, or check the printer's status when it is time."""
        interval = PRINTER_STATUS_ONLINE_S if self.status == "online" else PRINTER_STATUS_FAULT_S
        job = self._next_job(max(0.0, self._last_status_check + interval - time.monotonic()))
        if job is not None:
            self._print(job)
            return
        if self.stopping.is_set() or time.monotonic() < self._last_status_check + interval:
            return
        self._last_status_check = time.monotonic()
        self.transport.check_present()
        self.transport.open()
        try:
            status = self.printer.status()
        except PrinterOffline as error:  # silent in escpos mode: off behind a live adapter, or status disabled
            self.fault("offline", str(error))
            return
        if not status.known:
            self.online(status.cause)
        elif status.word == "online":
            self.online()
        else:
            self.set_status(status.word, "no paper" if status.word == "paper_out" else status.cause or "offline")

    def _next_job(self, wait: float) -> dict[str, Any] | None:
        """The next queued job, waiting up to `wait` seconds (a new job or stop() cuts the wait short)."""
        try:
            return self.jobs.get_nowait()
        except queue.Empty:
            pass
        if wait > 0:
            self.sleep(wait)
        try:
            return self.jobs.get_nowait()
        except queue.Empty:
            return None

    def fault(self, status: str, message: str) -> None:
        """Faults of a printer are checked again soon (a job may be waiting)."""
        self._last_status_check = time.monotonic()
        super().fault(status, message)

    def _print(self, job: dict[str, Any]) -> None:
        job_id = int(job.get("job_id", 0))
        if job_id in self._results:
            logger.info("%s: job %d was already done, repeating its result", self.role, job_id)
            self._send_result(self._results[job_id])
            return
        result: dict[str, Any] = {"job_id": job_id, "ok": True, "error": None, "message": "đã in"}
        try:
            profile = profile_for_width(job.get("paper_width_mm") or self.config.paper_width_mm)
            data = self.renderer.render(job, profile)
            self.transport.open()
            self.printer.print_bytes(data)
            logger.info("%s: printed ticket %s (job %d, %d bytes)", self.role,
                        job.get("ticket", {}).get("number"), job_id, len(data))
            self.online("" if self.printer.status_mode == "escpos" else "status unknown")
        except PaperOut as error:
            result.update(ok=False, error="paper_out", message="Máy in hết giấy")
            self.set_status("paper_out", str(error))
        except (PrinterError, PortUnavailable) as error:
            result.update(ok=False, error="offline", message="Máy in không hoạt động")
            self.set_status("offline", str(error))
        except serial.SerialTimeoutException as error:
            self.transport.close()
            result.update(ok=False, error="timeout", message="Máy in không nhận dữ liệu")
            self.set_status("offline", f"write timeout: {error}")
        except (KeyError, TypeError, ValueError) as error:
            result.update(ok=False, error="invalid_job", message=f"Lệnh in không hợp lệ: {error}")
            logger.warning("%s: job %d cannot be rendered: %s", self.role, job_id, error)
        if not result["ok"]:
            logger.warning("%s: job %d failed: %s", self.role, job_id, result["error"])
        self._results[job_id] = result
        while len(self._results) > REMEMBERED_JOBS:
            self._results.popitem(last=False)
        self._send_result(result)

    def _send_result(self, result: dict[str, Any]) -> None:
        self.context.outbox.put(OutgoingMessage("print_result", dict(result)))


# --- LED display ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedState:
    """What a display should show: mode is number, flash or blank; ticket_id lets a finish blank it."""

    mode: str
    number: str = ""
    ticket_id: int | None = None


class LedWorker(DeviceWorker):
    """Keeps one counter display showing the desired state, re-sending it after every recovery."""

    def __init__(self, config: DeviceConfig, context: BridgeContext, link: FramedLink) -> None:
        super().__init__(config, context, link.transport)
        self.display = LedDisplay(link, config.address)
        self._lock = threading.Lock()
        self._desired = LedState("blank")
        self._desired_version = 1
        self._applied_version = 0
        self._last_sequence = -1
        self._last_contact = 0.0
        self._brightness_sent = False

    @property
    def desired(self) -> LedState:
        """The state the display should be in."""
        return self._desired

    def reset_sequence(self) -> None:
        """A new server connection: the next snapshot is authoritative whatever its seq."""
        with self._lock:
            self._last_sequence = -1

    def update(self, state: LedState, sequence: int | None, only_if_ticket: int | None = None) -> bool:
        """Ask for `state` unless an event newer than `sequence` was applied; True if it was taken."""
        with self._lock:
            if sequence is not None:
                if sequence < self._last_sequence:
                    return False
                self._last_sequence = sequence
            if only_if_ticket is not None and self._desired.ticket_id != only_if_ticket:
                return False
            if state == self._desired and state.mode != "flash":
                return True
            self._desired = state
            self._desired_version += 1
        self.wake.set()
        return True

    def cycle(self) -> None:
        """Send the desired state when it changed; POLL as a heartbeat otherwise."""
        with self._lock:
            state, version = self._desired, self._desired_version
        if version != self._applied_version:
            self.transport.open()
            self._apply(state)
            with self._lock:
                self._applied_version = version
                if self._desired.mode == "flash" and self._desired_version == version:
                    # Flashed once; after a recovery the display shows the number steadily.
                    self._desired = LedState("number", state.number, state.ticket_id)
            self._last_contact = time.monotonic()
            self.online()
            return
        if time.monotonic() - self._last_contact >= LED_HEARTBEAT_S:
            self.transport.open()
            self.display.heartbeat()
            self._last_contact = time.monotonic()
            self.online()
            return
        self.sleep(0.5)

    def _apply(self, state: LedState) -> None:
        if not self._brightness_sent and self.config.brightness is not None:
            self.display.set_brightness(self.config.brightness)
            self._brightness_sent = True
        if state.mode == "number":
            self.display.show_number(state.number)
        elif state.mode == "flash":
            self.display.flash_number(state.number)
        else:
            self.display.blank()
        logger.debug("%s now shows %s %s", self.role, state.mode, state.number)

    def after_fault(self) -> None:
        """Send the whole state again once the display answers."""
        self._applied_version = 0
        self._brightness_sent = False


# --- keypads -------------------------------------------------------------------------------------


@dataclass
class RatingWindow:
    """A rating request from the server, open on this counter's keypad until `closes_at` (monotonic)."""

    ticket_id: int | None
    token: str | None
    number: str
    window_s: int
    opened_at: float
    closes_at: float

    def covers(self, moment: float) -> bool:
        """True if a press at `moment` belongs to this window."""
        return self.opened_at - 0.5 <= moment <= self.closes_at + 0.5


class KeypadWorker(DeviceWorker):
    """Reads presses and hands each to the outbox before the keypad may forget it."""

    event_name = "key_press"

    def __init__(self, config: DeviceConfig, context: BridgeContext, transport: SerialTransport,
                 keypad: Keypad) -> None:
        super().__init__(config, context, transport)
        self.keypad = keypad
        self.framed = config.mode == "framed"

    def cycle(self) -> None:
        """Poll (framed) or read (raw) once; queue every press, then acknowledge it to the keypad."""
        self.transport.open()
        self.before_read()
        presses = self.keypad.read_presses(RAW_READ_S)
        self.online()
        for press in presses:
            self.context.outbox.put(self.message_for(press))
            self.keypad.acknowledge(press)
        if self.framed and not presses:
            self.sleep(KEYPAD_POLL_S)

    def before_read(self) -> None:
        """Hook: commands to send to the keypad before reading."""

    @abc.abstractmethod
    def message_for(self, press: KeyPress) -> OutgoingMessage:
        """The outbox message for one press."""

    def _log_answer(self, what: str) -> Any:
        def on_answer(answer: Any) -> None:
            if isinstance(answer, dict) and answer.get("ok"):
                logger.info("%s: %s accepted", self.role, what)
            else:
                error = answer.get("error") if isinstance(answer, dict) else answer
                message = answer.get("message") if isinstance(answer, dict) else ""
                logger.warning("%s: %s refused by the server: %s %s", self.role, what, error, message)
        return on_answer


class CallKeypadWorker(KeypadWorker):
    """The clerk's keypad: each press becomes a `key_press` for the counter."""

    def message_for(self, press: KeyPress) -> OutgoingMessage:
        """`key_press` with a fresh press_id; the pause/resume toggle resolved from the counter's status."""
        action = str(press.meaning)
        if action == "pause_resume":
            action = "resume" if self.context.counter_status(self.config.number) == "paused" else "pause"
        payload = {"press_id": str(uuid.uuid4()), "device": self.role, "counter_id": self.config.number,
                   "action": action, "pressed_at": iso_time(press.pressed_at_epoch)}
        logger.info("%s: %s pressed", self.role, action)
        return OutgoingMessage("key_press", payload, on_answer=self._log_answer(f"{action} ({payload['press_id']})"))


class RatingKeypadWorker(KeypadWorker):
    """The citizen's keypad: opens and closes its rating window, turns a press into `keypad_rating`."""

    def __init__(self, config: DeviceConfig, context: BridgeContext, transport: SerialTransport,
                 keypad: Keypad) -> None:
        super().__init__(config, context, transport, keypad)
        self._lock = threading.Lock()
        self._window: RatingWindow | None = None
        self._window_version = 0
        self._applied_window_version = 0

    @property
    def window(self) -> RatingWindow | None:
        """The current (or last) rating window."""
        return self._window

    def open_window(self, ticket_id: int | None, token: str | None, number: str, window_s: int) -> None:
        """A rating was requested for `ticket_id`: accept one score for `window_s` seconds."""
        now = time.monotonic()
        with self._lock:
            self._window = RatingWindow(ticket_id, token, number, window_s, now, now + window_s)
            self._window_version += 1
        self.wake.set()

    def close_window(self, ticket_id: int | None = None) -> None:
        """The server closed the rating (given, expired, or the next citizen came)."""
        with self._lock:
            window = self._window
            if window is None or (ticket_id is not None and window.ticket_id not in (None, ticket_id)):
                return
            window.closes_at = min(window.closes_at, time.monotonic())
            self._window_version += 1
        self.wake.set()

    def before_read(self) -> None:
        """Send a changed window to a framed keypad (open with the time left, or close)."""
        if not self.framed:
            return
        with self._lock:
            window, version = self._window, self._window_version
        if version == self._applied_window_version:
            return
        assert isinstance(self.keypad, FramedRatingKeypad)
        remaining = (window.closes_at - time.monotonic()) if window else 0
        if window is not None and remaining >= 1:
            self.keypad.open_window(int(remaining), window.number)
        else:
            self.keypad.close_window()
        self._applied_window_version = version

    def after_fault(self) -> None:
        """Send the window again once the keypad is back."""
        self._applied_window_version = 0

    def message_for(self, press: KeyPress) -> OutgoingMessage:
        """`keypad_rating` bound to the window the press fell in (ticket and token), or to none."""
        with self._lock:
            window = self._window
            if window is not None and window.covers(press.pressed_monotonic):
                ticket_id, token = window.ticket_id, window.token
                self._window = None  # one score per ticket; a framed keypad closed its window itself
            else:
                ticket_id, token = None, None
        score = int(press.meaning)
        payload = {"press_id": str(uuid.uuid4()), "device": self.role, "counter_id": self.config.number,
                   "ticket_id": ticket_id, "token": token, "score": score,
                   "pressed_at": iso_time(press.pressed_at_epoch)}
        logger.info("%s: score %d for ticket %s", self.role, score, ticket_id)
        return OutgoingMessage("keypad_rating", payload,
                               on_answer=self._log_answer(f"score {score} ({payload['press_id']})"))


def build_keypad(config: DeviceConfig, transport: SerialTransport, link: FramedLink | None) -> Keypad:
    """The keypad driver for `config`: framed over the shared link, or raw with its key map."""
    if config.mode == "framed":
        if link is None:
            raise HardwareError(f"{config.role}: a framed keypad needs a link")
        if config.kind == "rating-keypad":
            return FramedRatingKeypad(link, config.address)
        return FramedCallKeypad(link, config.address)
    if config.kind == "rating-keypad":
        keymap: dict[int, Any] = parse_rating_keymap(config.keymap) if config.keymap else dict(DEFAULT_RATING_KEYMAP)
    else:
        keymap = parse_call_keymap(config.keymap) if config.keymap else dict(DEFAULT_CALL_KEYMAP)
    return RawKeypad(transport, RawKeyDecoder(keymap))
