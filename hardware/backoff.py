"""Exponential backoff shared by port reopening and server reconnection."""
from __future__ import annotations

import random


class Backoff:
    """Delays that grow by `factor` from `initial` up to `maximum`, with a little jitter; `reset()` on success."""

    def __init__(self, initial: float = 0.2, maximum: float = 2.0, factor: float = 2.0, jitter: float = 0.1) -> None:
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
        self._next = initial

    def next_delay(self) -> float:
        """The delay to wait before the next attempt; each call makes the following one longer."""
        delay = self._next
        self._next = min(self.maximum, self._next * self.factor)
        return delay * (1.0 + random.uniform(-self.jitter, self.jitter))

    def reset(self) -> None:
        """Start again from the initial delay (after a success)."""
        self._next = self.initial
