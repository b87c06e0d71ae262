"""Faults over real pty pairs and a real server: the bridge survives, recovers within 5 s of the cause going
away, and loses (or doubles) no key press."""
from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bridge_test_server import BridgeTestServer, free_port
from hardware_test_support import RECOVERY_S, SLACK_S, wait_until

from hardware.bridge.bridge import Bridge
from hardware.device_config import DeviceConfig, write_device_map
from hardware.printing.samples import SAMPLE_JOB
from hardware.sim.control import NOISE
from hardware.sim.devices import SimulatedCallKeypad, SimulatedLedDisplay, SimulatedPrinter

PROJECT = Path(__file__).resolve().parents[2]
SERVER_SCRIPT = Path(__file__).resolve().parent / "bridge_test_server.py"
TIMEOUT_S = 10.0
RECOVERED_WITHIN_S = RECOVERY_S + SLACK_S
RunBridge = Callable[..., Bridge]
StartDevice = Callable


def print_job(job_id: int) -> dict[str, Any]:
    job = copy.deepcopy(SAMPLE_JOB)
    job["job_id"] = job_id
    return job


def connected(server: BridgeTestServer, bridge: Bridge) -> bool:
    return server.wait_for(lambda: bool(server.hellos), TIMEOUT_S) and bridge.hello_done.wait(TIMEOUT_S)


def test_printer_out_of_paper_fails_the_job_and_recovers_when_paper_is_back(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    printer = devices(SimulatedPrinter("printer:1", device_path("printer-1")))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [DeviceConfig("printer:1", printer.path)])
    assert connected(bridge_server, bridge)
    assert bridge_server.wait_for(lambda: bridge_server.statuses_of("printer:1")[-1:] == ["online"], TIMEOUT_S)

    printer.set_paper(False)
    assert bridge_server.wait_for(lambda: bridge_server.statuses_of("printer:1")[-1:] == ["paper_out"],
                                  RECOVERED_WITHIN_S)
    bridge_server.emit("print_job", print_job(21))
    assert bridge_server.wait_for(lambda: bool(bridge_server.print_results), TIMEOUT_S)
    result = bridge_server.print_results[0]
    assert (result["job_id"], result["ok"], result["error"]) == (21, False, "paper_out")
    assert result["message"] == "Máy in hết giấy"
    assert printer.tickets == []

    printer.set_paper(True)
    assert bridge_server.wait_for(lambda: bridge_server.statuses_of("printer:1")[-1:] == ["online"],
                                  RECOVERED_WITHIN_S)
    bridge_server.emit("print_job", print_job(22))
    assert printer.wait_for_tickets(1, TIMEOUT_S)
    assert bridge_server.wait_for(lambda: len(bridge_server.print_results) == 2, TIMEOUT_S)
    assert bridge_server.print_results[1]["ok"] is True
    assert bridge_server.statuses_of("printer:1").count("paper_out") == 1, "reported once, not at every check"


def test_unplugged_display_is_reported_offline_and_gets_its_number_back_after_replug(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    led = devices(SimulatedLedDisplay("led:2", device_path("led-2")))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [DeviceConfig("led:2", led.path)])
    assert connected(bridge_server, bridge)
    bridge_server.emit("ticket_called", {"id": 3, "number": "1005", "service_id": 1, "counter_id": 2,
                                         "counter_number": 2})
    assert led.wait_for_text("1005", TIMEOUT_S)

    led.unplug()
    led.power_cycle()
    assert bridge_server.wait_for(lambda: bridge_server.statuses_of("led:2")[-1:] == ["offline"], TIMEOUT_S)
    led.plug()  # a new pty pair behind the same path
    assert led.wait_for_text("1005", RECOVERED_WITHIN_S), "the bridge re-sent the number"
    assert bridge_server.wait_for(lambda: bridge_server.statuses_of("led:2")[-1:] == ["online"], RECOVERED_WITHIN_S)
    assert bridge_server.statuses_of("led:2").count("offline") == 1


def test_presses_made_while_the_cable_is_out_arrive_once_after_replug(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    keypad = devices(SimulatedCallKeypad("call-keypad:2", device_path("call-2")))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [DeviceConfig("call-keypad:2", keypad.path)])
    assert connected(bridge_server, bridge)
    keypad.unplug()
    assert keypad.press("call_next") and keypad.press("start")
    assert bridge_server.wait_for(lambda: bridge_server.statuses_of("call-keypad:2")[-1:] == ["offline"], TIMEOUT_S)
    keypad.plug()
    assert bridge_server.wait_for(lambda: len(bridge_server.key_presses) >= 2, RECOVERED_WITHIN_S)
    assert keypad.wait_until_acknowledged(TIMEOUT_S)
    assert [press["action"] for press in bridge_server.key_presses] == ["call_next", "start"]


def test_garbage_and_corrupted_frames_lose_and_double_no_press(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    keypad = devices(SimulatedCallKeypad("call-keypad:2", device_path("call-2")))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [DeviceConfig("call-keypad:2", keypad.path)])
    assert connected(bridge_server, bridge)
    actions = ["call_next", "start", "finish", "call_next", "skip", "recall"]
    for index, action in enumerate(actions):
        keypad.send_raw(NOISE)
        keypad.corrupt_next_replies(2 if index % 2 else 1)
        if index == 3:
            keypad.acks_to_ignore = 1  # the bridge's acknowledgement is lost once: the keypad repeats the event
        assert keypad.press(action)
        keypad.send_raw(NOISE[: index + 1])
    assert bridge_server.wait_for(lambda: len(bridge_server.key_presses) >= len(actions), TIMEOUT_S)
    assert keypad.wait_until_acknowledged(TIMEOUT_S)
    assert [press["action"] for press in bridge_server.key_presses] == actions
    assert len(bridge_server.unique_presses()) == len(actions)
    assert bridge.workers["call-keypad:2"].status == "online"


def test_press_whose_acknowledgement_does_not_come_in_time_is_resent_with_the_same_press_id(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    bridge_server.acks_to_delay["key_press"] = 1
    keypad = devices(SimulatedCallKeypad("call-keypad:2", device_path("call-2")))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [DeviceConfig("call-keypad:2", keypad.path)],
                        ack_timeout_s=1.0)
    assert connected(bridge_server, bridge)
    keypad.press("finish")
    assert bridge_server.wait_for(lambda: len(bridge_server.key_presses) == 2, TIMEOUT_S)
    first, second = bridge_server.key_presses
    assert first == second, "the same press, with the same press_id, sent again"
    assert len(bridge_server.unique_presses()) == 1
    assert bridge.outbox.wait_until_empty(TIMEOUT_S)


def test_a_faulty_device_never_stops_the_others(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    led = devices(SimulatedLedDisplay("led:2", device_path("led-2")))
    printer = devices(SimulatedPrinter("printer:1", device_path("printer-1")))
    keypad = devices(SimulatedCallKeypad("call-keypad:2", device_path("call-2")))
    bridge = run_bridge(bridge_server.url, bridge_server.key, [
        DeviceConfig("led:2", led.path), DeviceConfig("printer:1", printer.path),
        DeviceConfig("call-keypad:2", keypad.path)])
    assert connected(bridge_server, bridge)
    led.mute()
    printer.unplug()
    assert bridge_server.wait_for(lambda: bridge_server.statuses_of("led:2")[-1:] == ["offline"]
                                  and bridge_server.statuses_of("printer:1")[-1:] == ["offline"], TIMEOUT_S)
    bridge_server.emit("print_job", print_job(31))
    keypad.press("call_next")
    assert bridge_server.wait_for(lambda: bool(bridge_server.key_presses) and bool(bridge_server.print_results),
                                  TIMEOUT_S)
    assert bridge_server.print_results[0]["error"] == "offline"
    assert all(worker.is_alive() for worker in bridge.workers.values())


class ServerProcess:
    """The test server in its own process, so that a restart really drops every connection."""

    def __init__(self, port: int, key: str) -> None:
        self.port, self.key = port, key
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(SERVER_SCRIPT), "--port", str(self.port),
                                         "--key", self.key], cwd=PROJECT, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "listening"

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def state(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/control/state", timeout=2) as response:
            return json.loads(response.read())

    def wait_for(self, predicate: Callable[[dict[str, Any]], bool], timeout: float) -> bool:
        return wait_until(lambda: predicate(self.state()), timeout, interval=0.1)


@pytest.fixture
def server_process() -> Iterator[ServerProcess]:
    server = ServerProcess(free_port(), "restart-key")
    server.start()
    yield server
    if server.process and server.process.poll() is None:
        server.kill()


def test_server_restart_while_a_key_is_pressed_delivers_the_press_exactly_once(
        server_process: ServerProcess, run_bridge: RunBridge, devices: StartDevice,
        device_path: Callable[[str], Path]) -> None:
    keypad = devices(SimulatedCallKeypad("call-keypad:2", device_path("call-2")))
    led = devices(SimulatedLedDisplay("led:2", device_path("led-2")))
    url = f"http://127.0.0.1:{server_process.port}"
    bridge = run_bridge(url, server_process.key, [DeviceConfig("call-keypad:2", keypad.path),
                                                  DeviceConfig("led:2", led.path)])
    assert server_process.wait_for(lambda state: len(state["hellos"]) == 1, TIMEOUT_S)

    server_process.kill()
    assert wait_until(lambda: not bridge.hello_done.is_set(), TIMEOUT_S), "the bridge noticed the server is gone"
    assert keypad.press("call_next")
    assert keypad.wait_until_acknowledged(TIMEOUT_S), "the bridge holds the press while the server is down"
    assert [message.event for message in bridge.outbox.pending()].count("key_press") == 1

    server_process.start()
    assert server_process.wait_for(lambda state: len(state["hellos"]) == 1, RECOVERED_WITHIN_S), \
        "reconnected within 5 s of the server coming back"
    assert server_process.wait_for(lambda state: len(state["key_presses"]) >= 1, RECOVERED_WITHIN_S)
    state = server_process.state()
    assert [press["action"] for press in state["key_presses"]] == ["call_next"]
    assert {status["device"] for status in state["device_statuses"]} >= {"call-keypad:2", "led:2"}, \
        "every device's status is sent again after a reconnect"


@pytest.mark.parametrize("signal_number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_bridge_process_shuts_down_cleanly_on_a_signal(
        bridge_server: BridgeTestServer, devices: StartDevice, device_path: Callable[[str], Path],
        tmp_path: Path, signal_number: int) -> None:
    led = devices(SimulatedLedDisplay("led:1", device_path("led-1")))
    keypad = devices(SimulatedCallKeypad("call-keypad:1", device_path("call-1")))
    device_map = write_device_map(tmp_path / "devices.json", [DeviceConfig("led:1", led.path),
                                                              DeviceConfig("call-keypad:1", keypad.path)])
    bridge = subprocess.Popen([sys.executable, "-m", "hardware.bridge", "--server", bridge_server.url,
                               "--key", bridge_server.key, "--device-map", str(device_map)],
                              cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "PYTHONPATH": str(PROJECT)})
    try:
        assert bridge_server.wait_for(lambda: bool(bridge_server.hellos), TIMEOUT_S)
        keypad.press("call_next")
        assert bridge_server.wait_for(lambda: bool(bridge_server.key_presses), TIMEOUT_S)
        bridge.send_signal(signal_number)
        output, _ = bridge.communicate(timeout=TIMEOUT_S)
    finally:
        if bridge.poll() is None:
            bridge.kill()
    assert bridge.returncode == 0, output
    assert "bridge stopping" in output
    assert "Traceback" not in output
