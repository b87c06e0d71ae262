"""Simulated devices on pty pairs: a printer, an LED display, a rating keypad and a call keypad.

Each behaves as the real device does on its serial line (ESC/POS with DLE EOT status for the printer,
docs/protocol.md for the others), and exposes a Python API for tests and the `python -m hardware.sim`
control commands: press keys, take the paper out, unplug, inject garbage.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hardware.printing.escpos_reader import save_preview
from hardware.protocol import messages
from hardware.protocol.framing import BROADCAST_ADDRESS, ESCAPE, FLAG, Frame, FrameDecoder, encode_frame
from hardware.protocol.messages import ACTION_CALL_KEYS, CallKey, Command, NakReason
from hardware.protocol.raw_keys import DEFAULT_CALL_KEYMAP, DEFAULT_RATING_KEYMAP
from hardware.sim.pty_port import PtyPort

logger = logging.getLogger(__name__)

GS, DLE, EOT = 0x1D, 0x10, 0x04
UNSOLICITED_REPEAT_S = 0.5
MAX_QUEUED_EVENTS = 16


class SimulatedDevice:
    """Base of every simulated device: a pty port, a condition to wait on, plug/unplug."""

    kind = "device"

    def __init__(self, role: str, link_path: Path | str | None = None) -> None:
        self.role = role
        self.port = PtyPort(self._receive, link_path=link_path, name=role, on_idle=self._idle)
        self.changed = threading.Condition()
        self.received_bytes = 0

    @property
    def path(self) -> str:
        """The path the bridge opens for this device."""
        return self.port.path

    def start(self) -> SimulatedDevice:
        """Create the pty pair and start answering."""
        self.port.plug()
        return self

    def stop(self) -> None:
        """Close the pty pair for good."""
        self.port.unplug()

    def unplug(self) -> None:
        """Pull the cable: the host's port fails, the path disappears."""
        self.port.unplug()
        self._notify()

    def plug(self) -> None:
        """Plug back in on a new pty pair behind the same path."""
        self.port.plug()
        self._notify()

    def send_raw(self, data: bytes) -> None:
        """Put arbitrary bytes on the line towards the host (noise, corrupted frames)."""
        self.port.write(data)

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Block until `predicate()` is true (checked at every state change) or `timeout` passes."""
        with self.changed:
            return self.changed.wait_for(predicate, timeout=timeout)

    def describe(self) -> str:
        """A one-line human description of the device's state."""
        return f"{self.role} {'plugged' if self.port.plugged else 'unplugged'}"

    def _notify(self) -> None:
        with self.changed:
            self.changed.notify_all()

    def _receive(self, data: bytes) -> None:
        self.received_bytes += len(data)

    def _idle(self) -> None:
        """Called between reads: timers (blinking, rating window, unsolicited repeats)."""


class SimulatedPrinter(SimulatedDevice):
    """An ESC/POS printer: keeps what it printed (one entry per cut), answers DLE EOT, can run out of paper."""

    kind = "printer"

    def __init__(self, role: str = "printer:1", link_path: Path | str | None = None,
                 width_dots: int = 576, print_dir: Path | str | None = None) -> None:
        super().__init__(role, link_path)
        self.width_dots = width_dots
        self.print_dir = Path(print_dir) if print_dir else None
        self.has_paper = True
        self.cover_open = False
        self.responding = True
        self.tickets: list[bytes] = []
        self.discarded_bytes = 0
        self.status_queries = 0
        self._current = bytearray()
        self._pending = bytearray()  # bytes of a command not complete yet
        self._skip = 0  # bytes of image / 2D code data still to pass through untouched
        self._saved = self._last_saved_number()

    def set_paper(self, present: bool) -> None:
        """Load (True) or run out of (False) paper."""
        self.has_paper = present
        logger.info("%s paper %s", self.role, "loaded" if present else "out")
        self._notify()

    def set_responding(self, responding: bool) -> None:
        """A printer that is powered off behind a live adapter does not answer status requests."""
        self.responding = responding
        self._notify()

    def wait_for_tickets(self, count: int, timeout: float) -> bool:
        """True once `count` tickets were cut."""
        return self.wait_until(lambda: len(self.tickets) >= count, timeout)

    def describe(self) -> str:
        """Paper, tickets printed, plugged."""
        return (f"{super().describe()}, paper {'in' if self.has_paper else 'out'}, "
                f"{len(self.tickets)} tickets printed")

    def _status_byte(self, function: int) -> int:
        base = 0x12
        if function == 1:
            return base | (0x08 if (not self.has_paper or self.cover_open) else 0)
        if function == 2:
            return base | (0x20 if not self.has_paper else 0) | (0x04 if self.cover_open else 0)
        if function == 3:
            return base
        if function == 4:
            return base | (0x60 if not self.has_paper else 0)
        return base

    def _receive(self, data: bytes) -> None:
        super()._receive(data)
        self._pending += data
        index = 0
        pending = self._pending
        while index < len(pending):
            if self._skip:
                taken = min(self._skip, len(pending) - index)
                self._keep(pending[index : index + taken])
                self._skip -= taken
                index += taken
                continue
            byte = pending[index]
            if byte == DLE:
                if index + 3 > len(pending):
                    break
                if pending[index + 1] == EOT:
                    self._answer_status(pending[index + 2])
                    index += 3
                    continue
            elif byte == GS and index + 1 < len(pending) and pending[index + 1] == ord("v"):
                if index + 8 > len(pending):
                    break
                width_bytes = pending[index + 4] | pending[index + 5] << 8
                height = pending[index + 6] | pending[index + 7] << 8
                self._keep(pending[index : index + 8])
                self._skip = width_bytes * height
                index += 8
                continue
            elif byte == GS and index + 1 < len(pending) and pending[index + 1] == ord("("):
                if index + 5 > len(pending):
                    break
                self._keep(pending[index : index + 5])
                self._skip = pending[index + 3] | pending[index + 4] << 8
                index += 5
                continue
            elif byte == GS and index + 1 < len(pending) and pending[index + 1] == ord("V"):
                if index + 3 > len(pending):
                    break
                length = 4 if pending[index + 2] in (65, 66, 97, 98, 103, 104) else 3
                if index + length > len(pending):
                    break
                self._keep(pending[index : index + length])
                index += length
                self._cut()
                continue
            elif byte == GS and index + 1 >= len(pending):
                break
            self._keep(pending[index : index + 1])
            index += 1
        del pending[:index]

    @property
    def _file_prefix(self) -> str:
        return f"{self.role.replace(':', '-')}-"

    def _last_saved_number(self) -> int:
        """The highest number among earlier previews in print_dir: a restarted simulator continues after
        it and never overwrites what an earlier run printed."""
        if self.print_dir is None or not self.print_dir.is_dir():
            return 0
        numbers = [int(path.stem[len(self._file_prefix):]) for path in self.print_dir.glob(f"{self._file_prefix}*.png")
                   if path.stem[len(self._file_prefix):].isdigit()]
        return max(numbers, default=0)

    def _keep(self, data: bytes | bytearray) -> None:
        if self.has_paper and not self.cover_open:
            self._current += data
        else:
            self.discarded_bytes += len(data)

    def _answer_status(self, function: int) -> None:
        self.status_queries += 1
        if self.responding:
            self.port.write(bytes((self._status_byte(function),)))

    def _cut(self) -> None:
        if not self._current:
            return
        ticket = bytes(self._current)
        self._current.clear()
        self.tickets.append(ticket)
        logger.info("%s printed ticket %d (%d bytes)", self.role, len(self.tickets), len(ticket))
        if self.print_dir:
            self._saved += 1
            path = self.print_dir / f"{self._file_prefix}{self._saved:04d}.png"
            save_preview(ticket, self.width_dots, path)
            logger.info("%s preview saved to %s", self.role, path)
        self._notify()


class SimulatedFramedDevice(SimulatedDevice):
    """A device speaking docs/protocol.md at `address`: decodes frames, ACKs/NAKs them, can be muted."""

    def __init__(self, role: str, link_path: Path | str | None = None, address: int = 1) -> None:
        super().__init__(role, link_path)
        self.address = address
        self.decoder = FrameDecoder()
        self.muted = False
        self.corrupt_replies = 0
        self.frames_received = 0

    @property
    def rejected_frames(self) -> int:
        """Frames dropped for bad CRC, framing or garbage."""
        return self.decoder.rejected

    def mute(self, muted: bool = True) -> None:
        """Stop (or resume) answering: the host sees a device that does not reply."""
        self.muted = muted

    def corrupt_next_replies(self, count: int) -> None:
        """Send the next `count` replies with a broken CRC (the host must retry)."""
        self.corrupt_replies = count

    def reply(self, frame: Frame) -> None:
        """Send a frame to the host (unless muted), corrupting it when asked to."""
        if self.muted:
            return
        data = bytearray(encode_frame(frame))
        if self.corrupt_replies > 0:
            self.corrupt_replies -= 1
            corrupted = data[-2] ^ 0x01
            data[-2] = corrupted if corrupted not in (FLAG, ESCAPE) else data[-2] ^ 0x02
        self.port.write(bytes(data))

    def _receive(self, data: bytes) -> None:
        super()._receive(data)
        for frame in self.decoder.feed(data):
            if frame.from_device or frame.address not in (self.address, BROADCAST_ADDRESS):
                continue
            self.frames_received += 1
            answer = self.handle_frame(frame)
            if answer is not None and frame.address != BROADCAST_ADDRESS:
                self.reply(answer)
            self._notify()

    def handle_frame(self, frame: Frame) -> Frame | None:
        """Carry out a host frame; return the answer (None: no answer)."""
        if frame.command == Command.POLL:
            return messages.device_ack(self.address, frame.sequence)
        return messages.device_nak(self.address, frame.sequence, NakReason.UNKNOWN_COMMAND)


class SimulatedLedDisplay(SimulatedFramedDevice):
    """An LED counter display: remembers what it shows and logs every change."""

    kind = "led"

    def __init__(self, role: str = "led:1", link_path: Path | str | None = None, address: int = 1) -> None:
        super().__init__(role, link_path, address)
        self.text = ""
        self.flashing = False
        self.brightness = 15
        self.history: list[tuple[str, str]] = []

    def power_cycle(self) -> None:
        """Lose power and come back: the display is blank until the host tells it again."""
        self.text, self.flashing = "", False
        self.history.append(("blank", ""))
        self._notify()

    def wait_for_text(self, text: str, timeout: float) -> bool:
        """True once the display shows `text` ("" = blank)."""
        return self.wait_until(lambda: self.text == text, timeout)

    def describe(self) -> str:
        """What the display shows."""
        shown = f"shows {self.text!r}" if self.text else "blank"
        return f"{super().describe()}, {shown}{' (flashing)' if self.flashing else ''}, brightness {self.brightness}"

    def handle_frame(self, frame: Frame) -> Frame | None:
        """LED commands; anything else NAKed."""
        command, payload = frame.command, frame.payload
        try:
            if command == Command.LED_SHOW_NUMBER:
                self._show("number", payload.decode("ascii"))
            elif command == Command.LED_FLASH_NUMBER:
                if len(payload) < 2:
                    raise ValueError("a flash needs a blink count and a number")
                self._show("flash", payload[1:].decode("ascii"))
            elif command == Command.LED_BLANK:
                self._show("blank", "")
            elif command == Command.LED_SET_BRIGHTNESS:
                if len(payload) != 1 or payload[0] > messages.MAX_BRIGHTNESS:
                    return messages.device_nak(self.address, frame.sequence, NakReason.OUT_OF_RANGE)
                self.brightness = payload[0]
            elif command == Command.LED_SHOW_TEXT:
                self._show("text", payload.decode("ascii"))
            else:
                return super().handle_frame(frame)
        except (UnicodeDecodeError, ValueError):
            return messages.device_nak(self.address, frame.sequence, NakReason.BAD_PAYLOAD)
        return messages.device_ack(self.address, frame.sequence)

    def _show(self, mode: str, text: str) -> None:
        changed = (mode, text) != (self.history[-1] if self.history else ("blank", ""))
        self.text, self.flashing = text, mode == "flash"
        self.history.append((mode, text))
        if changed:
            logger.info("%s %s", self.role, f"{mode} {text}" if text else "blank")


@dataclass
class QueuedEvent:
    """A key press waiting in a keypad's queue until the host acknowledges it."""

    sequence: int
    key: int
    pressed_monotonic: float


class SimulatedKeypad(SimulatedFramedDevice):
    """Common part of both keypads: framed (queued events) or raw (one byte per key) mode."""

    event_command = Command.RATING_EVENT

    def __init__(self, role: str, link_path: Path | str | None = None, address: int = 1, mode: str = "framed",
                 keymap: Mapping[int, Any] | None = None, unsolicited: bool = False) -> None:
        super().__init__(role, link_path, address)
        if mode not in ("framed", "raw"):
            raise ValueError(f"keypad mode {mode!r} is not framed or raw")
        self.mode = mode
        self.keymap = dict(keymap or {})
        self.unsolicited = unsolicited
        self.events: deque[QueuedEvent] = deque()
        self.acknowledged: list[QueuedEvent] = []
        # Devices start their event sequence at a random value, so a host does not mistake a fresh
        # event after a power cycle for the repeat of an old one (docs/protocol.md).
        self._next_sequence = int(time.monotonic_ns()) % 255 + 1
        self._last_unsolicited = 0.0
        self.acks_to_ignore = 0

    def _queue_key(self, key: int) -> bool:
        if self.mode == "raw":
            raw = [byte for byte, meaning in self.keymap.items() if meaning == self._raw_meaning(key)]
            if not raw:
                raise ValueError(f"no raw key byte for {key}")
            sent = self.port.write(bytes((raw[0],)))
            self._notify()
            return sent
        if len(self.events) >= MAX_QUEUED_EVENTS:
            logger.warning("%s queue full: press refused", self.role)
            return False
        sequence = self._next_sequence
        self._next_sequence = self._next_sequence % 255 + 1
        self.events.append(QueuedEvent(sequence, key, time.monotonic()))
        self._notify()
        return True

    def _raw_meaning(self, key: int) -> Any:
        return key

    def pending_events(self) -> int:
        """Presses not acknowledged by the host yet."""
        return len(self.events)

    def wait_until_acknowledged(self, timeout: float) -> bool:
        """True once every queued press was acknowledged."""
        return self.wait_until(lambda: not self.events, timeout)

    def _event_frame(self, event: QueuedEvent) -> Frame:
        age = time.monotonic() - event.pressed_monotonic
        if self.event_command == Command.RATING_EVENT:
            return messages.rating_event(self.address, event.sequence, event.key, age)
        return messages.call_key_event(self.address, event.sequence, CallKey(event.key), age)

    def handle_frame(self, frame: Frame) -> Frame | None:
        """POLL answers the oldest event; ACK drops it."""
        if self.mode == "raw":
            return None  # a raw keypad does not understand frames at all
        if frame.command == Command.POLL:
            if self.events:
                return self._event_frame(self.events[0])
            return messages.device_ack(self.address, frame.sequence)
        if frame.command == Command.ACK:
            if self.acks_to_ignore > 0:
                self.acks_to_ignore -= 1  # as if the ACK was lost on the line
                return None
            if self.events and self.events[0].sequence == frame.sequence:
                self.acknowledged.append(self.events.popleft())
            return None
        return super().handle_frame(frame)

    def _idle(self) -> None:
        if self.mode == "framed" and self.unsolicited and self.events and not self.muted:
            now = time.monotonic()
            if now - self._last_unsolicited >= UNSOLICITED_REPEAT_S:
                self._last_unsolicited = now
                self.reply(self._event_frame(self.events[0]))


class SimulatedRatingKeypad(SimulatedKeypad):
    """A citizen's rating keypad: scores only while its window is open (framed mode), any time in raw mode."""

    kind = "rating-keypad"
    event_command = Command.RATING_EVENT

    def __init__(self, role: str = "rating-keypad:1", link_path: Path | str | None = None, address: int = 1,
                 mode: str = "framed", keymap: Mapping[int, int] | None = None, unsolicited: bool = False) -> None:
        super().__init__(role, link_path, address, mode, keymap or DEFAULT_RATING_KEYMAP, unsolicited)
        self.window_closes_at: float | None = None
        self.label = ""
        self.windows_opened = 0

    @property
    def window_open(self) -> bool:
        """True while the keys are lit (framed mode)."""
        return self.window_closes_at is not None and time.monotonic() < self.window_closes_at

    def press(self, score: int) -> bool:
        """A citizen presses the key for `score`; False if the keypad refused it (window closed, queue full)."""
        if self.mode == "framed":
            if not self.window_open:
                logger.info("%s key %d ignored: no rating window open", self.role, score)
                return False
            self.window_closes_at = None  # one rating per window
        logger.info("%s pressed %d", self.role, score)
        return self._queue_key(score)

    def _idle(self) -> None:
        if self.window_closes_at is not None and time.monotonic() >= self.window_closes_at:
            self.window_closes_at = None
            logger.info("%s rating window timed out", self.role)
            self._notify()
        super()._idle()

    def wait_for_window(self, open_: bool, timeout: float) -> bool:
        """True once the window is open (or closed, with open_=False)."""
        return self.wait_until(lambda: self.window_open == open_, timeout)

    def describe(self) -> str:
        """Mode, window, queue."""
        window = f"window open for {self.label or 'a ticket'}" if self.window_open else "window closed"
        return f"{super().describe()}, {self.mode}, {window}, {len(self.events)} presses queued"

    def handle_frame(self, frame: Frame) -> Frame | None:
        """RATING_OPEN / RATING_CLOSE, then the common keypad frames."""
        if self.mode == "framed" and frame.command == Command.RATING_OPEN:
            if not frame.payload or frame.payload[0] == 0:
                return messages.device_nak(self.address, frame.sequence, NakReason.BAD_PAYLOAD)
            self.window_closes_at = time.monotonic() + frame.payload[0]
            self.label = frame.payload[1:].decode("ascii", errors="replace")
            self.windows_opened += 1
            logger.info("%s rating window open for %d s (%s)", self.role, frame.payload[0], self.label)
            return messages.device_ack(self.address, frame.sequence)
        if self.mode == "framed" and frame.command == Command.RATING_CLOSE:
            if self.window_closes_at is not None:
                logger.info("%s rating window closed", self.role)
            self.window_closes_at = None
            return messages.device_ack(self.address, frame.sequence)
        return super().handle_frame(frame)


class SimulatedCallKeypad(SimulatedKeypad):
    """A clerk's call keypad: call next, recall, skip, start, finish, pause, resume (and a pause toggle)."""

    kind = "call-keypad"
    event_command = Command.CALL_KEY_EVENT

    def __init__(self, role: str = "call-keypad:1", link_path: Path | str | None = None, address: int = 1,
                 mode: str = "framed", keymap: Mapping[int, str] | None = None, unsolicited: bool = False) -> None:
        super().__init__(role, link_path, address, mode, keymap or DEFAULT_CALL_KEYMAP, unsolicited)

    def press(self, action: str) -> bool:
        """The clerk presses the key of `action` (call_next, recall, skip, start, finish, pause, resume)."""
        if action not in ACTION_CALL_KEYS:
            raise ValueError(f"unknown call keypad action {action!r}")
        logger.info("%s pressed %s", self.role, action)
        return self._queue_key(ACTION_CALL_KEYS[action])

    def _raw_meaning(self, key: int) -> Any:
        return messages.CALL_KEY_ACTIONS[CallKey(key)]

    def describe(self) -> str:
        """Mode and queue."""
        return f"{super().describe()}, {self.mode}, {len(self.events)} presses queued"


class SimulatedBus:
    """An RS-485 multi-drop line: several framed devices at different addresses behind one pty pair.

    Every device hears every byte and answers only frames addressed to it, as on a real bus.
    """

    def __init__(self, devices: list[SimulatedFramedDevice], link_path: Path | str | None = None,
                 name: str = "bus") -> None:
        addresses = [device.address for device in devices]
        if len(set(addresses)) != len(addresses):
            raise ValueError(f"devices on one bus need distinct addresses, got {addresses}")
        self.devices = devices
        self.port = PtyPort(self._receive, link_path=link_path, name=name, on_idle=self._idle)
        for device in devices:
            device.port = self.port

    @property
    def path(self) -> str:
        """The path the host opens for the whole bus."""
        return self.port.path

    def start(self) -> SimulatedBus:
        """Create the pty pair."""
        self.port.plug()
        return self

    def stop(self) -> None:
        """Close the pty pair."""
        self.port.unplug()

    def _receive(self, data: bytes) -> None:
        for device in self.devices:
            device._receive(data)

    def _idle(self) -> None:
        for device in self.devices:
            device._idle()
