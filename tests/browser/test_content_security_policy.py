"""Every screen works in Chromium under the Content-Security-Policy, with no violation reported (issue 11).

The policy allows only the site's own scripts, styles, fonts, images and connections: no inline script,
no inline style attribute. Chromium reports each violation as a `securitypolicyviolation` event and a
console error; both are collected on every screen while it does its ordinary work.
"""
from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " " + event.sourceFile + ":" + event.lineNumber);
});
"""


class Screen:
    """A page that records CSP violations and console errors from its first byte."""

    def __init__(self, new_page, width: int = 1280, height: int = 800) -> None:  # type: ignore[no-untyped-def]
        self.page = new_page(width, height)
        self.console: list[str] = []
        self.page.add_init_script(RECORD_VIOLATIONS)
        self.page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))

    def violations(self) -> list[str]:
        recorded = self.page.evaluate("() => window.__cspViolations || []")
        reported = [line for line in self.console if "Content Security Policy" in line or "Content-Security-Policy" in line]
        return recorded + reported

    def check(self, artifacts, name: str) -> None:  # type: ignore[no-untyped-def]
        self.page.screenshot(path=str(artifacts / f"csp-{name}.png"))
        assert self.violations() == [], name


@pytest.fixture
def screen(new_page):  # type: ignore[no-untyped-def]
    return lambda width=1280, height=800: Screen(new_page, width, height)


def issue(server, service_id: int = 1) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    answer = server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": service_id})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_citizen_screens_run_without_a_csp_violation(live_server, screen, artifacts) -> None:  # type: ignore[no-untyped-def]
    kiosk = screen(1920, 1080)
    kiosk.page.goto(live_server.url + "/kiosk?key=demo-kiosk-1")
    kiosk.page.wait_for_selector("#kiosk[data-screen='home']")
    kiosk.page.locator(".k-tile-service").first.click()
    kiosk.page.wait_for_selector("#kiosk[data-screen='confirmation']", timeout=15_000)
    kiosk.check(artifacts, "kiosk")

    hall = screen(1920, 1080)
    hall.page.goto(live_server.url + "/display/hall?key=demo-display-1")
    hall.page.wait_for_selector("html[data-connected=yes]")
    counter_display = screen(1280, 720)
    counter_display.page.goto(live_server.url + "/display/counter/1?key=demo-display-1")
    counter_display.page.wait_for_selector("html[data-connected=yes]")
    terminal = screen(1280, 800)
    terminal.page.goto(live_server.url + "/rating/1?key=demo-rating-1")
    terminal.page.wait_for_selector("html[data-connected=yes]")

    ticket = issue(live_server)
    phone = screen(390, 844)
    phone.page.goto(live_server.url + "/t/" + ticket["public_url"].rsplit("/t/", 1)[1])
    expect(phone.page.locator("#ticket-number")).to_have_text(ticket["number"])

    clerk = live_server.login("canbo1")
    called = live_server.api("POST", "/counters/1/call-next", token=clerk).json()
    expect(counter_display.page.locator("body")).to_contain_text(called["number"])
    expect(hall.page.locator("body")).to_contain_text(called["number"])
    live_server.api("POST", f"/tickets/{called['id']}/finish", token=clerk)
    expect(terminal.page.locator(".rt-score").first).to_be_visible()
    invalid = screen(390, 844)
    invalid.page.goto(live_server.url + "/t/khong-phai-ma-that", wait_until="load")
    expect(invalid.page.locator("body")).to_contain_text("Đường dẫn phiếu này không hợp lệ.")
    invalid.check(artifacts, "phone-invalid-link")
    hall.check(artifacts, "hall")
    counter_display.check(artifacts, "counter-display")
    terminal.check(artifacts, "rating-terminal")
    phone.check(artifacts, "phone")


def test_staff_screens_run_without_a_csp_violation(live_server, screen, artifacts) -> None:  # type: ignore[no-untyped-def]
    issue(live_server)
    login = screen()
    login.page.goto(live_server.url + "/login")
    login.page.fill("#username", "canbo1")
    login.page.fill("#password", "sai")
    login.page.click("#login-form button[type=submit]")
    expect(login.page.locator("#login-error")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")
    login.check(artifacts, "login")

    console = screen(1366, 768)
    console.page.goto(live_server.url + "/counter")
    console.page.fill("#username", "canbo1")
    console.page.fill("#password", "demo")
    console.page.click("#login-form button[type=submit]")
    console.page.wait_for_selector("#console-main:not([hidden])")
    console.page.click("#act-call_next")
    expect(console.page.locator("#current-number")).to_have_text("1001")
    console.check(artifacts, "console")

    dashboard = screen(1600, 900)
    log_in(dashboard.page, live_server, "giamsat", "/dashboard")
    dashboard.page.wait_for_selector("canvas")
    dashboard.check(artifacts, "dashboard")
    dashboard.page.goto(live_server.url + "/dashboard/reports")
    dashboard.page.wait_for_selector("html[data-ready=yes]")
    dashboard.check(artifacts, "reports")
    dashboard.page.click(".staff-bar .lang-link")  # the language switch comes back to the same page
    dashboard.page.wait_for_url(live_server.url + "/dashboard/reports")
    expect(dashboard.page.locator("#logout-button")).to_have_text("Log out")
    dashboard.page.wait_for_selector("html[data-ready=yes]")
    dashboard.check(artifacts, "reports-english")
    dashboard.page.click("#logout-button")  # the staff bar's script, now a static file
    dashboard.page.wait_for_url("**/login?next=*")

    admin = screen(1600, 900)
    log_in(admin.page, live_server, "admin", "/admin")
    for section in ("services", "counters", "staff", "devices", "hours", "rating", "display", "audit"):
        admin.page.goto(f"{live_server.url}/admin/{section}")
        admin.page.wait_for_selector("html[data-ready=yes]")
    admin.check(artifacts, "admin")

    error = screen()
    error.page.goto(live_server.url + "/khong-co-trang-nay", wait_until="load")
    expect(error.page.locator("h1")).to_have_text("Không có trang này")
    error.check(artifacts, "error-page")
