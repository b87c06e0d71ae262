"""Fixtures for the display pages: a citizen desk that drives the real server, and display pages.

The desk uses the public HTTP API exactly as the kiosk and the clerks' consoles do; the pages are the
real hall board and counter page in Debian's Chromium, connected to the real server over Socket.IO.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pytest

DISPLAY_KEY = "demo-display-1"
KIOSK_KEY = "demo-kiosk-1"


@dataclass
class Desk:
    """Issues tickets (as the kiosk) and works the counters (as clerk canbo<n> at counter n)."""

    server: Any
    tokens: dict[int, str] = field(default_factory=dict)

    def clerk(self, counter: int) -> str:
        if counter not in self.tokens:
            self.tokens[counter] = self.server.login(f"canbo{counter}")
        return self.tokens[counter]

    def issue(self, service_id: int) -> dict[str, Any]:
        response = self.server.api("POST", "/tickets", token=KIOSK_KEY, json={"service_id": service_id, "priority": None})
        assert response.status_code == 201, response.text
        return response.json()

    def call_next(self, counter: int) -> dict[str, Any]:
        response = self.server.api("POST", f"/counters/{counter}/call-next", token=self.clerk(counter))
        assert response.status_code == 200, response.text
        return response.json()

    def recall(self, ticket_id: int, counter: int) -> dict[str, Any]:
        response = self.server.api("POST", f"/tickets/{ticket_id}/recall", token=self.clerk(counter))
        assert response.status_code == 200, response.text
        return response.json()

    def counter_action(self, counter: int, action: str, **body: Any) -> None:
        response = self.server.api("POST", f"/counters/{counter}/{action}", token=self.clerk(counter), json=body or None)
        assert response.status_code == 200, response.text

    def clerks_log_in(self) -> None:
        """Log every clerk in before any page connects (the clerks arrive before the citizens)."""
        for counter in (1, 2, 3, 4):
            self.clerk(counter)


@pytest.fixture
def desk(live_server) -> Desk:  # type: ignore[no-untyped-def]
    desk = Desk(live_server)
    desk.clerks_log_in()
    return desk


@pytest.fixture
def open_display(live_server, new_page) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """`open_display("/display/hall")` → a 1920×1080 page, opened once with the display key, after its snapshot."""
    def open_page(path: str = "/display/hall", width: int = 1920, height: int = 1080, query: str = "",
                  before: Callable[[Any], None] | None = None, **context: Any):
        page = new_page(width, height, **context)
        if before is not None:
            before(page)
        separator = "&" if query else ""
        page.goto(f"{live_server.url}{path}?key={DISPLAY_KEY}{separator}{query}")
        page.wait_for_function("() => window.HangChoDisplay && window.HangChoDisplay.snapshots > 0")
        return page
    return open_page


def voice_history(page: Any) -> list[dict[str, Any]]:
    return page.evaluate("() => window.HangChoVoice.history.map((entry) => Object.assign({}, entry))")


@pytest.fixture
def spoken() -> Callable[[Any, int], list[dict[str, Any]]]:
    """`spoken(page, count)` waits until `count` calls have been fully announced and returns the history."""
    def wait(page: Any, count: int, timeout_ms: int = 45_000) -> list[dict[str, Any]]:
        page.wait_for_function(
            "count => window.HangChoVoice.history.filter((entry) => entry.endedAt !== null).length >= count",
            arg=count, timeout=timeout_ms,
        )
        return voice_history(page)
    return wait
