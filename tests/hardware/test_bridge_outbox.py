"""The bridge's outbox: in order, resent until acknowledged, newer device statuses replace waiting ones."""
from __future__ import annotations

import threading
from typing import Any

from hardware.bridge.outbox import NotDelivered, OutgoingMessage, Outbox


class FlakyServer:
    """Answers every message, except that the first `failures` attempts are not acknowledged."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.attempts: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def send(self, event: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]:
        with self.lock:
            self.attempts.append((event, dict(payload)))
            if self.failures > 0:
                self.failures -= 1
                raise NotDelivered("no acknowledgement")
        return {"ok": True, "echo": payload}


def test_messages_wait_while_disconnected_and_go_in_order_once_connected() -> None:
    server = FlakyServer()
    outbox = Outbox(server.send, retry_delay=0.01)
    outbox.start()
    for number in range(3):
        outbox.put(OutgoingMessage("key_press", {"press_id": str(number)}))
    assert not outbox.wait_until_empty(0.2)
    assert server.attempts == []
    outbox.set_connected(True)
    assert outbox.wait_until_empty(5)
    assert [payload["press_id"] for _, payload in server.attempts] == ["0", "1", "2"]
    outbox.stop()


def test_unacknowledged_message_is_resent_unchanged_until_acknowledged() -> None:
    server = FlakyServer(failures=2)
    answers: list[Any] = []
    outbox = Outbox(server.send, retry_delay=0.01)
    outbox.set_connected(True)
    outbox.start()
    outbox.put(OutgoingMessage("key_press", {"press_id": "p-1", "action": "call_next"}, on_answer=answers.append))
    assert outbox.wait_until_empty(5)
    assert server.attempts == [("key_press", {"press_id": "p-1", "action": "call_next"})] * 3
    assert answers == [{"ok": True, "echo": {"press_id": "p-1", "action": "call_next"}}]
    outbox.stop()


def test_a_newer_status_of_the_same_device_replaces_the_waiting_one() -> None:
    server = FlakyServer()
    outbox = Outbox(server.send, retry_delay=0.01)
    outbox.start()
    for status in ("offline", "online"):
        outbox.put(OutgoingMessage("device_status", {"device": "led:1", "status": status},
                                   replace_key="device_status:led:1"))
    outbox.put(OutgoingMessage("device_status", {"device": "led:2", "status": "offline"},
                               replace_key="device_status:led:2"))
    assert [message.payload["status"] for message in outbox.pending()] == ["online", "offline"]
    outbox.set_connected(True)
    assert outbox.wait_until_empty(5)
    assert [payload for _, payload in server.attempts] == [{"device": "led:1", "status": "online"},
                                                            {"device": "led:2", "status": "offline"}]
    outbox.stop()
