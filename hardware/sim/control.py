"""Line commands that drive running simulated devices, over stdin or a local Unix socket.

    status                          every device's state
    press rating-keypad:1 5         a citizen presses the key for score 5
    press call-keypad:2 call_next   a clerk presses a call keypad key
    paper printer:1 out|in          take the paper out / load a roll
    unplug DEVICE / plug DEVICE     pull the cable / plug it back
    mute DEVICE on|off              the device stops / resumes answering
    garbage DEVICE                  send line noise to the host
    help
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterable
from pathlib import Path

from hardware.sim.devices import (
    SimulatedCallKeypad,
    SimulatedDevice,
    SimulatedFramedDevice,
    SimulatedPrinter,
    SimulatedRatingKeypad,
)

logger = logging.getLogger(__name__)

HELP = (__doc__ or "").strip()
NOISE = bytes((0x00, 0xFF, 0x7E, 0x13, 0x37, 0x7E, 0x7D, 0x7E, 0x55, 0xAA))


class ControlError(ValueError):
    """A control command that cannot be carried out; the message is the answer."""


class SimulatorSet:
    """The running simulated devices, by role, and the control commands on them."""

    def __init__(self, devices: Iterable[SimulatedDevice]) -> None:
        self.devices: dict[str, SimulatedDevice] = {device.role: device for device in devices}

    def device(self, role: str) -> SimulatedDevice:
        """The device with `role`; ControlError if there is none."""
        if role not in self.devices:
            raise ControlError(f"no device {role}; devices: {', '.join(self.devices)}")
        return self.devices[role]

    def execute(self, line: str) -> str:
        """Carry out one command line; the answer starts with "ok" or "error"."""
        words = line.split()
        if not words:
            return ""
        try:
            return "ok " + self._execute(words[0].lower(), words[1:])
        except (ControlError, ValueError) as error:
            return f"error {error}"

    def _execute(self, command: str, arguments: list[str]) -> str:
        if command == "help":
            return HELP
        if command == "status":
            return "\n".join(device.describe() for device in self.devices.values())
        if not arguments:
            raise ControlError(f"{command} needs a device; try help")
        device = self.device(arguments[0])
        if command == "press":
            if len(arguments) != 2:
                raise ControlError("press DEVICE KEY")
            if isinstance(device, SimulatedRatingKeypad):
                accepted = device.press(int(arguments[1]))
            elif isinstance(device, SimulatedCallKeypad):
                accepted = device.press(arguments[1])
            else:
                raise ControlError(f"{device.role} has no keys")
            return f"{device.role} pressed {arguments[1]}" + ("" if accepted else " (refused by the keypad)")
        if command == "paper":
            if not isinstance(device, SimulatedPrinter) or len(arguments) != 2 or arguments[1] not in ("in", "out"):
                raise ControlError("paper PRINTER in|out")
            device.set_paper(arguments[1] == "in")
            return f"{device.role} paper {arguments[1]}"
        if command == "unplug":
            device.unplug()
            return f"{device.role} unplugged"
        if command == "plug":
            device.plug()
            return f"{device.role} plugged at {device.path}"
        if command == "mute":
            if not isinstance(device, SimulatedFramedDevice) or len(arguments) != 2:
                raise ControlError("mute FRAMED-DEVICE on|off")
            device.mute(arguments[1] == "on")
            return f"{device.role} mute {arguments[1]}"
        if command == "garbage":
            device.send_raw(NOISE)
            return f"{device.role} sent {len(NOISE)} bytes of noise"
        raise ControlError(f"unknown command {command!r}; try help")


class ControlSocketServer:
    """Serves control commands on a Unix socket: one command per line, one answer per command ending in a blank line."""

    def __init__(self, simulators: SimulatorSet, path: Path | str) -> None:
        self.simulators = simulators
        self.path = Path(path)
        self._socket: socket.socket | None = None
        self._stop = threading.Event()

    def start(self) -> None:
        """Bind the socket (replacing a stale one) and accept connections in a thread."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() or self.path.is_symlink():
            self.path.unlink()
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.path))
        os.chmod(self.path, 0o600)
        server.listen(4)
        server.settimeout(0.2)
        self._socket = server
        threading.Thread(target=self._accept_loop, name="sim-control", daemon=True).start()

    def stop(self) -> None:
        """Close the socket and remove its file."""
        self._stop.set()
        if self._socket is not None:
            self._socket.close()
        if self.path.exists():
            self.path.unlink()

    def _accept_loop(self) -> None:
        assert self._socket is not None
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rw", encoding="utf-8", newline="\n") as stream:
            for line in stream:
                stream.write(self.simulators.execute(line.strip()) + "\n\n")
                stream.flush()


def send_command(path: Path | str, line: str, timeout: float = 5.0) -> str:
    """Send one command to a running simulator's control socket and return its answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(timeout)
        client.connect(str(path))
        client.sendall(line.strip().encode("utf-8") + b"\n")
        answer = b""
        while not answer.endswith(b"\n\n"):
            chunk = client.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer.decode("utf-8").rstrip("\n")
