"""Playwright for Python driving Debian's Chromium (/usr/bin/chromium); never a downloaded browser."""
from __future__ import annotations

import os
import re
import shutil
from typing import Iterator

import pytest

CHROMIUM = os.environ.get("HANGCHO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def log_in(page, server, username: str, target: str) -> None:  # type: ignore[no-untyped-def]
    """Log a demo staff member in through the real log-in page and land on `target`."""
    page.goto(f"{server.url}/login?next={target}")
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(re.escape(server.url + target) + r"$"))
    page.wait_for_selector("html[data-ready=yes]")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Debian's Chromium is missing at {CHROMIUM}: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):  # type: ignore[no-untyped-def]
    """`new_page(width, height)` → a page in its own context (own localStorage), closed after the test."""
    contexts = []

    def make(width: int = 1280, height: int = 800, **context_options: object):  # type: ignore[no-untyped-def]
        context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN", **context_options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield make
    for context in contexts:
        context.close()
