"""A real python-socketio server that plays the server side of the bridge contract (docs/bridge.md).

Used in-process by the bridge tests (`BridgeTestServer`), or as a separate process (`python
tests/hardware/bridge_test_server.py --port N --key K`) for the server-restart test, where the test
drives it through a small HTTP control API (/control/state, /control/emit).
"""
from __future__ import annotations

import argparse
import json
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import socketio
from werkzeug.serving import BaseWSGIServer, make_server

logger = logging.getLogger(__name__)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BridgeTestServer:
    """Accepts one bridge key, records everything the bridge sends, emits what a test asks for."""

    def __init__(self, key: str = "test-bridge-key", port: int | None = None) -> None:
        self.key = key
        self.port = port or free_port()
        self.sio = socketio.Server(async_mode="threading", logger=False, engineio_logger=False)
        self.condition = threading.Condition()
        self.connections = 0
        self.refused = 0
        self.hellos: list[dict[str, Any]] = []
        self.device_statuses: list[dict[str, Any]] = []
        self.key_presses: list[dict[str, Any]] = []
        self.ratings: list[dict[str, Any]] = []
        self.print_results: list[dict[str, Any]] = []
        self.acks_to_delay: dict[str, int] = {}
        self.ack_delay_s = 3.0
        self.reject_devices: set[str] = set()
        self.counters: list[dict[str, Any]] = []
        self.seq = 0
        self.site_id = 1
        self.bridge_sid: str | None = None
        self._http: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._register()

    # --- recording -------------------------------------------------------------------------------

    def _record(self, collection: list[dict[str, Any]], data: dict[str, Any]) -> None:
        with self.condition:
            collection.append(data)
            self.condition.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """True once `predicate()` holds (checked whenever something arrives), False after `timeout`."""
        with self.condition:
            return self.condition.wait_for(predicate, timeout=timeout)

    def unique_presses(self) -> dict[str, dict[str, Any]]:
        """Key presses by press_id (the server side deduplication)."""
        with self.condition:
            return {press["press_id"]: press for press in self.key_presses}

    def statuses_of(self, device: str) -> list[str]:
        """The statuses reported for `device`, in order."""
        with self.condition:
            return [status["status"] for status in self.device_statuses if status["device"] == device]

    def _delay_ack(self, event: str) -> None:
        """Answer late when asked to: the bridge's wait for the acknowledgement times out first."""
        with self.condition:
            late = self.acks_to_delay.get(event, 0) > 0
            if late:
                self.acks_to_delay[event] -= 1
        if late:
            threading.Event().wait(self.ack_delay_s)

    # --- Socket.IO -------------------------------------------------------------------------------

    def _register(self) -> None:
        sio = self.sio

        @sio.on("connect")
        def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
            if not isinstance(auth, dict) or auth.get("token") != self.key:
                with self.condition:
                    self.refused += 1
                    self.condition.notify_all()
                raise socketio.exceptions.ConnectionRefusedError("unknown bridge key")
            with self.condition:
                self.connections += 1
                self.bridge_sid = sid
                self.condition.notify_all()
            sio.start_background_task(self.send_snapshot, sid)

        @sio.on("bridge_hello")
        def bridge_hello(sid: str, data: dict[str, Any]) -> dict[str, Any]:
            self._record(self.hellos, data)
            devices = list(data.get("devices") or [])
            rejected = [{"device": device, "error": "unknown_device", "message": "Thiết bị không được đăng ký"}
                        for device in devices if device in self.reject_devices]
            accepted = [device for device in devices if device not in self.reject_devices]
            sio.start_background_task(self.send_snapshot, sid)
            return {"ok": True, "accepted": accepted, "rejected": rejected}

        @sio.on("device_status")
        def device_status(sid: str, data: dict[str, Any]) -> dict[str, Any]:
            self._record(self.device_statuses, data)
            return {"ok": True}

        @sio.on("key_press")
        def key_press(sid: str, data: dict[str, Any]) -> dict[str, Any]:
            self._record(self.key_presses, data)
            self._delay_ack("key_press")
            return {"ok": True, "ticket": None}

        @sio.on("keypad_rating")
        def keypad_rating(sid: str, data: dict[str, Any]) -> dict[str, Any]:
            self._record(self.ratings, data)
            self._delay_ack("keypad_rating")
            return {"ok": True}

        @sio.on("print_result")
        def print_result(sid: str, data: dict[str, Any]) -> dict[str, Any]:
            self._record(self.print_results, data)
            return {"ok": True}

    def send_snapshot(self, sid: str | None = None) -> None:
        """Emit the current counters as a `snapshot`."""
        self.seq += 1
        self.sio.emit("snapshot", {"seq": self.seq, "site_id": self.site_id, "counters": self.counters,
                                   "services": []}, to=sid or self.bridge_sid)

    def emit(self, event: str, payload: dict[str, Any]) -> None:
        """Emit `event` to the bridge, adding `seq` and `site_id` as the real server does."""
        self.seq += 1
        self.sio.emit(event, {"seq": self.seq, "site_id": self.site_id, **payload}, to=self.bridge_sid)

    # --- HTTP ------------------------------------------------------------------------------------

    def _control_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/control/state":
            with self.condition:
                body = {"connections": self.connections, "hellos": self.hellos, "key_presses": self.key_presses,
                        "ratings": self.ratings, "device_statuses": self.device_statuses,
                        "print_results": self.print_results}
        elif path == "/control/emit":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            request = json.loads(environ["wsgi.input"].read(length) or b"{}")
            self.emit(request["event"], request["payload"])
            body = {"ok": True}
        else:
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"error": "not_found"}']
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(body).encode("utf-8")]

    def start(self) -> BridgeTestServer:
        """Listen on 127.0.0.1:port in a thread."""
        app = socketio.WSGIApp(self.sio, self._control_app)
        self._http = make_server("127.0.0.1", self.port, app, threaded=True)
        self._thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="bridge-test-server", daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        """The URL the bridge connects to."""
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Disconnect the bridge and stop listening."""
        if self.bridge_sid is not None:
            try:
                self.sio.disconnect(self.bridge_sid)
            except KeyError:
                pass
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def main() -> None:
    """Run the server in this process until killed (used by the server-restart test)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    arguments = parser.parse_args()
    BridgeTestServer(arguments.key, arguments.port).start()
    print("listening", flush=True)
    threading.Event().wait()  # until the test kills this process


if __name__ == "__main__":
    main()
