"""Frames of the framed protocol: flag-delimited, byte-stuffed, addressed, sequenced and CRC-checked.

On the wire: FLAG, escape(ADDRESS SEQUENCE COMMAND LENGTH PAYLOAD CRC_HIGH CRC_LOW), FLAG, where the CRC
is CRC-16/CCITT-FALSE over ADDRESS..PAYLOAD and escape() replaces 0x7E / 0x7D by 0x7D followed by the
byte xor 0x20, so a FLAG never appears inside a frame and a receiver resynchronises at the next FLAG.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from hardware.errors import BadChecksum, ProtocolError
from hardware.protocol.crc import crc16_ccitt

logger = logging.getLogger(__name__)

FLAG = 0x7E
ESCAPE = 0x7D
ESCAPE_XOR = 0x20
MAX_PAYLOAD = 64
HEADER_LENGTH = 4  # address, sequence, command, length
CRC_LENGTH = 2
BROADCAST_ADDRESS = 0x00
MAX_DEVICE_ADDRESS = 0xF7
# The longest escaped body is every byte doubled; anything longer between two flags is garbage.
MAX_ESCAPED_BODY = 2 * (HEADER_LENGTH + MAX_PAYLOAD + CRC_LENGTH)


@dataclass(frozen=True)
class Frame:
    """One decoded frame: who (address), which exchange (sequence), what (command) and its payload."""

    address: int
    sequence: int
    command: int
    payload: bytes = b""

    def __post_init__(self) -> None:
        if not 0 <= self.address <= 0xFF:
            raise ProtocolError(f"address {self.address} is not one byte")
        if not 0 <= self.sequence <= 0xFF:
            raise ProtocolError(f"sequence {self.sequence} is not one byte")
        if not 0 <= self.command <= 0xFF:
            raise ProtocolError(f"command {self.command} is not one byte")
        if len(self.payload) > MAX_PAYLOAD:
            raise ProtocolError(f"payload of {len(self.payload)} bytes is longer than {MAX_PAYLOAD}")

    @property
    def from_device(self) -> bool:
        """Frames sent by a device have bit 7 of the command set; the host's never do."""
        return bool(self.command & 0x80)


def _escape(body: bytes) -> bytes:
    escaped = bytearray()
    for byte in body:
        if byte in (FLAG, ESCAPE):
            escaped += bytes((ESCAPE, byte ^ ESCAPE_XOR))
        else:
            escaped.append(byte)
    return bytes(escaped)


def _unescape(escaped: bytes) -> bytes:
    body = bytearray()
    pending_escape = False
    for byte in escaped:
        if pending_escape:
            body.append(byte ^ ESCAPE_XOR)
            pending_escape = False
        elif byte == ESCAPE:
            pending_escape = True
        else:
            body.append(byte)
    if pending_escape:
        raise ProtocolError("frame ends inside an escape sequence")
    return bytes(body)


def encode_frame(frame: Frame) -> bytes:
    """The bytes on the wire for `frame`, flags included."""
    unprotected = bytes((frame.address, frame.sequence, frame.command, len(frame.payload))) + frame.payload
    crc = crc16_ccitt(unprotected)
    return bytes((FLAG,)) + _escape(unprotected + crc.to_bytes(2, "big")) + bytes((FLAG,))


def decode_body(escaped: bytes) -> Frame:
    """Decode the bytes between two flags; raises ProtocolError / BadChecksum when they are not a frame."""
    body = _unescape(escaped)
    if len(body) < HEADER_LENGTH + CRC_LENGTH:
        raise ProtocolError(f"frame of {len(body)} bytes is shorter than a header and a CRC")
    address, sequence, command, length = body[0], body[1], body[2], body[3]
    if len(body) != HEADER_LENGTH + length + CRC_LENGTH:
        raise ProtocolError(f"length field says {length} payload bytes, frame holds {len(body) - 6}")
    received_crc = int.from_bytes(body[-2:], "big")
    computed_crc = crc16_ccitt(body[:-2])
    if received_crc != computed_crc:
        raise BadChecksum(f"CRC {received_crc:04X} does not match computed {computed_crc:04X}")
    return Frame(address, sequence, command, bytes(body[HEADER_LENGTH:-CRC_LENGTH]))


@dataclass
class FrameDecoder:
    """Stream decoder: feed it any chunk of received bytes, get the complete valid frames back.

    Garbage, truncated frames and frames with a bad CRC are dropped (and counted in `rejected`); decoding
    starts again at the next flag, so one bad byte costs at most the frame it hit.
    """

    rejected: int = 0
    _buffer: bytearray = field(default_factory=bytearray)
    _inside_frame: bool = False

    def feed(self, data: bytes) -> list[Frame]:
        """Consume `data`; return the frames it completed, in order."""
        frames: list[Frame] = []
        for byte in data:
            if byte == FLAG:
                if self._buffer:
                    frame = self._finish_body()
                    if frame is not None:
                        frames.append(frame)
                self._inside_frame = True
                continue
            if not self._inside_frame:
                # Bytes before any flag are line noise: count them once per run, not per byte.
                if not self._buffer:
                    self.rejected += 1
                self._buffer.append(byte)
                if len(self._buffer) > MAX_ESCAPED_BODY:
                    self._buffer.clear()
                continue
            self._buffer.append(byte)
            if len(self._buffer) > MAX_ESCAPED_BODY:
                logger.debug("dropping %d bytes without a closing flag", len(self._buffer))
                self.rejected += 1
                self._buffer.clear()
                self._inside_frame = False
        return frames

    def _finish_body(self) -> Frame | None:
        body = bytes(self._buffer)
        self._buffer.clear()
        if not self._inside_frame:
            return None  # noise before the first flag, already counted
        try:
            return decode_body(body)
        except ProtocolError as error:
            logger.debug("rejected frame %s: %s", body.hex(" "), error)
            self.rejected += 1
            return None

    def reset(self) -> None:
        """Forget any partial frame (after the port was reopened)."""
        self._buffer.clear()
        self._inside_frame = False
