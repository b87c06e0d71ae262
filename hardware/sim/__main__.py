"""`python -m hardware.sim`: virtual devices on pty pairs for the demo and for testing without hardware.

    python -m hardware.sim [--device ROLE[,mode=raw,address=N,paper_width_mm=58] ...]
                           [--link-dir var/sim-devices] [--write-device-map var/devices.json]
                           [--control-socket var/hardware-sim.sock] [--print-dir var/sim-printouts]
    python -m hardware.sim --send "press call-keypad:2 call_next"    (to a running simulator)

Prints the path of each device (what the bridge opens), then takes control commands on stdin and on the
control socket until SIGTERM / SIGINT (see hardware/sim/control.py for the commands).
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from hardware.device_config import DeviceConfig, DeviceConfigError, parse_role, write_device_map
from hardware.sim.control import ControlSocketServer, SimulatorSet, send_command
from hardware.sim.devices import (
    SimulatedCallKeypad,
    SimulatedDevice,
    SimulatedLedDisplay,
    SimulatedPrinter,
    SimulatedRatingKeypad,
)

logger = logging.getLogger("hardware.sim")

DEFAULT_DEVICES = ["printer:1", "led:1", "led:2", "led:3", "led:4", "rating-keypad:1", "call-keypad:2"]
DEFAULT_LINK_DIR = Path("var/sim-devices")
DEFAULT_CONTROL_SOCKET = Path("var/hardware-sim.sock")


def _options(argument: str) -> tuple[str, dict[str, str]]:
    role, *parts = argument.split(",")
    options = {}
    for part in parts:
        key, equals, value = part.partition("=")
        if not equals:
            raise DeviceConfigError(f"option {part!r} of {role} is not key=value")
        options[key.strip()] = value.strip()
    parse_role(role)
    return role, options


def build_device(argument: str, link_dir: Path, print_dir: Path | None,
                 default_mode: str) -> tuple[SimulatedDevice, DeviceConfig]:
    """A simulated device for `ROLE[,option=value...]` and the device-map entry the bridge needs for it."""
    role, options = _options(argument)
    kind, number = parse_role(role)
    link_path = (link_dir / f"{kind}-{number}").resolve()
    address = int(options.get("address", 1))
    mode = options.get("mode", default_mode)
    device: SimulatedDevice
    if kind == "printer":
        width_mm = int(options.get("paper_width_mm", 80))
        device = SimulatedPrinter(role, link_path, width_dots=384 if width_mm == 58 else 576, print_dir=print_dir)
        config = DeviceConfig(role=role, url=str(link_path), paper_width_mm=width_mm)
    elif kind == "led":
        device = SimulatedLedDisplay(role, link_path, address=address)
        config = DeviceConfig(role=role, url=str(link_path), address=address)
    elif kind == "rating-keypad":
        device = SimulatedRatingKeypad(role, link_path, address=address, mode=mode)
        config = DeviceConfig(role=role, url=str(link_path), address=address, mode=mode)
    else:
        device = SimulatedCallKeypad(role, link_path, address=address, mode=mode)
        config = DeviceConfig(role=role, url=str(link_path), address=address, mode=mode)
    return device, config


def _read_stdin(simulators: SimulatorSet) -> None:
    for line in sys.stdin:
        answer = simulators.execute(line.strip())
        if answer:
            print(answer, flush=True)
    # End of input is not a reason to stop: the demo runs the simulator without a terminal.


def main(argv: list[str] | None = None) -> int:
    """Run the simulator (or send one command to a running one with --send)."""
    parser = argparse.ArgumentParser(prog="python -m hardware.sim", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", action="append", metavar="ROLE[,option=value]",
                        help=f"a device to simulate (repeatable); default: {' '.join(DEFAULT_DEVICES)}")
    parser.add_argument("--keypad-mode", choices=("framed", "raw"), default="framed")
    parser.add_argument("--link-dir", type=Path, default=DEFAULT_LINK_DIR,
                        help="folder of stable symlinks to the pty devices (default %(default)s)")
    parser.add_argument("--write-device-map", type=Path, metavar="FILE", help="write the bridge's device map here")
    parser.add_argument("--control-socket", type=Path, default=DEFAULT_CONTROL_SOCKET)
    parser.add_argument("--print-dir", type=Path, help="save a PNG preview of every printed ticket here")
    parser.add_argument("--no-stdin", action="store_true", help="do not read control commands from stdin")
    parser.add_argument("--send", metavar="COMMAND", help="send COMMAND to a running simulator and print the answer")
    parser.add_argument("--log-level", default="INFO")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=arguments.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        force=True)  # python-escpos calls logging.basicConfig() when imported

    if arguments.send:
        try:
            print(send_command(arguments.control_socket, arguments.send))
        except OSError as error:
            print(f"no simulator answers on {arguments.control_socket}: {error}", file=sys.stderr)
            return 1
        return 0

    try:
        built = [build_device(argument, arguments.link_dir, arguments.print_dir, arguments.keypad_mode)
                 for argument in (arguments.device or DEFAULT_DEVICES)]
    except (DeviceConfigError, ValueError) as error:
        parser.error(str(error))
    devices = [device.start() for device, _ in built]
    simulators = SimulatorSet(devices)
    if arguments.write_device_map:
        write_device_map(arguments.write_device_map, [config for _, config in built])
    control = ControlSocketServer(simulators, arguments.control_socket)
    control.start()

    for device in devices:
        print(f"{device.role:18} {device.path}  ({device.port.slave_name})", flush=True)
    if arguments.write_device_map:
        print(f"device map: {arguments.write_device_map}", flush=True)
    print(f"control: python -m hardware.sim --control-socket {arguments.control_socket} --send \"help\"",
          flush=True)

    stop = threading.Event()

    def request_stop(signal_number: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    if not arguments.no_stdin:
        threading.Thread(target=_read_stdin, args=(simulators,), name="sim-stdin", daemon=True).start()
    stop.wait()
    logger.info("stopping the simulated devices")
    control.stop()
    for device in devices:
        device.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
