"""Fixtures of the hardware tests: simulated devices on real pty pairs, a real Socket.IO server, the bridge."""
from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bridge_test_server import BridgeTestServer  # noqa: E402

from hardware.bridge.bridge import Bridge, BridgeConfig  # noqa: E402
from hardware.device_config import DeviceConfig  # noqa: E402
from hardware.sim.devices import SimulatedDevice  # noqa: E402

@pytest.fixture
def devices(tmp_path: Path) -> Iterator[Callable[[SimulatedDevice], SimulatedDevice]]:
    """Start simulated devices (their links under tmp_path/dev) and stop them after the test."""
    started: list[SimulatedDevice] = []

    def start(device: SimulatedDevice) -> SimulatedDevice:
        started.append(device.start())
        return device

    yield start
    for device in started:
        device.stop()


@pytest.fixture
def device_path(tmp_path: Path) -> Callable[[str], Path]:
    """A stable path (a symlink the simulator re-points) for the device named `name`."""
    def path(name: str) -> Path:
        return tmp_path / "dev" / name
    return path


@pytest.fixture
def bridge_server() -> Iterator[BridgeTestServer]:
    """A real python-socketio server implementing the server side of the bridge contract."""
    server = BridgeTestServer().start()
    yield server
    server.stop()


@pytest.fixture
def run_bridge() -> Iterator[Callable[..., Bridge]]:
    """Start a Bridge in a thread for the given server and devices; stop it after the test."""
    running: list[tuple[Bridge, threading.Thread]] = []

    def start(server_url: str, key: str, device_configs: list[DeviceConfig], **options: float) -> Bridge:
        bridge = Bridge(BridgeConfig(server_url=server_url, key=key, devices=device_configs, **options))
        thread = threading.Thread(target=bridge.run, name="bridge", daemon=True)
        thread.start()
        running.append((bridge, thread))
        return bridge

    yield start
    for bridge, thread in running:
        bridge.stop()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the bridge did not shut down"


@pytest.fixture(autouse=True)
def _hardware_logging(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hardware")
