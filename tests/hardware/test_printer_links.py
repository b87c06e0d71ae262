"""Every common printer prints: usblp-style raw devices (a FIFO stands in for /dev/usb/lp0), serial
printers that never answer real-time status, network printers on port 9100 through python-escpos, and
the status modes escpos | none | auto that decide whether the bridge asks DLE EOT (docs/bridge.md)."""
from __future__ import annotations

import copy
import os
import select
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bridge_test_server import BridgeTestServer
from hardware_test_support import wait_until

from hardware.bridge.__main__ import build_parser
from hardware.bridge.bridge import Bridge
from hardware.device_config import DeviceConfig, DeviceConfigError, load_device_map, parse_device_argument
from hardware.drivers.printer import EscPosPrinter
from hardware.errors import PortUnavailable
from hardware.printing.escpos_reader import Cut, EscPosReader, QrCode, TextLine
from hardware.printing.samples import SAMPLE_JOB
from hardware.printing.ticket import PROFILE_80, TicketRenderer
from hardware.sim.devices import SimulatedPrinter
from hardware.transport import (
    EscposTransport,
    RawDeviceTransport,
    SerialTransport,
    is_raw_device,
    printer_transport_for,
)

TIMEOUT_S = 10.0
DLE_EOT_1 = b"\x10\x04\x01"
RunBridge = Callable[..., Bridge]


def print_job(job_id: int) -> dict:
    job = copy.deepcopy(SAMPLE_JOB)
    job.update(job_id=job_id, kiosk_id=1)
    return job


def ticket_bytes() -> bytes:
    return TicketRenderer().render(print_job(1), PROFILE_80)


def assert_whole_ticket(data: bytes) -> None:
    """The bytes read back as a ticket: its number, its QR code and, last, its cut."""
    blocks = EscPosReader().parse(data)
    assert any(isinstance(block, TextLine) and block.text == SAMPLE_JOB["ticket"]["number"] for block in blocks)
    assert [block.data.decode() for block in blocks if isinstance(block, QrCode)] == [SAMPLE_JOB["ticket"]["public_url"]]
    assert isinstance(blocks[-1], Cut), "the ticket ends with its cut"


class ByteSink:
    """Collects whatever a writer sends into a FIFO or an accepted TCP connection."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def add(self, chunk: bytes) -> None:
        with self.lock:
            self.data += chunk

    def snapshot(self) -> bytes:
        with self.lock:
            return bytes(self.data)


@pytest.fixture
def fifo_printer(tmp_path: Path) -> Iterator[tuple[str, ByteSink]]:
    """A FIFO standing in for /dev/usb/lp0, with a reader that keeps every byte written to it."""
    path = tmp_path / "lp0"
    os.mkfifo(path)
    sink = ByteSink()
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)

    def read() -> None:
        while not sink.stop.is_set():
            readable, _, _ = select.select([descriptor], [], [], 0.05)
            if readable:
                chunk = os.read(descriptor, 65536)
                if chunk:
                    sink.add(chunk)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    yield str(path), sink
    sink.stop.set()
    thread.join(timeout=2)
    os.close(descriptor)


@pytest.fixture
def silent_network_printer() -> Iterator[tuple[str, ByteSink]]:
    """A TCP printer on a free port that takes every byte and never answers anything."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    sink = ByteSink()

    def serve() -> None:
        while not sink.stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(0.1)
                while not sink.stop.is_set():
                    try:
                        chunk = connection.recv(65536)
                    except TimeoutError:
                        continue
                    if not chunk:
                        break
                    sink.add(chunk)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"socket://127.0.0.1:{listener.getsockname()[1]}", sink
    sink.stop.set()
    thread.join(timeout=2)
    listener.close()


def connected(server: BridgeTestServer, bridge: Bridge) -> bool:
    return server.wait_for(lambda: bool(server.hellos), TIMEOUT_S) and bridge.hello_done.wait(TIMEOUT_S)


def status_messages(server: BridgeTestServer, device: str) -> list[tuple[str, str]]:
    with server.condition:
        return [(status["status"], status["message"]) for status in server.device_statuses if status["device"] == device]


def test_a_fifo_standing_in_for_usblp_prints_the_whole_ticket_and_is_never_asked_for_status(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, fifo_printer: tuple[str, ByteSink]) -> None:
    path, sink = fifo_printer
    bridge = run_bridge(bridge_server.url, bridge_server.key, [parse_device_argument(f"printer:1={path}")])
    assert isinstance(bridge.workers["printer:1"].transport, RawDeviceTransport)
    assert connected(bridge_server, bridge)
    assert bridge_server.wait_for(lambda: ("online", "status unknown") in status_messages(bridge_server, "printer:1"),
                                  TIMEOUT_S)
    bridge_server.emit("print_job", print_job(21))
    assert bridge_server.wait_for(lambda: bool(bridge_server.print_results), TIMEOUT_S)
    assert bridge_server.print_results[0] == {"job_id": 21, "ok": True, "error": None, "message": "đã in"}
    expected = ticket_bytes()
    assert wait_until(lambda: len(sink.snapshot()) >= len(expected), TIMEOUT_S)
    assert sink.snapshot() == expected, "exactly the ticket: no status request went down a write-only link"
    assert_whole_ticket(sink.snapshot())


def silent_pty_printer(bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: Callable,
                       device_path: Callable[[str], Path], mode: str) -> SimulatedPrinter:
    """A simulated serial printer that never answers status, driven by a connected bridge in `mode`."""
    printer = SimulatedPrinter("printer:1", device_path("printer-1"))
    printer.set_responding(False)
    devices(printer)
    bridge = run_bridge(bridge_server.url, bridge_server.key,
                        [parse_device_argument(f"printer:1={printer.path},printer_status={mode}")])
    assert connected(bridge_server, bridge)
    return printer


@pytest.mark.parametrize("mode, status_requests", [("auto", 1), ("none", 0)])
def test_a_serial_printer_that_never_answers_status_still_prints_the_whole_ticket(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: Callable, device_path: Callable[[str], Path],
        mode: str, status_requests: int) -> None:
    printer = silent_pty_printer(bridge_server, run_bridge, devices, device_path, mode)
    bridge_server.emit("print_job", print_job(22))
    assert printer.wait_for_tickets(1, TIMEOUT_S)
    assert bridge_server.wait_for(lambda: bool(bridge_server.print_results), TIMEOUT_S)
    assert bridge_server.print_results[0]["ok"] is True
    assert printer.tickets[0] == ticket_bytes()
    assert_whole_ticket(printer.tickets[0])
    assert printer.status_queries == status_requests, "auto asks once, then never again; none never asks"
    assert bridge_server.statuses_of("printer:1") == ["online"], "never reported offline for its silence"


def test_in_escpos_mode_a_silent_printer_is_offline_and_nothing_is_printed(
        bridge_server: BridgeTestServer, run_bridge: RunBridge, devices: Callable,
        device_path: Callable[[str], Path]) -> None:
    printer = silent_pty_printer(bridge_server, run_bridge, devices, device_path, "escpos")
    assert bridge_server.wait_for(lambda: "offline" in bridge_server.statuses_of("printer:1"), TIMEOUT_S)
    bridge_server.emit("print_job", print_job(23))
    assert bridge_server.wait_for(lambda: bool(bridge_server.print_results), TIMEOUT_S)
    assert bridge_server.print_results[0]["error"] == "offline"
    assert printer.tickets == []


def test_a_network_printer_on_port_9100_prints_through_python_escpos_without_answering_status(
        bridge_server: BridgeTestServer, run_bridge: RunBridge,
        silent_network_printer: tuple[str, ByteSink]) -> None:
    url, sink = silent_network_printer
    bridge = run_bridge(bridge_server.url, bridge_server.key, [parse_device_argument(f"printer:1={url}")])
    assert isinstance(bridge.workers["printer:1"].transport, EscposTransport)
    assert connected(bridge_server, bridge)
    bridge_server.emit("print_job", print_job(24))
    assert bridge_server.wait_for(lambda: bool(bridge_server.print_results), TIMEOUT_S)
    assert bridge_server.print_results[0]["ok"] is True
    expected = DLE_EOT_1 + ticket_bytes()
    assert wait_until(lambda: len(sink.snapshot()) >= len(expected), TIMEOUT_S)
    assert sink.snapshot() == expected, "auto asked DLE EOT 1 once, heard nothing, then printed"
    assert_whole_ticket(sink.snapshot())


def test_a_network_printer_that_answers_status_is_checked_before_and_after_each_ticket(
        devices: Callable, device_path: Callable[[str], Path]) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    received = ByteSink()

    def answer_status() -> None:
        connection, _ = listener.accept()
        with connection:
            while chunk := connection.recv(65536):
                received.add(chunk)
                connection.sendall(b"\x12" * chunk.count(b"\x10\x04"))  # online, paper present

    thread = threading.Thread(target=answer_status, daemon=True)
    thread.start()
    printer = EscPosPrinter(printer_transport_for(f"socket://127.0.0.1:{listener.getsockname()[1]}"),
                            status_mode="auto")
    printer.print_bytes(b"\x1b@1005\n\x1dV\x00")
    assert printer.status_mode == "escpos"
    printer.transport.close()
    thread.join(timeout=2)
    listener.close()
    assert received.snapshot().count(b"\x10\x04") == 4, "two questions (DLE EOT 1 and 4) before and after"


def test_a_fifo_without_reader_is_offline_until_someone_reads(tmp_path: Path) -> None:
    path = tmp_path / "lp1"
    os.mkfifo(path)
    transport = RawDeviceTransport(str(path))
    with pytest.raises(PortUnavailable):
        transport.open()  # ENXIO at once: a missing reader never blocks the worker
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    transport.open()
    transport.write(b"\x1b@")
    assert os.read(descriptor, 16) == b"\x1b@"
    os.close(descriptor)
    with pytest.raises(PortUnavailable):
        transport.write(b"more")  # the reader left: EPIPE, reported and reopened later
    transport.close()


def test_printer_urls_choose_their_transport(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    master, slave = os.openpty()
    try:
        assert is_raw_device("/dev/usb/lp0"), "usblp's node is raw even while the printer is unplugged"
        assert is_raw_device(str(fifo)) and is_raw_device("/dev/null")
        assert not is_raw_device(os.ttyname(slave)), "a pty is a tty: a serial printer"
        assert isinstance(printer_transport_for(os.ttyname(slave)), SerialTransport)
        assert isinstance(printer_transport_for("/dev/ttyUSB9"), SerialTransport)
        assert isinstance(printer_transport_for("/dev/usb/lp3"), RawDeviceTransport)
        network = printer_transport_for("socket://10.0.0.9")
        assert isinstance(network, EscposTransport) and (network.printer.host, network.printer.port) == ("10.0.0.9", 9100)
        usb = printer_transport_for("usb://04b8:0202?out_ep=0x03")
        assert isinstance(usb, EscposTransport)
        assert usb.printer.usb_args == {"idVendor": 0x04B8, "idProduct": 0x0202} and usb.printer.out_ep == 3
        with pytest.raises(PortUnavailable):
            usb.open()  # no such printer here (or no libusb): unavailable, never a crash
        with pytest.raises(ValueError):
            printer_transport_for("usb://epson")
    finally:
        os.close(master)
        os.close(slave)


def test_status_mode_comes_from_the_device_argument_the_map_and_the_command_line(tmp_path: Path) -> None:
    assert parse_device_argument("printer:1=/dev/usb/lp0").printer_status == "auto"
    assert parse_device_argument("printer:1=/dev/usb/lp0", default_printer_status="none").printer_status == "none"
    assert parse_device_argument("printer:1=/dev/ttyS0,printer_status=escpos").printer_status == "escpos"
    with pytest.raises(DeviceConfigError, match="printer_status"):
        parse_device_argument("printer:1=/dev/ttyS0,printer_status=maybe")
    device_map = tmp_path / "devices.json"
    device_map.write_text('{"devices": [{"role": "printer:2", "url": "/dev/usb/lp0", "printer_status": "none"},'
                          ' {"role": "printer:3", "url": "socket://10.0.0.9:9100"}]}')
    assert [d.printer_status for d in load_device_map(device_map, default_printer_status="escpos")] == ["none", "escpos"]
    assert build_parser().parse_args(["--key", "k", "--printer-status", "none"]).printer_status == "none"
    assert build_parser().parse_args(["--key", "k"]).printer_status == "auto"
    assert DeviceConfig("printer:1", "/dev/usb/lp0").printer_status == "auto"


def test_simulated_printer_numbers_its_printouts_on_after_a_restart(tmp_path: Path,
                                                                    device_path: Callable[[str], Path]) -> None:
    printouts = tmp_path / "printouts"
    printouts.mkdir()
    (printouts / "printer-1-0007.png").write_bytes(b"an earlier run's ticket")
    printer = SimulatedPrinter("printer:1", device_path("printer-1"), print_dir=printouts).start()
    try:
        printer.port.on_data(ticket_bytes())
        assert printer.wait_for_tickets(1, TIMEOUT_S)
    finally:
        printer.stop()
    assert (printouts / "printer-1-0007.png").read_bytes() == b"an earlier run's ticket", "never overwritten"
    assert (printouts / "printer-1-0008.png").exists()
