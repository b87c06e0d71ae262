"""Commands, events and their payloads for LED displays and keypads (docs/protocol.md, "Commands").

Pure functions: build the Frame a host sends, read the payload a device answers with.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import IntEnum

from hardware.errors import ProtocolError
from hardware.protocol.framing import Frame


class Command(IntEnum):
    """Command byte of a frame; bit 7 set means the frame comes from a device."""

    POLL = 0x01
    ACK = 0x06  # host acknowledges a device's event (sequence = the event's sequence)
    LED_SHOW_NUMBER = 0x20
    LED_FLASH_NUMBER = 0x21
    LED_BLANK = 0x22
    LED_SET_BRIGHTNESS = 0x23
    LED_SHOW_TEXT = 0x24
    RATING_OPEN = 0x30
    RATING_CLOSE = 0x31
    DEVICE_ACK = 0x86  # device: command done, or nothing queued in answer to POLL
    DEVICE_NAK = 0x95  # device: command refused, payload is one reason byte
    RATING_EVENT = 0xB0  # device: score (1 byte) and age (2 bytes, tenths of a second)
    CALL_KEY_EVENT = 0xB1  # device: key code (1 byte) and age (2 bytes, tenths of a second)


class NakReason(IntEnum):
    """Why a device refused a command."""

    UNKNOWN_COMMAND = 0x01
    BAD_PAYLOAD = 0x02
    BUSY = 0x03
    OUT_OF_RANGE = 0x04


class CallKey(IntEnum):
    """Key codes of the clerk call keypad."""

    CALL_NEXT = 0x01
    RECALL = 0x02
    SKIP = 0x03
    START = 0x04
    FINISH = 0x05
    PAUSE = 0x06
    RESUME = 0x07
    PAUSE_RESUME = 0x08  # one toggle key: the bridge resolves it from the counter's status


CALL_KEY_ACTIONS: dict[CallKey, str] = {
    CallKey.CALL_NEXT: "call_next",
    CallKey.RECALL: "recall",
    CallKey.SKIP: "skip",
    CallKey.START: "start",
    CallKey.FINISH: "finish",
    CallKey.PAUSE: "pause",
    CallKey.RESUME: "resume",
    CallKey.PAUSE_RESUME: "pause_resume",
}
ACTION_CALL_KEYS: dict[str, CallKey] = {action: key for key, action in CALL_KEY_ACTIONS.items()}

MAX_NUMBER_LENGTH = 8
MAX_TEXT_LENGTH = 32
MAX_BRIGHTNESS = 15
NUMBER_PATTERN = re.compile(r"^[0-9A-Z \-]{1,8}$")
EVENT_AGE_UNIT_S = 0.1
MAX_EVENT_AGE = 0xFFFF


def led_ascii(text: str) -> str:
    """Fold Vietnamese to what a 7-segment or dot-matrix LED can show: ASCII, no diacritics, đ → d."""
    folded = text.replace("đ", "d").replace("Đ", "D")
    folded = unicodedata.normalize("NFKD", folded)
    folded = "".join(character for character in folded if not unicodedata.combining(character))
    folded = folded.replace("–", "-").replace("—", "-")
    return "".join(character if 0x20 <= ord(character) <= 0x7E else "?" for character in folded)


def _number_bytes(number: str) -> bytes:
    number = number.upper()
    if not NUMBER_PATTERN.match(number):
        raise ProtocolError(f"{number!r} is not 1..8 characters of 0-9, A-Z, space or '-'")
    return number.encode("ascii")


def show_number(address: int, sequence: int, number: str) -> Frame:
    """LED: show a ticket number steadily (e.g. "1005" or "A005")."""
    return Frame(address, sequence, Command.LED_SHOW_NUMBER, _number_bytes(number))


def flash_number(address: int, sequence: int, number: str, blinks: int = 5) -> Frame:
    """LED: show a number blinking `blinks` times (0 = until the next command), then steadily; for recalls."""
    if not 0 <= blinks <= 255:
        raise ProtocolError("blinks must be 0..255")
    return Frame(address, sequence, Command.LED_FLASH_NUMBER, bytes((blinks,)) + _number_bytes(number))


def blank(address: int, sequence: int) -> Frame:
    """LED: show nothing."""
    return Frame(address, sequence, Command.LED_BLANK)


def set_brightness(address: int, sequence: int, level: int) -> Frame:
    """LED: brightness 0 (dimmest, still lit) .. 15 (brightest)."""
    if not 0 <= level <= MAX_BRIGHTNESS:
        raise ProtocolError(f"brightness must be 0..{MAX_BRIGHTNESS}")
    return Frame(address, sequence, Command.LED_SET_BRIGHTNESS, bytes((level,)))


def show_text(address: int, sequence: int, text: str) -> Frame:
    """LED: a short ASCII text (folded from Vietnamese: LEDs cannot show diacritics), scrolled if too long."""
    folded = led_ascii(text)[:MAX_TEXT_LENGTH]
    if not folded:
        raise ProtocolError("text must not be empty")
    return Frame(address, sequence, Command.LED_SHOW_TEXT, folded.encode("ascii"))


def open_rating(address: int, sequence: int, window_s: int, label: str = "") -> Frame:
    """Rating keypad: light the keys and accept one score for `window_s` seconds (1..255)."""
    window_s = max(1, min(255, int(window_s)))
    label_bytes = led_ascii(label)[:MAX_NUMBER_LENGTH].encode("ascii")
    return Frame(address, sequence, Command.RATING_OPEN, bytes((window_s,)) + label_bytes)


def close_rating(address: int, sequence: int) -> Frame:
    """Rating keypad: stop accepting a score now."""
    return Frame(address, sequence, Command.RATING_CLOSE)


def poll(address: int, sequence: int) -> Frame:
    """Ask a device for its oldest unacknowledged event (also the heartbeat of displays)."""
    return Frame(address, sequence, Command.POLL)


def acknowledge_event(address: int, event_sequence: int) -> Frame:
    """Host: the event with `event_sequence` was received; the device drops it from its queue."""
    return Frame(address, event_sequence, Command.ACK)


def device_ack(address: int, sequence: int) -> Frame:
    """Device: the command with `sequence` was carried out (or: no event queued, in answer to POLL)."""
    return Frame(address, sequence, Command.DEVICE_ACK)


def device_nak(address: int, sequence: int, reason: NakReason) -> Frame:
    """Device: the command with `sequence` was refused for `reason`."""
    return Frame(address, sequence, Command.DEVICE_NAK, bytes((reason,)))


def _age_bytes(age_s: float) -> bytes:
    return min(MAX_EVENT_AGE, max(0, round(age_s / EVENT_AGE_UNIT_S))).to_bytes(2, "big")


def rating_event(address: int, sequence: int, score: int, age_s: float = 0.0) -> Frame:
    """Device: a citizen pressed the key for `score` (1..5) `age_s` seconds ago."""
    if not 1 <= score <= 5:
        raise ProtocolError("score must be 1..5")
    return Frame(address, sequence, Command.RATING_EVENT, bytes((score,)) + _age_bytes(age_s))


def call_key_event(address: int, sequence: int, key: CallKey, age_s: float = 0.0) -> Frame:
    """Device: the clerk pressed `key` `age_s` seconds ago."""
    return Frame(address, sequence, Command.CALL_KEY_EVENT, bytes((key,)) + _age_bytes(age_s))


@dataclass(frozen=True)
class KeyEvent:
    """A key press read from a keypad frame: the key byte (score or CallKey) and how long ago it happened."""

    address: int
    sequence: int
    command: Command
    key: int
    age_s: float


def parse_event(frame: Frame) -> KeyEvent:
    """Read a RATING_EVENT or CALL_KEY_EVENT frame; ProtocolError for anything else or a bad payload."""
    if frame.command not in (Command.RATING_EVENT, Command.CALL_KEY_EVENT):
        raise ProtocolError(f"command 0x{frame.command:02X} is not a key event")
    if len(frame.payload) != 3:
        raise ProtocolError(f"key event payload must be 3 bytes, got {len(frame.payload)}")
    key = frame.payload[0]
    if frame.command == Command.RATING_EVENT and not 1 <= key <= 5:
        raise ProtocolError(f"score {key} is not 1..5")
    if frame.command == Command.CALL_KEY_EVENT and key not in CALL_KEY_ACTIONS:
        raise ProtocolError(f"call key 0x{key:02X} is unknown")
    age_s = int.from_bytes(frame.payload[1:3], "big") * EVENT_AGE_UNIT_S
    return KeyEvent(frame.address, frame.sequence, Command(frame.command), key, age_s)
