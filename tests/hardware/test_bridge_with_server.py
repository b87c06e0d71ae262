"""End to end: the real server (demo centre, bridge key demo-bridge-1), the bridge, simulated devices.

A kiosk ticket comes out of the simulated printer and the server records the print as done; a clerk's
call keypad press calls that ticket to the counter, and the counter's LED shows its number.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from hardware_test_support import wait_until

from hardware.bridge.bridge import Bridge
from hardware.device_config import DeviceConfig
from hardware.printing.escpos_reader import EscPosReader, TextLine
from hardware.sim.devices import SimulatedCallKeypad, SimulatedLedDisplay, SimulatedPrinter

TIMEOUT_S = 15.0
DEMO_BRIDGE_KEY = "demo-bridge-1"
DEMO_KIOSK_KEY = "demo-kiosk-1"


def test_kiosk_ticket_is_printed_and_a_call_keypad_press_calls_it_to_the_counter(
        live_server: Any, run_bridge: Callable[..., Bridge], devices: Callable,
        device_path: Callable[[str], Path]) -> None:
    admin = live_server.login("admin")
    kiosk_id = next(device["id"] for device in live_server.api("GET", "/admin/devices", admin).json()
                    if device["kind"] == "kiosk")
    counter = next(counter for counter in live_server.api("GET", "/admin/counters", admin).json()
                   if counter["service_ids"])
    counter_id, service_id = counter["id"], counter["service_ids"][0]

    printer = devices(SimulatedPrinter(f"printer:{kiosk_id}", device_path("printer")))
    keypad = devices(SimulatedCallKeypad(f"call-keypad:{counter_id}", device_path("call-keypad")))
    led = devices(SimulatedLedDisplay(f"led:{counter_id}", device_path("led")))
    bridge = run_bridge(live_server.url, DEMO_BRIDGE_KEY, [
        DeviceConfig(printer.role, printer.path), DeviceConfig(keypad.role, keypad.path),
        DeviceConfig(led.role, led.path)])
    assert bridge.hello_done.wait(TIMEOUT_S), "the server accepted the bridge's hello"

    issued = live_server.api("POST", "/tickets", DEMO_KIOSK_KEY, json={"service_id": service_id, "priority": None})
    assert issued.status_code == 201, issued.text
    ticket = issued.json()

    assert printer.wait_for_tickets(1, TIMEOUT_S), "the ticket came out of the printer"
    printed_text = [block.text for block in EscPosReader().parse(printer.tickets[0]) if isinstance(block, TextLine)]
    assert ticket["number"] in printed_text
    assert bridge.outbox.wait_until_empty(TIMEOUT_S), "print_result and device statuses were acknowledged"

    def hardware_status() -> dict[str, Any]:
        bridge_device = next(device for device in live_server.api("GET", "/admin/devices", admin).json()
                             if device["kind"] == "bridge")
        return bridge_device["hardware"] or {}
    assert wait_until(lambda: hardware_status().get(printer.role, {}).get("status") == "online", TIMEOUT_S)

    assert keypad.press("call_next")
    assert led.wait_for_text(ticket["number"], TIMEOUT_S), "the counter's LED shows the called number"
    assert keypad.wait_until_acknowledged(TIMEOUT_S)
    clerk = live_server.login("canbo1")
    called = live_server.api("GET", f"/tickets/{ticket['id']}", clerk).json()
    assert called["status"] == "called"
    assert called["counter_id"] == counter_id
