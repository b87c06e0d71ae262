"""Drivers against simulated devices over real pty pairs: LED, keypads (framed and raw), printer, a shared bus."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hardware.drivers.keypads import FramedCallKeypad, FramedRatingKeypad, RawKeypad
from hardware.drivers.led import LedDisplay
from hardware.drivers.link import FramedLink
from hardware.drivers.printer import EscPosPrinter
from hardware.errors import DeviceTimeout, NegativeAcknowledgement, PaperOut, PrinterOffline
from hardware.protocol.framing import Frame
from hardware.protocol.messages import Command
from hardware.protocol.raw_keys import RawKeyDecoder, parse_call_keymap, parse_rating_keymap
from hardware.sim.devices import (
    SimulatedBus,
    SimulatedCallKeypad,
    SimulatedLedDisplay,
    SimulatedPrinter,
    SimulatedRatingKeypad,
)
from hardware.transport import SerialTransport

Start = Callable


def link_to(path: str, reply_timeout: float = 0.25) -> FramedLink:
    return FramedLink(SerialTransport(path, baudrate=9600), reply_timeout=reply_timeout)


def test_led_shows_flashes_blanks_and_dims_as_told(devices: Start, device_path: Callable[[str], Path]) -> None:
    led = devices(SimulatedLedDisplay("led:3", device_path("led-3"), address=3))
    display = LedDisplay(link_to(led.path), address=3)
    display.show_number("1005")
    assert (led.text, led.flashing) == ("1005", False)
    display.flash_number("1005")
    assert (led.text, led.flashing) == ("1005", True)
    display.set_brightness(4)
    display.blank()
    assert (led.text, led.brightness) == ("", 4)
    display.show_text("Tạm dừng")
    assert led.text == "Tam dung"
    display.link.transport.close()


def test_led_command_survives_corrupted_replies_by_retrying(devices: Start, device_path: Callable[[str], Path]) -> None:
    led = devices(SimulatedLedDisplay("led:1", device_path("led-1")))
    display = LedDisplay(link_to(led.path))
    led.corrupt_next_replies(2)
    display.show_number("2001")
    assert led.text == "2001"
    assert led.frames_received == 3, "two replies were damaged: the host sent the command three times"
    display.link.transport.close()


def test_silent_device_times_out_after_the_documented_retries(devices: Start,
                                                              device_path: Callable[[str], Path]) -> None:
    led = devices(SimulatedLedDisplay("led:1", device_path("led-1")))
    display = LedDisplay(link_to(led.path, reply_timeout=0.1))
    led.mute()
    with pytest.raises(DeviceTimeout):
        display.show_number("1005")
    assert led.frames_received == 4, "one attempt and three retries"
    display.link.transport.close()


def test_device_nak_is_a_negative_acknowledgement_with_its_reason(devices: Start,
                                                                  device_path: Callable[[str], Path]) -> None:
    led = devices(SimulatedLedDisplay("led:1", device_path("led-1")))
    link = link_to(led.path)
    with pytest.raises(NegativeAcknowledgement) as refusal:
        link.request(Frame(1, link.next_sequence(), Command.LED_SET_BRIGHTNESS, bytes([99])))
    assert refusal.value.reason == 0x04
    link.transport.close()


def test_framed_keypad_holds_a_press_until_the_host_acknowledges_it(devices: Start,
                                                                    device_path: Callable[[str], Path]) -> None:
    keypad_device = devices(SimulatedCallKeypad("call-keypad:2", device_path("call-2")))
    keypad = FramedCallKeypad(link_to(keypad_device.path))
    assert keypad.read_presses(0) == []
    assert keypad_device.press("call_next") and keypad_device.press("recall")
    first = keypad.read_presses(0)
    assert [press.meaning for press in first] == ["call_next"]
    assert keypad.read_presses(0)[0].meaning == "call_next", "not acknowledged yet: offered again"
    assert keypad_device.pending_events() == 2
    keypad.acknowledge(first[0])
    assert keypad_device.wait_until(lambda: keypad_device.pending_events() == 1, 2)
    second = keypad.read_presses(0)
    assert [press.meaning for press in second] == ["recall"]
    keypad.acknowledge(second[0])
    assert keypad_device.wait_until_acknowledged(2)
    keypad.link.transport.close()


def test_event_repeated_after_a_lost_ack_is_not_delivered_twice(devices: Start,
                                                                device_path: Callable[[str], Path]) -> None:
    keypad_device = devices(SimulatedCallKeypad("call-keypad:2", device_path("call-2")))
    keypad = FramedCallKeypad(link_to(keypad_device.path))
    keypad_device.press("finish")
    keypad_device.acks_to_ignore = 1
    press = keypad.read_presses(0)[0]
    keypad.acknowledge(press)  # lost on the line
    assert keypad.read_presses(0) == [], "the repeat is recognised and acknowledged again"
    assert keypad_device.wait_until_acknowledged(2)
    keypad.link.transport.close()


def test_rating_keypad_accepts_one_score_only_inside_its_window(devices: Start,
                                                                device_path: Callable[[str], Path]) -> None:
    keypad_device = devices(SimulatedRatingKeypad("rating-keypad:1", device_path("rating-1")))
    keypad = FramedRatingKeypad(link_to(keypad_device.path))
    assert not keypad_device.press(5), "keys are dark outside a window"
    keypad.open_window(30, "1005")
    assert keypad_device.window_open and keypad_device.label == "1005"
    assert keypad_device.press(4)
    assert not keypad_device.press(5), "one score per window"
    presses = keypad.read_presses(0)
    assert [press.meaning for press in presses] == [4]
    keypad.acknowledge(presses[0])
    keypad.open_window(30, "1006")
    keypad.close_window()
    assert not keypad_device.window_open
    keypad.link.transport.close()


def test_rating_window_closes_by_itself_when_its_time_is_up(devices: Start,
                                                            device_path: Callable[[str], Path]) -> None:
    keypad_device = devices(SimulatedRatingKeypad("rating-keypad:1", device_path("rating-1")))
    keypad = FramedRatingKeypad(link_to(keypad_device.path))
    keypad.open_window(1)
    assert keypad_device.wait_for_window(False, timeout=3)
    keypad.link.transport.close()


def test_unsolicited_events_of_a_point_to_point_keypad_are_taken(devices: Start,
                                                                 device_path: Callable[[str], Path]) -> None:
    keypad_device = devices(SimulatedCallKeypad("call-keypad:1", device_path("call-1"), unsolicited=True))
    link = link_to(keypad_device.path)
    keypad_device.press("skip")
    frame = link.take_unsolicited(1, timeout=3)
    assert frame is not None and frame.command == Command.CALL_KEY_EVENT
    link.transport.close()


def test_raw_rating_keypad_maps_key_bytes_to_scores(devices: Start, device_path: Callable[[str], Path]) -> None:
    keypad_device = devices(SimulatedRatingKeypad("rating-keypad:1", device_path("rating-1"), mode="raw"))
    transport = SerialTransport(keypad_device.path)
    transport.open()  # bytes sent before the host opens the port are lost, as on a real line
    keypad = RawKeypad(transport, RawKeyDecoder(parse_rating_keymap("1:5,2:4,3:3,4:2")))
    for score in (5, 2, 3):
        keypad_device.press(score)
    received: list[int | str] = []
    for _ in range(20):
        received += [press.meaning for press in keypad.read_presses(0.1)]
        if len(received) == 3:
            break
    assert received == [5, 2, 3]
    transport.close()


def test_raw_key_decoder_skips_line_endings_and_counts_unknown_keys() -> None:
    decoder = RawKeyDecoder(parse_call_keymap("0x31:call_next,2:recall"))
    assert decoder.feed(b"1\r\n2\r\n9") == ["call_next", "recall"]
    assert decoder.unknown == 1


def test_two_devices_share_a_multi_drop_bus_by_address(devices: Start, device_path: Callable[[str], Path]) -> None:
    led = SimulatedLedDisplay("led:3", address=3)
    keypad_device = SimulatedCallKeypad("call-keypad:3", address=5)
    bus = devices(SimulatedBus([led, keypad_device], device_path("bus")))
    link = link_to(bus.path)
    display, keypad = LedDisplay(link, address=3), FramedCallKeypad(link, address=5)
    display.show_number("3007")
    keypad_device.press("start")
    presses = keypad.read_presses(0)
    assert led.text == "3007" and [press.meaning for press in presses] == ["start"]
    assert keypad_device.frames_received == 1, "the keypad only counted the poll addressed to it"
    keypad.acknowledge(presses[0])
    assert keypad_device.wait_until_acknowledged(2)
    link.transport.close()


def test_printer_status_reports_online_paper_out_and_silence(devices: Start,
                                                            device_path: Callable[[str], Path]) -> None:
    printer_device = devices(SimulatedPrinter("printer:1", device_path("printer-1")))
    printer = EscPosPrinter(SerialTransport(printer_device.path))
    assert printer.check_ready().word == "online"
    printer_device.set_paper(False)
    assert printer.status().word == "paper_out"
    with pytest.raises(PaperOut):
        printer.print_bytes(b"\x1b@hello\n\x1dV\x00")
    printer_device.set_paper(True)
    printer_device.set_responding(False)
    with pytest.raises(PrinterOffline):
        printer.status()
    printer.transport.close()


def test_printer_receives_exactly_the_bytes_of_a_ticket(devices: Start, device_path: Callable[[str], Path]) -> None:
    printer_device = devices(SimulatedPrinter("printer:1", device_path("printer-1")))
    printer = EscPosPrinter(SerialTransport(printer_device.path))
    # Image data that happens to contain DLE EOT must not be taken for a status request.
    ticket = b"\x1b@" + b"\x1dv0\x00\x01\x00\x03\x00" + b"\x10\x04\x01" + b"1005\n" + b"\x1dV\x00"
    printer.print_bytes(ticket)
    assert printer_device.wait_for_tickets(1, timeout=3)
    assert printer_device.tickets[0] == ticket
    printer.transport.close()
