"""Serial keypads end to end: `python -m hardware.sim` (virtual keypads on pty pairs) and
`python -m hardware.bridge` (a real Socket.IO client) against a real server process.

A clerk's call keypad ends in the same `ticket_called` as the console's button; a citizen's rating keypad
(framed protocol or raw one-byte-per-key) ends in the same kind of rating row as the terminal: bound to
the ticket, its clerk and its counter, with channel `keypad`.
"""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from hardware.sim.control import send_command
from server.models import Rating
from server.settings import PROJECT_ROOT
from tests.conftest import stop_process

TPHT = 1
WAIT_S = 30.0


@pytest.fixture
def supervisor_events(live_server, socket_listener):  # type: ignore[no-untyped-def]
    """A python-socketio client logged in as giamsat (site and dashboard rooms)."""
    return socket_listener(live_server.url, {"token": live_server.login("giamsat")})


@dataclass
class Hardware:
    """The running simulator and bridge processes."""

    control_socket: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def send(self, command: str) -> str:
        return send_command(self.control_socket, command)

    def wait_until_status(self, text: str, timeout: float = WAIT_S) -> None:
        """Wait until the simulator's `status` answer contains `text` (e.g. a keypad's open window)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.send("status"):
                return
            threading.Event().wait(0.1)
        raise AssertionError(f"simulator never reported {text!r}: {self.send('status')}\n{self.output()}")

    def output(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-3000:] for path in self.logs if path.exists())

    def stop(self) -> None:
        for process in reversed(self.processes):
            stop_process(process)


@pytest.fixture
def hardware(live_server, tmp_path: Path) -> Iterator[Callable[..., Hardware]]:  # type: ignore[no-untyped-def]
    """`hardware("rating-keypad:1", "call-keypad:1,mode=raw")` starts the simulator and a bridge on them."""
    started: list[Hardware] = []

    def start(*devices: str) -> Hardware:
        control = tmp_path / "sim.sock"
        device_map = tmp_path / "devices.json"
        running = Hardware(control)
        started.append(running)
        sim_log, bridge_log = tmp_path / "sim.log", tmp_path / "bridge.log"
        running.logs += [sim_log, bridge_log]
        sim_command = [sys.executable, "-m", "hardware.sim", "--link-dir", str(tmp_path / "links"),
                       "--write-device-map", str(device_map), "--control-socket", str(control), "--no-stdin"]
        for device in devices:
            sim_command += ["--device", device]
        running.processes.append(subprocess.Popen(sim_command, cwd=PROJECT_ROOT, stdout=sim_log.open("wb"),
                                                  stderr=subprocess.STDOUT))
        deadline = time.monotonic() + WAIT_S
        while not (device_map.exists() and control.exists()):
            assert running.processes[0].poll() is None, running.output()
            assert time.monotonic() < deadline, "the simulator did not start:\n" + running.output()
            threading.Event().wait(0.1)
        running.processes.append(subprocess.Popen(
            [sys.executable, "-m", "hardware.bridge", "--server", live_server.url, "--key", "demo-bridge-1",
             "--device-map", str(device_map)],
            cwd=PROJECT_ROOT, stdout=bridge_log.open("wb"), stderr=subprocess.STDOUT))
        return running

    yield start
    for running in started:
        running.stop()


def rating_row(live_server, ticket_id: int) -> Rating:  # type: ignore[no-untyped-def]
    engine = create_engine(live_server.database_url)
    try:
        with Session(engine) as session:
            return session.scalars(select(Rating).where(Rating.ticket_id == ticket_id)).one()
    finally:
        engine.dispose()


def issue(live_server) -> dict:  # type: ignore[no-untyped-def]
    answer = live_server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": TPHT})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_call_keypad_press_calls_the_next_citizen_and_a_framed_rating_keypad_rates_them(  # type: ignore[no-untyped-def]
        live_server, supervisor_events, hardware) -> None:
    devices = hardware("call-keypad:1", "rating-keypad:1")
    for device in ("call-keypad:1", "rating-keypad:1"):
        supervisor_events.wait_for("device_status", lambda e, d=device: e["device"] == d and e["status"] == "online", timeout=WAIT_S)
    ticket = issue(live_server)

    assert "refused" not in devices.send("press call-keypad:1 call_next")
    called = supervisor_events.wait_for("ticket_called", lambda e: e["id"] == ticket["id"], timeout=WAIT_S)
    assert called["counter_id"] == 1 and called["counter_number"] == 1

    assert "refused" not in devices.send("press call-keypad:1 finish")
    supervisor_events.wait_for("ticket_finished", lambda e: e["id"] == ticket["id"], timeout=WAIT_S)
    devices.wait_until_status("rating-keypad:1 plugged, framed, window open")
    assert "refused" not in devices.send("press rating-keypad:1 2")

    received = supervisor_events.wait_for("rating_received", lambda e: e["ticket_id"] == ticket["id"], timeout=WAIT_S)
    assert (received["score"], received["channel"], received["counter_id"], received["clerk_id"]) == (2, "keypad", 1, 1)
    rating = rating_row(live_server, ticket["id"])
    assert (rating.channel.value, rating.counter_id, rating.clerk_id, rating.service_id, rating.score) == ("keypad", 1, 1, TPHT, 2)


def test_a_raw_rating_keypad_rates_the_ticket_just_finished(live_server, supervisor_events, hardware) -> None:  # type: ignore[no-untyped-def]
    devices = hardware("rating-keypad:1,mode=raw")
    supervisor_events.wait_for("device_status", lambda e: e["device"] == "rating-keypad:1" and e["status"] == "online", timeout=WAIT_S)
    clerk = live_server.login("canbo1")
    ticket = issue(live_server)
    assert live_server.api("POST", "/counters/1/call-next", token=clerk).json()["id"] == ticket["id"]
    assert live_server.api("POST", f"/tickets/{ticket['id']}/finish", token=clerk).status_code == 200

    assert "refused" not in devices.send("press rating-keypad:1 5")
    received = supervisor_events.wait_for("rating_received", lambda e: e["ticket_id"] == ticket["id"], timeout=WAIT_S)
    assert (received["score"], received["channel"], received["counter_id"], received["clerk_id"]) == (5, "keypad", 1, 1)
    rating = rating_row(live_server, ticket["id"])
    assert (rating.channel.value, rating.counter_id, rating.clerk_id, rating.score) == ("keypad", 1, 1, 5)
