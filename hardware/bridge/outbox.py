"""Messages to the server that must arrive: each is resent until the server acknowledges it.

Key presses, keypad ratings, print results and device statuses go through here, in order. A message
leaves the outbox only when an acknowledgement comes back; a lost connection or a missing acknowledgement
keeps it at the head and it is sent again once connected (the server deduplicates key presses by
`press_id`). A device status still waiting is replaced by a newer status of the same device.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_ACK_TIMEOUT_S = 5.0
DEFAULT_RETRY_DELAY_S = 0.5


class NotDelivered(Exception):
    """The message may not have reached the server (no connection, no acknowledgement in time)."""


Sender = Callable[[str, dict[str, Any], float], Any]


@dataclass
class OutgoingMessage:
    """One event for the server, what to do with its acknowledgement, and how to merge it with a newer one."""

    event: str
    payload: dict[str, Any]
    on_answer: Callable[[Any], None] | None = None
    replace_key: str | None = None
    attempts: int = field(default=0, compare=False)


class Outbox(threading.Thread):
    """A thread that delivers queued messages one at a time through `sender` while `connected` is set."""

    def __init__(self, sender: Sender, ack_timeout: float = DEFAULT_ACK_TIMEOUT_S,
                 retry_delay: float = DEFAULT_RETRY_DELAY_S) -> None:
        super().__init__(name="bridge-outbox", daemon=True)
        self.sender = sender
        self.ack_timeout = ack_timeout
        self.retry_delay = retry_delay
        self.connected = threading.Event()
        self._messages: deque[OutgoingMessage] = deque()
        self._in_flight: OutgoingMessage | None = None
        self._condition = threading.Condition()
        self._stopping = threading.Event()

    def put(self, message: OutgoingMessage) -> None:
        """Queue `message`; a queued (not in flight) message with the same replace_key is replaced in place."""
        with self._condition:
            if message.replace_key is not None:
                for index, queued in enumerate(self._messages):
                    if queued.replace_key == message.replace_key and queued is not self._in_flight:
                        self._messages[index] = message
                        self._condition.notify_all()
                        return
            self._messages.append(message)
            self._condition.notify_all()

    def pending(self) -> list[OutgoingMessage]:
        """Messages not acknowledged yet, oldest first."""
        with self._condition:
            return list(self._messages)

    def set_connected(self, connected: bool) -> None:
        """Allow (or hold) sending: set once the server accepted the bridge's hello."""
        with self._condition:
            if connected:
                self.connected.set()
            else:
                self.connected.clear()
            self._condition.notify_all()

    def wait_until_empty(self, timeout: float) -> bool:
        """True once every message was acknowledged."""
        with self._condition:
            return self._condition.wait_for(lambda: not self._messages, timeout=timeout)

    def stop(self) -> None:
        """Stop sending (messages still queued are lost with the process)."""
        self._stopping.set()
        with self._condition:
            self._condition.notify_all()

    def run(self) -> None:
        """Deliver messages until stopped."""
        while not self._stopping.is_set():
            with self._condition:
                self._condition.wait_for(
                    lambda: self._stopping.is_set() or (self.connected.is_set() and bool(self._messages)), timeout=1.0)
                if self._stopping.is_set() or not self.connected.is_set() or not self._messages:
                    continue
                message = self._in_flight = self._messages[0]
            message.attempts += 1
            try:
                answer = self.sender(message.event, message.payload, self.ack_timeout)
            except NotDelivered as error:
                if message.attempts == 1 or message.attempts % 20 == 0:
                    logger.info("%s not delivered yet (attempt %d): %s", message.event, message.attempts, error)
                self._stopping.wait(self.retry_delay)
                continue
            finally:
                with self._condition:
                    self._in_flight = None
            if message.attempts > 1:
                logger.info("%s delivered after %d attempts", message.event, message.attempts)
            if message.on_answer is not None:
                try:
                    message.on_answer(answer)
                except Exception:  # supervisor: a faulty answer handler must not stop delivery
                    logger.exception("handling the answer to %s failed", message.event)
            with self._condition:
                if self._messages and self._messages[0] is message:
                    self._messages.popleft()
                self._condition.notify_all()
