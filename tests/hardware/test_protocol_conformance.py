"""The codec reproduces, byte for byte, the example frames of docs/protocol.md (the document is the contract)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from hardware.protocol import messages
from hardware.protocol.framing import Frame, FrameDecoder, encode_frame
from hardware.protocol.messages import CallKey, NakReason

PROTOCOL_DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
EXAMPLE_ROW = re.compile(r"^\| (E\d+) \| (.+?) \| `([0-9A-F ]+)` \|$")

EXPECTED: dict[str, Frame] = {
    "E1": messages.show_number(0x03, 0x01, "1005"),
    "E2": messages.device_ack(0x03, 0x01),
    "E3": messages.flash_number(0x03, 0x02, "A005", 5),
    "E4": messages.blank(0x03, 0x03),
    "E5": messages.set_brightness(0x03, 0x04, 8),
    "E6": messages.show_text(0x03, 0x05, "Tạm dừng"),
    "E7": messages.open_rating(0x01, 0x10, 30, "1005"),
    "E8": messages.close_rating(0x01, 0x11),
    "E9": messages.poll(0x01, 0x12),
    "E10": messages.device_ack(0x01, 0x12),
    "E11": messages.rating_event(0x01, 0x2A, 5, 1.2),
    "E12": messages.acknowledge_event(0x01, 0x2A),
    "E13": messages.call_key_event(0x02, 0x07, CallKey.CALL_NEXT, 0.0),
    "E14": messages.device_nak(0x03, 0x06, NakReason.UNKNOWN_COMMAND),
    "E15": messages.show_text(0x03, 0x7E, "~"),
}


def document_examples() -> dict[str, bytes]:
    """Example id → bytes, from the examples table of docs/protocol.md."""
    examples = {}
    for line in PROTOCOL_DOCUMENT.read_text(encoding="utf-8").splitlines():
        match = EXAMPLE_ROW.match(line.strip())
        if match:
            examples[match.group(1)] = bytes.fromhex(match.group(3))
    return examples


def test_document_lists_every_example_the_conformance_test_knows() -> None:
    assert set(document_examples()) == set(EXPECTED)


@pytest.mark.parametrize("example", sorted(EXPECTED, key=lambda name: int(name[1:])))
def test_encoder_produces_the_documented_bytes(example: str) -> None:
    assert encode_frame(EXPECTED[example]).hex(" ") == document_examples()[example].hex(" ")


@pytest.mark.parametrize("example", sorted(EXPECTED, key=lambda name: int(name[1:])))
def test_decoder_reads_the_documented_bytes(example: str) -> None:
    assert FrameDecoder().feed(document_examples()[example]) == [EXPECTED[example]]


def test_documented_examples_back_to_back_decode_in_order() -> None:
    examples = document_examples()
    stream = b"".join(examples[name] for name in sorted(examples, key=lambda name: int(name[1:])))
    assert FrameDecoder().feed(stream) == [EXPECTED[name] for name in sorted(EXPECTED, key=lambda n: int(n[1:]))]
