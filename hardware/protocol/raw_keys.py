"""Raw "one byte per key" mode for off-the-shelf keypads: a configurable map from key bytes to meanings.

Such keypads send one byte per press (often the ASCII digit printed on the key, sometimes followed by
CR/LF) and cannot retransmit: a byte the host received is a press the host now owns.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from hardware.errors import ProtocolError

logger = logging.getLogger(__name__)

Meaning = TypeVar("Meaning", int, str)

# '1'→5 Rất hài lòng, '2'→4 Hài lòng, '3'→3 Bình thường, '4'→2 Không hài lòng (the common 4-key layout).
DEFAULT_RATING_KEYMAP: dict[int, int] = {0x31: 5, 0x32: 4, 0x33: 3, 0x34: 2}
DEFAULT_CALL_KEYMAP: dict[int, str] = {
    0x31: "call_next",
    0x32: "recall",
    0x33: "skip",
    0x34: "start",
    0x35: "finish",
    0x36: "pause",
    0x37: "resume",
    0x38: "pause_resume",
}
IGNORED_BYTES = frozenset(b"\r\n\x00 ")
CALL_ACTIONS = frozenset(DEFAULT_CALL_KEYMAP.values())


def _key_byte(text: str) -> int:
    text = text.strip()
    if text.lower().startswith("0x"):
        value = int(text, 16)
    elif len(text) == 1:
        value = ord(text)
    else:
        raise ProtocolError(f"key {text!r} is neither one character nor 0xNN")
    if not 0 <= value <= 0xFF:
        raise ProtocolError(f"key {text!r} is not one byte")
    return value


def parse_rating_keymap(text: str) -> dict[int, int]:
    """Read a map like "1:5,2:4,3:3,4:2" or "0x31:5,0x32:1" (key byte → score 1..5)."""
    keymap: dict[int, int] = {}
    for entry in filter(None, (part.strip() for part in text.replace(";", ",").split(","))):
        key, _, score = entry.rpartition(":")
        if not key or not score.strip().isdigit() or not 1 <= int(score) <= 5:
            raise ProtocolError(f"rating key map entry {entry!r} is not KEY:SCORE with SCORE 1..5")
        keymap[_key_byte(key)] = int(score)
    if not keymap:
        raise ProtocolError("rating key map is empty")
    return keymap


def parse_call_keymap(text: str) -> dict[int, str]:
    """Read a map like "1:call_next,2:recall" (key byte → call keypad action)."""
    keymap: dict[int, str] = {}
    for entry in filter(None, (part.strip() for part in text.replace(";", ",").split(","))):
        key, _, action = entry.rpartition(":")
        action = action.strip()
        if not key or action not in CALL_ACTIONS:
            raise ProtocolError(f"call key map entry {entry!r} is not KEY:ACTION, ACTION one of {sorted(CALL_ACTIONS)}")
        keymap[_key_byte(key)] = action
    if not keymap:
        raise ProtocolError("call key map is empty")
    return keymap


@dataclass
class RawKeyDecoder(Generic[Meaning]):
    """Turns received bytes into meanings through a key map; line endings are skipped, unknown keys counted."""

    keymap: Mapping[int, Meaning]
    unknown: int = 0

    def feed(self, data: bytes) -> list[Meaning]:
        """The meanings of the keys in `data`, in order."""
        meanings: list[Meaning] = []
        for byte in data:
            if byte in self.keymap:
                meanings.append(self.keymap[byte])
            elif byte not in IGNORED_BYTES:
                self.unknown += 1
                logger.debug("ignoring unknown key byte 0x%02X", byte)
        return meanings
