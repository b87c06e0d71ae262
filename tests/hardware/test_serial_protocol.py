"""The framed protocol's codec: CRC, stuffing, the stream decoder's resynchronisation, payload rules."""
from __future__ import annotations

import random

import pytest

from hardware.errors import BadChecksum, ProtocolError
from hardware.protocol import messages
from hardware.protocol.crc import crc16_ccitt
from hardware.protocol.framing import FLAG, Frame, FrameDecoder, decode_body, encode_frame
from hardware.protocol.messages import CallKey, Command, parse_event


def reference_crc16_ccitt_false(data: bytes) -> int:
    """Bit-by-bit CRC-16/CCITT-FALSE straight from its definition, to check the table-driven one."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def test_crc_of_the_standard_check_string_is_29b1() -> None:
    assert crc16_ccitt(b"123456789") == 0x29B1


def test_crc_matches_the_bitwise_definition_on_random_data() -> None:
    generator = random.Random(6)
    for length in (0, 1, 2, 7, 64, 255):
        data = bytes(generator.randrange(256) for _ in range(length))
        assert crc16_ccitt(data) == reference_crc16_ccitt_false(data)


def test_frame_round_trips_through_encoder_and_decoder() -> None:
    frame = messages.show_number(3, 200, "A005")
    assert FrameDecoder().feed(encode_frame(frame)) == [frame]


def test_flag_and_escape_bytes_inside_a_frame_are_stuffed() -> None:
    frame = Frame(0x7D, 0x7E, 0x24, b"~}~")
    wire = encode_frame(frame)
    assert wire.count(FLAG) == 2 and wire[0] == FLAG and wire[-1] == FLAG
    assert FrameDecoder().feed(wire) == [frame]


def test_decoder_resynchronises_after_garbage_before_between_and_inside_frames() -> None:
    first, second = messages.poll(1, 1), messages.blank(1, 2)
    garbage = bytes([0x00, 0xFF, 0x13, 0x37, 0x7D, 0x55])
    decoder = FrameDecoder()
    frames = decoder.feed(garbage + encode_frame(first) + garbage + FLAG.to_bytes(1, "big") + garbage
                          + encode_frame(second))
    assert frames == [first, second]
    assert decoder.rejected >= 2


def test_decoder_rejects_a_frame_with_a_bad_crc_and_keeps_the_next_one() -> None:
    damaged = bytearray(encode_frame(messages.show_number(3, 1, "1005")))
    damaged[6] ^= 0x01  # one flipped bit in the payload
    good = messages.show_number(3, 2, "1006")
    decoder = FrameDecoder()
    assert decoder.feed(bytes(damaged) + encode_frame(good)) == [good]
    assert decoder.rejected == 1


def test_decoder_assembles_frames_fed_one_byte_at_a_time() -> None:
    frames = [messages.rating_event(1, 9, 4, 0.5), messages.device_ack(1, 10)]
    wire = b"".join(encode_frame(frame) for frame in frames)
    decoder = FrameDecoder()
    received = [frame for byte in wire for frame in decoder.feed(bytes([byte]))]
    assert received == frames


def test_decoder_drops_an_endless_run_without_a_flag() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(bytes([FLAG]) + bytes(500)) == []
    assert decoder.feed(encode_frame(messages.poll(2, 3))) == [messages.poll(2, 3)]


def test_body_with_wrong_length_field_is_a_protocol_error() -> None:
    body = encode_frame(messages.poll(1, 1))[1:-1]
    with pytest.raises(ProtocolError):
        decode_body(body[:3] + b"\x05" + body[4:])


def test_body_with_wrong_crc_is_a_bad_checksum() -> None:
    body = bytearray(encode_frame(messages.poll(1, 1))[1:-1])
    body[-1] ^= 0xFF
    with pytest.raises(BadChecksum):
        decode_body(bytes(body))


def test_device_frames_have_bit_7_set_and_host_frames_do_not() -> None:
    assert messages.device_ack(1, 1).from_device and messages.rating_event(1, 1, 5).from_device
    assert not messages.poll(1, 1).from_device and not messages.show_number(1, 1, "1").from_device


def test_led_text_is_folded_to_ascii_without_diacritics() -> None:
    assert messages.led_ascii("Tạm dừng – Quầy số 3") == "Tam dung - Quay so 3"
    assert messages.led_ascii("Đất đai") == "Dat dai"
    assert messages.show_text(1, 1, "Mời công dân").payload == b"Moi cong dan"


def test_led_number_accepts_digits_and_letters_and_keeps_leading_zeros() -> None:
    assert messages.show_number(1, 1, "0105").payload == b"0105"
    assert messages.show_number(1, 1, "a005").payload == b"A005"
    with pytest.raises(ProtocolError):
        messages.show_number(1, 1, "10.5")
    with pytest.raises(ProtocolError):
        messages.show_number(1, 1, "123456789")


def test_brightness_outside_0_to_15_is_refused() -> None:
    with pytest.raises(ProtocolError):
        messages.set_brightness(1, 1, 16)


def test_events_carry_key_and_age_in_tenths_of_a_second() -> None:
    event = parse_event(messages.call_key_event(2, 7, CallKey.FINISH, age_s=3.04))
    assert (event.command, event.key, event.age_s) == (Command.CALL_KEY_EVENT, CallKey.FINISH, pytest.approx(3.0))
    assert parse_event(messages.rating_event(1, 1, 2, age_s=1e9)).age_s == pytest.approx(6553.5)


def test_event_with_impossible_score_or_key_is_refused() -> None:
    with pytest.raises(ProtocolError):
        parse_event(Frame(1, 1, Command.RATING_EVENT, b"\x06\x00\x00"))
    with pytest.raises(ProtocolError):
        parse_event(Frame(1, 1, Command.CALL_KEY_EVENT, b"\x63\x00\x00"))
