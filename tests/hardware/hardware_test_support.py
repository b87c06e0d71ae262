"""Helpers shared by the hardware tests (fixtures live in conftest.py)."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

# Recovery deadline of the fault tests: the cause goes away, the bridge must be back within 5 s.
RECOVERY_S = 5.0
SLACK_S = 2.0
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Check `predicate` until it holds (True) or `timeout` passes (False)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        pause.wait(interval)
