"""The bridge against a real Socket.IO server and simulated devices on pty pairs: the contract of docs/bridge.md."""
from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from bridge_test_server import BridgeTestServer
from hardware_test_support import wait_until

from hardware.bridge.bridge import Bridge
from hardware.device_config import DeviceConfig
from hardware.printing.samples import SAMPLE_JOB
from hardware.sim.devices import SimulatedCallKeypad, SimulatedLedDisplay, SimulatedPrinter, SimulatedRatingKeypad

TIMEOUT_S = 10.0
RunBridge = Callable[..., Bridge]
StartDevice = Callable


def print_job(job_id: int, kiosk_id: int = 1, number: str = "1005") -> dict:
    job = copy.deepcopy(SAMPLE_JOB)
    job.update(job_id=job_id, kiosk_id=kiosk_id)
    job["ticket"]["number"] = number
    return job


def connected(server: BridgeTestServer, bridge: Bridge) -> bool:
    return server.wait_for(lambda: bool(server.hellos), TIMEOUT_S) and bridge.hello_done.wait(TIMEOUT_S)


def test_bridge_says_hello_with_its_devices_and_reports_them_online(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    printer = devices(SimulatedPrinter("printer:1", device_path("printer-1")))
    led = devices(SimulatedLedDisplay("led:2", device_path("led-2")))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [
        DeviceConfig("printer:1", printer.path), DeviceConfig("led:2", led.path)])
    assert connected(bridge_server, bridge)
    assert bridge_server.hellos[0] == {"devices": ["printer:1", "led:2"]}
    assert bridge_server.wait_for(lambda: "online" in bridge_server.statuses_of("printer:1")
                                  and "online" in bridge_server.statuses_of("led:2"), TIMEOUT_S)


def test_print_job_is_printed_and_its_result_acknowledged(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path], tmp_path: Path) -> None:
    printer = devices(SimulatedPrinter("printer:1", device_path("printer-1"), print_dir=tmp_path / "printed"))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [DeviceConfig("printer:1", printer.path)])
    assert connected(bridge_server, bridge)
    bridge_server.emit("print_job", print_job(7))
    assert printer.wait_for_tickets(1, TIMEOUT_S)
    assert bridge_server.wait_for(lambda: bool(bridge_server.print_results), TIMEOUT_S)
    assert bridge_server.print_results[0] == {"job_id": 7, "ok": True, "error": None, "message": "đã in"}
    assert len(printer.tickets[0]) <= 6144
    assert (tmp_path / "printed" / "printer-1-0001.png").exists()


def test_repeated_print_job_is_answered_again_but_printed_once(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    printer = devices(SimulatedPrinter("printer:1", device_path("printer-1")))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [DeviceConfig("printer:1", printer.path)])
    assert connected(bridge_server, bridge)
    bridge_server.emit("print_job", print_job(8))
    bridge_server.emit("print_job", print_job(8))
    assert bridge_server.wait_for(lambda: len(bridge_server.print_results) == 2, TIMEOUT_S)
    assert all(result["ok"] for result in bridge_server.print_results)
    assert len(printer.tickets) == 1


def test_print_job_for_a_kiosk_without_printer_fails_with_no_printer(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    printer = devices(SimulatedPrinter("printer:1", device_path("printer-1")))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [DeviceConfig("printer:1", printer.path)])
    assert connected(bridge_server, bridge)
    bridge_server.emit("print_job", print_job(9, kiosk_id=5))
    assert bridge_server.wait_for(lambda: bool(bridge_server.print_results), TIMEOUT_S)
    assert bridge_server.print_results[0]["error"] == "no_printer"
    assert not bridge_server.print_results[0]["ok"]


def test_led_follows_snapshot_calls_recalls_and_finishes(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    bridge_server.counters = [
        {"id": 2, "number": 2, "name": "Quầy 2", "status": "open", "current_ticket": {"id": 5, "number": "2003",
                                                                                     "status": "serving"}}]
    led = devices(SimulatedLedDisplay("led:2", device_path("led-2")))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [DeviceConfig("led:2", led.path)])
    assert connected(bridge_server, bridge)
    assert led.wait_for_text("2003", TIMEOUT_S), "the snapshot sets the display"

    bridge_server.emit("ticket_called", {"id": 6, "number": "2004", "service_id": 1, "counter_id": 2,
                                         "counter_number": 2})
    assert led.wait_until(lambda: led.text == "2004" and not led.flashing, TIMEOUT_S)
    bridge_server.emit("ticket_recalled", {"id": 6, "number": "2004", "service_id": 1, "counter_id": 2,
                                           "counter_number": 2})
    assert led.wait_until(lambda: led.flashing, TIMEOUT_S), "a recall flashes the number"
    bridge_server.emit("ticket_finished", {"id": 5, "number": "2003", "counter_id": 2})
    bridge_server.emit("ticket_called", {"id": 7, "number": "2005", "service_id": 1, "counter_id": 2,
                                         "counter_number": 2})
    assert led.wait_for_text("2005", TIMEOUT_S), "finishing another ticket does not blank this one"
    bridge_server.emit("ticket_skipped", {"id": 7, "number": "2005", "counter_id": 2})
    assert led.wait_for_text("", TIMEOUT_S)
    bridge_server.emit("ticket_called", {"id": 8, "number": "2006", "service_id": 1, "counter_id": 2,
                                         "counter_number": 2})
    assert led.wait_for_text("2006", TIMEOUT_S)
    bridge_server.emit("counter_status", {"counter_id": 2, "status": "paused"})
    assert led.wait_for_text("", TIMEOUT_S), "a paused counter shows nothing"


def test_call_keypad_presses_become_key_presses_with_unique_ids(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    keypad = devices(SimulatedCallKeypad("call-keypad:2", device_path("call-2")))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [DeviceConfig("call-keypad:2", keypad.path)])
    assert connected(bridge_server, bridge)
    for action in ("call_next", "recall", "skip", "start", "finish", "pause", "resume"):
        assert keypad.press(action)
    assert bridge_server.wait_for(lambda: len(bridge_server.key_presses) == 7, TIMEOUT_S)
    presses = bridge_server.key_presses
    assert [press["action"] for press in presses] == ["call_next", "recall", "skip", "start", "finish", "pause",
                                                      "resume"]
    assert {press["device"] for press in presses} == {"call-keypad:2"}
    assert {press["counter_id"] for press in presses} == {2}
    assert len({press["press_id"] for press in presses}) == 7
    assert all(press["pressed_at"].endswith("+00:00") for press in presses)
    assert keypad.wait_until_acknowledged(TIMEOUT_S)


def test_pause_toggle_key_resumes_a_paused_counter(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    bridge_server.counters = [{"id": 2, "number": 2, "name": "Quầy 2", "status": "paused", "current_ticket": None}]
    keypad = devices(SimulatedCallKeypad("call-keypad:2", device_path("call-2")))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [DeviceConfig("call-keypad:2", keypad.path)])
    assert connected(bridge_server, bridge)
    assert wait_until(lambda: bridge.counter_status(2) == "paused", TIMEOUT_S)
    keypad.press("pause_resume")
    assert bridge_server.wait_for(lambda: bool(bridge_server.key_presses), TIMEOUT_S)
    assert bridge_server.key_presses[0]["action"] == "resume"


def test_raw_call_keypad_bytes_become_actions(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    keypad = devices(SimulatedCallKeypad("call-keypad:3", device_path("call-3"), mode="raw"))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [DeviceConfig("call-keypad:3", keypad.path, mode="raw")])
    assert connected(bridge_server, bridge)
    assert bridge_server.wait_for(lambda: "online" in bridge_server.statuses_of("call-keypad:3"), TIMEOUT_S)
    keypad.press("call_next")
    keypad.press("finish")
    assert bridge_server.wait_for(lambda: len(bridge_server.key_presses) == 2, TIMEOUT_S)
    assert [press["action"] for press in bridge_server.key_presses] == ["call_next", "finish"]


def test_rating_request_opens_the_keypad_and_the_score_carries_the_ticket(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    keypad = devices(SimulatedRatingKeypad("rating-keypad:1", device_path("rating-1")))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [DeviceConfig("rating-keypad:1", keypad.path)])
    assert connected(bridge_server, bridge)
    bridge_server.emit("rating_requested", {"counter_id": 1, "ticket_id": 41, "number": "1005", "token": "tok-41",
                                            "expires_at": "2026-11-25T08:40:30+07:00", "window_s": 30})
    assert keypad.wait_for_window(True, TIMEOUT_S)
    assert keypad.label == "1005"
    assert keypad.press(5)
    assert bridge_server.wait_for(lambda: bool(bridge_server.ratings), TIMEOUT_S)
    rating = bridge_server.ratings[0]
    assert (rating["device"], rating["counter_id"], rating["ticket_id"], rating["token"], rating["score"]) == (
        "rating-keypad:1", 1, 41, "tok-41", 5)

    bridge_server.emit("rating_requested", {"counter_id": 1, "ticket_id": 42, "number": "1006", "token": "tok-42",
                                            "expires_at": "2026-11-25T08:41:30+07:00", "window_s": 30})
    assert keypad.wait_for_window(True, TIMEOUT_S)
    bridge_server.emit("rating_closed", {"counter_id": 1, "ticket_id": 42})
    assert keypad.wait_for_window(False, TIMEOUT_S), "the server closed the window"


def test_raw_rating_keypad_scores_bind_to_the_open_window_then_to_none(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    keypad = devices(SimulatedRatingKeypad("rating-keypad:1", device_path("rating-1"), mode="raw"))
    bridge = run_bridge(bridge_server.url, bridge_server.key,
                        [DeviceConfig("rating-keypad:1", keypad.path, mode="raw", keymap="1:5,2:4,3:3,4:2")])
    assert connected(bridge_server, bridge)
    assert bridge_server.wait_for(lambda: "online" in bridge_server.statuses_of("rating-keypad:1"), TIMEOUT_S)
    bridge_server.emit("rating_requested", {"counter_id": 1, "ticket_id": 50, "number": "1010", "token": "tok-50",
                                            "expires_at": "2026-11-25T09:00:30+07:00", "window_s": 30})
    worker = bridge.workers["rating-keypad:1"]
    assert wait_until(lambda: worker.window is not None, TIMEOUT_S)  # type: ignore[attr-defined]
    keypad.press(4)
    assert bridge_server.wait_for(lambda: len(bridge_server.ratings) == 1, TIMEOUT_S)
    keypad.press(2)
    assert bridge_server.wait_for(lambda: len(bridge_server.ratings) == 2, TIMEOUT_S)
    first, second = bridge_server.ratings
    assert (first["score"], first["ticket_id"], first["token"]) == (4, 50, "tok-50")
    assert (second["score"], second["ticket_id"], second["token"]) == (2, None, None), "one score per ticket"


def test_refused_bridge_key_is_logged_once_and_retried(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path], caplog: pytest.LogCaptureFixture) -> None:
    led = devices(SimulatedLedDisplay("led:1", device_path("led-1")))
    run_bridge(bridge_server.url, "wrong-key", [DeviceConfig("led:1", led.path)], refused_initial_s=0.2,
               refused_max_s=0.5)
    assert bridge_server.wait_for(lambda: bridge_server.refused >= 3, 20), "the bridge keeps retrying"
    refusals = [record for record in caplog.records
                if record.name == "hardware.bridge.bridge" and "refused the bridge key" in record.getMessage()]
    assert len(refusals) == 1
    assert refusals[0].levelno == logging.ERROR
    assert not bridge_server.hellos


def test_rejected_devices_are_logged_and_the_rest_keep_working(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path], caplog: pytest.LogCaptureFixture) -> None:
    bridge_server.reject_devices = {"led:9"}
    led = devices(SimulatedLedDisplay("led:9", device_path("led-9")))
    keypad = devices(SimulatedCallKeypad("call-keypad:2", device_path("call-2")))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [
        DeviceConfig("led:9", led.path), DeviceConfig("call-keypad:2", keypad.path)])
    assert connected(bridge_server, bridge)
    assert any("rejected device led:9" in record.getMessage() for record in caplog.records)
    keypad.press("call_next")
    assert bridge_server.wait_for(lambda: bool(bridge_server.key_presses), TIMEOUT_S)
