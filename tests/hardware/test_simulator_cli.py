"""`python -m hardware.sim` as the demo runs it: devices on ptys, a device map, control commands, clean exit."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hardware_test_support import wait_until

from hardware.device_config import DeviceConfigError, load_device_map, parse_device_argument, write_device_map
from hardware.drivers.keypads import FramedCallKeypad
from hardware.drivers.link import FramedLink
from hardware.drivers.printer import EscPosPrinter
from hardware.sim.control import SimulatorSet, send_command
from hardware.sim.devices import SimulatedLedDisplay, SimulatedPrinter, SimulatedRatingKeypad
from hardware.transport import SerialTransport

PROJECT = Path(__file__).resolve().parents[2]


def test_simulator_presents_devices_writes_a_device_map_and_obeys_commands(tmp_path: Path) -> None:
    device_map = tmp_path / "devices.json"
    control = tmp_path / "sim.sock"
    simulator = subprocess.Popen(
        [sys.executable, "-m", "hardware.sim", "--device", "printer:1,paper_width_mm=58", "--device", "led:3",
         "--device", "call-keypad:2", "--device", "rating-keypad:1,mode=raw", "--link-dir", str(tmp_path / "dev"),
         "--write-device-map", str(device_map), "--control-socket", str(control), "--no-stdin"],
        cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT)})
    try:
        assert wait_until(lambda: device_map.exists() and control.exists(), 10)
        devices = {device.role: device for device in load_device_map(device_map)}
        assert set(devices) == {"printer:1", "led:3", "call-keypad:2", "rating-keypad:1"}
        assert devices["printer:1"].paper_width_mm == 58 and devices["rating-keypad:1"].mode == "raw"
        assert all(Path(device.url).resolve().as_posix().startswith("/dev/pts/") for device in devices.values())

        assert send_command(control, "press call-keypad:2 call_next").startswith("ok")
        keypad = FramedCallKeypad(FramedLink(SerialTransport(devices["call-keypad:2"].url)))
        presses = keypad.read_presses(0)
        assert [press.meaning for press in presses] == ["call_next"]
        keypad.acknowledge(presses[0])

        assert send_command(control, "paper printer:1 out").startswith("ok")
        printer = EscPosPrinter(SerialTransport(devices["printer:1"].url))
        assert printer.status().word == "paper_out"
        assert "paper out" in send_command(control, "status")
        assert send_command(control, "press led:3 1").startswith("error")
        keypad.link.transport.close()
        printer.transport.close()
    finally:
        simulator.send_signal(signal.SIGTERM)
        output, _ = simulator.communicate(timeout=10)
    assert simulator.returncode == 0, output
    assert "call-keypad:2" in output and "/dev/pts/" in output
    assert not (tmp_path / "dev" / "printer-1").exists(), "links are removed on exit"


def test_control_commands_answer_ok_or_a_helpful_error(tmp_path: Path) -> None:
    printer = SimulatedPrinter("printer:1", tmp_path / "printer-1").start()
    keypad = SimulatedRatingKeypad("rating-keypad:1", tmp_path / "rating-1").start()
    led = SimulatedLedDisplay("led:1", tmp_path / "led-1").start()
    try:
        simulators = SimulatorSet([printer, keypad, led])
        assert simulators.execute("paper printer:1 out") == "ok printer:1 paper out" and not printer.has_paper
        assert "refused" in simulators.execute("press rating-keypad:1 5"), "no rating window is open"
        assert simulators.execute("mute led:1 on").startswith("ok") and led.muted
        assert simulators.execute("unplug led:1").startswith("ok") and not Path(led.path).exists()
        assert simulators.execute("plug led:1").startswith("ok") and Path(led.path).exists()
        assert simulators.execute("press printer:1 5").startswith("error")
        assert simulators.execute("paper led:9 in").startswith("error no device led:9")
        assert "press call-keypad:2 call_next" in simulators.execute("help")
    finally:
        for device in (printer, keypad, led):
            device.stop()


def test_device_arguments_carry_per_device_options() -> None:
    device = parse_device_argument("rating-keypad:4=socket://127.0.0.1:4001,baud=19200,mode=raw,keymap=1:5;2:1")
    assert (device.kind, device.number, device.url, device.baud, device.mode, device.keymap) == (
        "rating-keypad", 4, "socket://127.0.0.1:4001", 19200, "raw", "1:5;2:1")
    assert parse_device_argument("led:2=/dev/ttyUSB0", default_baud=115200).baud == 115200


def test_bad_device_arguments_are_refused_with_a_reason() -> None:
    for argument, reason in [("lamp:1=/dev/ttyS0", "not one of"), ("led:1", "ROLE=URL"),
                             ("led:1=/dev/ttyS0,mode=raw", "only keypads"),
                             ("printer:1=/dev/x,paper_width_mm=70", "58 or 80"),
                             ("led:1=/dev/ttyS0,baud=fast", "whole number")]:
        with pytest.raises(DeviceConfigError, match=reason):
            parse_device_argument(argument)


def test_device_map_file_round_trips(tmp_path: Path) -> None:
    devices = [parse_device_argument("printer:1=/dev/ttyUSB0,paper_width_mm=58"),
               parse_device_argument("call-keypad:2=/dev/ttyUSB1,mode=raw,address=3")]
    path = write_device_map(tmp_path / "map.json", devices)
    assert json.loads(path.read_text())["devices"][0] == {"role": "printer:1", "url": "/dev/ttyUSB0", "baud": 9600,
                                                          "address": 1, "paper_width_mm": 58}
    assert load_device_map(path) == devices
