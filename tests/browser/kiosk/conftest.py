"""Fixtures for the kiosk and phone-page tests: the real server's database, kiosk pages, screenshots.

The pages are the real /kiosk and /t/<token> in Debian's Chromium, talking to a real server process
(`live_server`) over HTTP and Socket.IO.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from kiosk_test_support import KIOSK_KEY, PHONE, SCREENS, CentreDatabase, wait_for_screen


@pytest.fixture
def centre(live_server) -> Iterator[CentreDatabase]:  # type: ignore[no-untyped-def]
    database = CentreDatabase(live_server.database_url)
    yield database
    database.dispose()


@dataclass
class Shots:
    folder: Path

    def __call__(self, page: Any, name: str, full_page: bool = False) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def shot(artifacts: Path) -> Shots:
    """`shot(page, "portrait-start")` → test-artifacts/kiosk/portrait-start.png."""
    folder = artifacts / "kiosk"
    folder.mkdir(parents=True, exist_ok=True)
    return Shots(folder)


@pytest.fixture
def open_kiosk(new_page) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """`open_kiosk(server, "portrait")` → the kiosk page opened once with its key, on its first live screen."""
    def open_page(server: Any, screen: str = "landscape", key: str | None = KIOSK_KEY, wait_for: str = "home") -> Any:
        page = new_page(**SCREENS[screen])
        page.goto(f"{server.url}/kiosk" + (f"?key={key}" if key else ""))
        if wait_for:
            wait_for_screen(page, wait_for)
        return page
    return open_page


@pytest.fixture
def open_phone(new_page) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """`open_phone(public_url)` → the phone page of a ticket on a 360×740 phone."""
    def open_page(url: str) -> Any:
        page = new_page(**PHONE)
        page.goto(url)
        page.wait_for_function("() => document.documentElement.dataset.connected === 'yes'")
        page.wait_for_load_state("networkidle")  # its first refetch (after the snapshot) is done
        return page
    return open_page



@pytest.fixture(autouse=True)
def patient_expectations() -> Iterator[None]:
    """Live updates travel through a real server that may share the machine with other test runs."""
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    yield
    expect.set_options(timeout=5_000)
