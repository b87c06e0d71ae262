"""SerialTransport over real ports: pty pairs, loop://, socket://; losing a port and finding it again."""
from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path

import pytest
from hardware_test_support import RECOVERY_S, SLACK_S, wait_until

from hardware.errors import PortUnavailable
from hardware.sim.pty_port import PtyPort
from hardware.transport import SerialTransport


class Echo:
    """The far end of a pty pair that answers every chunk with the same bytes."""

    def __init__(self, link_path: Path) -> None:
        self.received = bytearray()
        self.port = PtyPort(self._on_data, link_path=link_path, name="echo")

    def _on_data(self, data: bytes) -> None:
        self.received += data
        self.port.write(data)


def read_until(transport: SerialTransport, expected: bytes, timeout: float = 2.0) -> bytes:
    received = bytearray()
    wait_until(lambda: received.extend(transport.read(timeout=0.05)) or received == expected, timeout)
    return bytes(received)


def test_transport_writes_and_reads_over_a_pty_pair(tmp_path: Path) -> None:
    echo = Echo(tmp_path / "echo")
    echo.port.plug()
    transport = SerialTransport(str(tmp_path / "echo"), baudrate=9600)
    try:
        transport.write(b"\x7e\x01\x02hello")
        assert read_until(transport, b"\x7e\x01\x02hello") == b"\x7e\x01\x02hello"
    finally:
        transport.close()
        echo.port.unplug()


def test_transport_works_over_loop_url() -> None:
    transport = SerialTransport("loop://", baudrate=115200)
    transport.write(b"ping")
    assert read_until(transport, b"ping") == b"ping"
    transport.close()


def test_transport_works_over_socket_url() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    finished = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.sendall(connection.recv(64).upper())
            finished.wait(5)

    threading.Thread(target=serve, daemon=True).start()
    transport = SerialTransport(f"socket://127.0.0.1:{port}")
    try:
        transport.write(b"abc")
        assert read_until(transport, b"ABC") == b"ABC"
    finally:
        finished.set()
        transport.close()
        listener.close()


def test_opening_a_missing_port_raises_port_unavailable(tmp_path: Path) -> None:
    with pytest.raises(PortUnavailable):
        SerialTransport(str(tmp_path / "no-such-tty")).open()


def test_transport_notices_a_vanished_port_and_reopens_it_when_it_comes_back(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="hardware.transport")
    link = tmp_path / "echo"
    echo = Echo(link)
    echo.port.plug()
    transport = SerialTransport(str(link))
    transport.write(b"one")
    assert read_until(transport, b"one") == b"one"

    echo.port.unplug()
    with pytest.raises(PortUnavailable):
        for _ in range(20):  # the loss shows at the next read or write
            transport.write(b"x")
            transport.read(timeout=0.05)
    assert not transport.is_open
    stop = threading.Event()
    reopened = threading.Event()
    threading.Thread(target=lambda: transport.ensure_open(stop) and reopened.set(), daemon=True).start()
    assert not reopened.wait(0.5), "nothing to reopen while unplugged"

    echo.port.plug()  # a new pty pair behind the same path (the pty's own name may differ)
    assert reopened.wait(RECOVERY_S + SLACK_S)
    transport.write(b"two")
    assert read_until(transport, b"two") == b"two"
    stop.set()
    transport.close()
    echo.port.unplug()
    losses = [record for record in caplog.records if "unavailable" in record.getMessage()]
    assert len(losses) == 1, "the loss is logged once, not at every retry"
