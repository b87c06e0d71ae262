"""Host side of the framed protocol on one port: request/reply with retries, polling, event acknowledgement.

One FramedLink serves every device on its port (one device point-to-point, or several on an RS-485
multi-drop bus); a lock makes each exchange atomic, so several device workers can share the bus.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from collections import defaultdict, deque

from hardware.errors import DeviceTimeout, NegativeAcknowledgement
from hardware.protocol.framing import Frame, FrameDecoder, encode_frame
from hardware.protocol.messages import Command, NakReason, acknowledge_event, poll
from hardware.transport import SerialTransport

logger = logging.getLogger(__name__)

DEFAULT_REPLY_TIMEOUT_S = 0.25
DEFAULT_RETRIES = 3
EVENT_COMMANDS = frozenset({Command.RATING_EVENT, Command.CALL_KEY_EVENT})


class FramedLink:
    """Sends commands and waits for the matching reply; events that arrive unasked are kept per address."""

    def __init__(self, transport: SerialTransport, reply_timeout: float = DEFAULT_REPLY_TIMEOUT_S,
                 retries: int = DEFAULT_RETRIES) -> None:
        self.transport = transport
        self.reply_timeout = reply_timeout
        self.retries = retries
        self.decoder = FrameDecoder()
        self.lock = threading.RLock()
        # A random first sequence: a device that remembers the last sequence of a previous host run
        # will not mistake our first command for a retransmission.
        self._sequence = random.randrange(256)
        self._unsolicited: dict[int, deque[Frame]] = defaultdict(deque)

    def next_sequence(self) -> int:
        """The sequence number of the next new exchange (retries reuse theirs)."""
        with self.lock:
            self._sequence = (self._sequence + 1) % 256
            return self._sequence

    def request(self, frame: Frame) -> Frame:
        """Send `frame` and return the device's reply (ACK or an event for POLL).

        Retries `retries` times on silence; DeviceTimeout after that, NegativeAcknowledgement on NAK,
        PortUnavailable when the port vanishes.
        """
        data = encode_frame(frame)
        with self.lock:
            for attempt in range(self.retries + 1):
                if attempt:
                    logger.debug("retry %d of command 0x%02X to address %d", attempt, frame.command, frame.address)
                self.transport.write(data)
                reply = self._await_reply(frame)
                if reply is None:
                    continue
                if reply.command == Command.DEVICE_NAK:
                    reason = reply.payload[0] if reply.payload else 0
                    name = NakReason(reason).name if reason in NakReason._value2member_map_ else f"0x{reason:02X}"
                    raise NegativeAcknowledgement(reason, f"device {frame.address} refused command "
                                                          f"0x{frame.command:02X}: {name}")
                return reply
        raise DeviceTimeout(f"device {frame.address} on {self.transport.url} did not answer "
                            f"command 0x{frame.command:02X} after {self.retries + 1} attempts")

    def send(self, frame: Frame) -> None:
        """Send a frame that has no reply (the host's ACK of an event)."""
        with self.lock:
            self.transport.write(encode_frame(frame))

    def poll(self, address: int) -> Frame:
        """The device's oldest unacknowledged event, or its ACK when it has none; unsolicited ones first."""
        with self.lock:
            queued = self._unsolicited.get(address)
            if queued:
                return queued.popleft()
            return self.request(poll(address, self.next_sequence()))

    def acknowledge(self, address: int, event_sequence: int) -> None:
        """Tell the device its event `event_sequence` is safely received, so it drops it."""
        self.send(acknowledge_event(address, event_sequence))

    def take_unsolicited(self, address: int, timeout: float) -> Frame | None:
        """Wait up to `timeout` for an event a point-to-point device sends unasked."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                queued = self._unsolicited.get(address)
                if queued:
                    return queued.popleft()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                for frame in self._read_frames(remaining):
                    if frame.from_device and frame.command in EVENT_COMMANDS:
                        self._unsolicited[frame.address].append(frame)

    def reset(self) -> None:
        """Forget partial frames and queued events (after the port was reopened)."""
        with self.lock:
            self.decoder.reset()

    def _await_reply(self, request: Frame) -> Frame | None:
        deadline = time.monotonic() + self.reply_timeout
        reply: Frame | None = None
        while reply is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            for frame in self._read_frames(remaining):
                if not frame.from_device:
                    continue  # our own echo on a two-wire bus
                if frame.command in EVENT_COMMANDS:
                    if reply is None and request.command == Command.POLL and frame.address == request.address:
                        reply = frame
                    else:
                        self._unsolicited[frame.address].append(frame)
                elif reply is None and frame.address == request.address and frame.sequence == request.sequence:
                    reply = frame
                else:
                    logger.debug("dropping stale reply from %d with sequence %d", frame.address, frame.sequence)
        return reply

    def _read_frames(self, timeout: float) -> list[Frame]:
        data = self.transport.read(timeout=min(timeout, 0.05))
        return self.decoder.feed(data) if data else []
