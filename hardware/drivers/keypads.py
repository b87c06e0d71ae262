"""The rating keypad and the clerk call keypad, in framed mode (queued, acknowledged events) or raw mode.

Framed keypads keep each press in their own queue until the host acknowledges it; the host reads a press,
hands it to the bridge's outbox, and only then acknowledges it. Raw keypads send one byte per key and
cannot repeat a byte the host missed.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

from hardware.drivers.link import FramedLink
from hardware.errors import ProtocolError
from hardware.protocol import messages
from hardware.protocol.framing import Frame
from hardware.protocol.messages import CALL_KEY_ACTIONS, Command, KeyEvent, parse_event
from hardware.protocol.raw_keys import RawKeyDecoder
from hardware.transport import SerialTransport

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeyPress:
    """A press read from a keypad: its meaning (score 1..5 or an action word) and when it happened."""

    meaning: int | str
    pressed_monotonic: float
    pressed_at_epoch: float
    event: KeyEvent | None = None  # the frame's event in framed mode, to acknowledge


class Keypad(Protocol):
    """What a keypad worker needs from either mode."""

    def read_presses(self, timeout: float) -> list[KeyPress]:
        """Presses that arrived within `timeout` (not yet acknowledged in framed mode)."""
        ...

    def acknowledge(self, press: KeyPress) -> None:
        """The press is safely in the bridge's outbox: the keypad may forget it."""
        ...


class FramedKeypad:
    """A framed keypad at `address`: polled for events, each acknowledged after the host stored it."""

    def __init__(self, link: FramedLink, address: int, event_command: Command) -> None:
        self.link = link
        self.address = address
        self.event_command = event_command
        self._last_accepted: tuple[int, int] | None = None  # (sequence, key) of the last acknowledged event

    def read_presses(self, timeout: float) -> list[KeyPress]:
        """Poll once (`timeout` is for the raw mode's read); an event that repeats the last acknowledged one (our ACK was lost) is re-acknowledged."""
        reply = self.link.poll(self.address)
        if reply.command == Command.DEVICE_ACK:
            return []
        event = parse_event(reply)
        if event.command != self.event_command:
            raise ProtocolError(f"keypad {self.address} sent event 0x{event.command:02X}, expected "
                                f"0x{self.event_command:02X}")
        if self._last_accepted == (event.sequence, event.key):
            logger.debug("keypad %d repeated event %d: acknowledging again", self.address, event.sequence)
            self.link.acknowledge(self.address, event.sequence)
            return []
        now_monotonic, now_epoch = time.monotonic(), time.time()
        return [KeyPress(self._meaning(event), now_monotonic - event.age_s, now_epoch - event.age_s, event)]

    def acknowledge(self, press: KeyPress) -> None:
        """Send the ACK for `press`; the keypad drops it and offers its next event."""
        if press.event is None:
            return
        self._last_accepted = (press.event.sequence, press.event.key)
        self.link.acknowledge(self.address, press.event.sequence)

    def _meaning(self, event: KeyEvent) -> int | str:
        if event.command == Command.RATING_EVENT:
            return event.key
        return CALL_KEY_ACTIONS[messages.CallKey(event.key)]


class RawKeypad:
    """A one-byte-per-key keypad: bytes are turned into meanings by a key map."""

    def __init__(self, transport: SerialTransport, decoder: RawKeyDecoder) -> None:
        self.transport = transport
        self.decoder = decoder

    def read_presses(self, timeout: float) -> list[KeyPress]:
        """Keys received within `timeout`."""
        data = self.transport.read(timeout=timeout)
        if not data:
            return []
        now_monotonic, now_epoch = time.monotonic(), time.time()
        return [KeyPress(meaning, now_monotonic, now_epoch) for meaning in self.decoder.feed(data)]

    def acknowledge(self, press: KeyPress) -> None:
        """Nothing to tell a raw keypad."""


class FramedRatingKeypad(FramedKeypad):
    """A framed rating keypad: opens and closes its rating window, reports scores."""

    def __init__(self, link: FramedLink, address: int = 1) -> None:
        super().__init__(link, address, Command.RATING_EVENT)

    def open_window(self, window_s: int, label: str = "") -> None:
        """Light the keys for `window_s` seconds; `label` (the ticket number) shows on its display if any."""
        self._expect_ack(self.link.request(messages.open_rating(self.address, self.link.next_sequence(),
                                                                window_s, label)))

    def close_window(self) -> None:
        """Stop accepting a score."""
        self._expect_ack(self.link.request(messages.close_rating(self.address, self.link.next_sequence())))

    def _expect_ack(self, reply: Frame) -> None:
        if reply.command != Command.DEVICE_ACK:
            raise ProtocolError(f"keypad {self.address} answered 0x{reply.command:02X} instead of ACK")


class FramedCallKeypad(FramedKeypad):
    """A framed clerk call keypad: reports action keys."""

    def __init__(self, link: FramedLink, address: int = 1) -> None:
        super().__init__(link, address, Command.CALL_KEY_EVENT)
