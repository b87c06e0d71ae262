"""An administrator changes a kiosk's own settings on /admin/devices in Debian's Chromium; the kiosk page,
open at the same time, applies them without a reload (settings_changed → a new snapshot with its
`kiosk` block). Screenshots of the form go to test-artifacts/ (1440×900)."""
from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.browser.conftest import log_in

LIVE_TIMEOUT_MS = 10_000


def open_kiosk(new_page, server, frames: list[str]):  # type: ignore[no-untyped-def]
    """The kiosk page with its key; every Socket.IO frame it receives is kept in `frames`."""
    page = new_page(1280, 800)
    page.on("websocket", lambda socket: socket.on("framereceived", lambda payload: frames.append(str(payload))))
    page.goto(f"{server.url}/kiosk?key=demo-kiosk-1")
    page.wait_for_selector("#kiosk[data-screen='home']")
    page.evaluate("() => { window.notReloaded = true; }")
    return page


def wait_for_frame(page, frames: list[str], pattern: str, timeout_s: float = 10) -> None:  # type: ignore[no-untyped-def]
    """Wait until the kiosk has received a frame matching `pattern` (its new snapshot)."""
    expression = re.compile(pattern)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(expression.search(frame) for frame in list(frames)):
            return
        page.wait_for_timeout(50)  # lets Playwright deliver the page's events meanwhile
    raise AssertionError(f"the kiosk received no frame matching {pattern!r}")


def test_admin_turns_a_kiosks_printer_off_and_the_kiosk_follows_without_reload(  # type: ignore[no-untyped-def]
        live_server, new_page, artifacts):
    frames: list[str] = []
    kiosk = open_kiosk(new_page, live_server, frames)

    page = new_page(1440, 900)
    log_in(page, live_server, "admin", "/admin/devices")
    row = page.locator('#admin-content tr[data-id="1"]')
    expect(row.locator("th")).to_have_text("Kiosk sảnh chính")
    expect(page.locator('#admin-content tr[data-id="2"]').get_by_role("button", name="Cài đặt")).to_have_count(0)
    row.get_by_role("button", name="Cài đặt").click()

    dialog = page.locator("#admin-dialog")
    expect(dialog.locator("#dialog-title")).to_have_text("Cài đặt kiosk: Kiosk sảnh chính")
    expect(dialog.locator("#field-printer")).to_be_checked()
    expect(dialog.locator("#field-paper_width_mm")).to_have_value("")
    expect(dialog.locator("#field-paper_width_mm option").first).to_have_text("Theo cài đặt chung của Trung tâm (80 mm)")
    expect(dialog.locator("#field-confirmation_s")).to_have_value("15")
    expect(dialog.locator('[data-field="confirmation_s"] label')).to_have_text("Thời gian hiển thị số thứ tự sau khi cấp (giây)")
    expect(dialog.locator('[data-field="confirmation_s"] .form-help')).to_have_text("Từ 5 đến 120 giây.")

    dialog.locator("#field-confirmation_s").fill("30")
    dialog.locator("#field-printer").uncheck()
    dialog.locator("#field-print_problem_confirmation_s").fill("90")
    dialog.locator("#field-paper_width_mm").select_option("58")
    page.screenshot(path=str(artifacts / "admin-kiosk-settings.png"))

    # The server checks the bounds too (here past the browser's own min check): the problem is shown at
    # the field, in Vietnamese, and nothing is saved.
    confirmation = dialog.locator("#field-confirmation_s")
    confirmation.evaluate("input => input.removeAttribute('min')")
    confirmation.fill("2")
    dialog.get_by_role("button", name="Lưu").click()
    expect(dialog.locator('[data-field="confirmation_s"] .field-error')).to_have_text("phải từ 5 trở lên")
    expect(dialog.locator("#dialog-error")).to_contain_text("Thời gian hiển thị số thứ tự: phải từ 5 trở lên")
    expect(dialog).to_be_visible()
    page.screenshot(path=str(artifacts / "admin-kiosk-settings-error.png"))
    assert live_server.api("GET", "/snapshot", token="demo-kiosk-1").json()["kiosk"]["settings"] == {
        "printer": True, "paper_width_mm": None, "confirmation_s": 15, "print_problem_confirmation_s": 60,
        "print_wait_s": 12, "idle_reset_s": 45, "request_timeout_s": 6}

    confirmation.fill("30")
    dialog.get_by_role("button", name="Lưu").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#admin-status")).to_have_text("Đã lưu.")

    settings = live_server.api("GET", "/snapshot", token="demo-kiosk-1").json()["kiosk"]["settings"]
    assert settings == {"printer": False, "paper_width_mm": 58, "confirmation_s": 30,
                        "print_problem_confirmation_s": 90, "print_wait_s": 12, "idle_reset_s": 45,
                        "request_timeout_s": 6}

    # The kiosk heard settings_changed and fetched its snapshot with the new settings, without a reload.
    wait_for_frame(kiosk, frames, r'"print_problem_confirmation_s":\s*90')
    kiosk.locator(".k-tile-service", has_text="Xây dựng").first.click()
    kiosk.wait_for_selector("#kiosk[data-screen='confirmation']")
    expect(kiosk.locator("#print-status")).to_have_attribute("data-print", "none")
    expect(kiosk.locator("#print-line")).to_have_text("Ki-ốt này không in phiếu.")
    expect(kiosk.locator(".k-print-note")).to_be_visible()
    # Without a printer the number stays the new print_problem_confirmation_s (90 s), not the old 60 s.
    expect(kiosk.locator("#countdown")).to_have_text(re.compile(r"\b(8[5-9]|90)\b"))
    assert kiosk.evaluate("() => window.notReloaded") is True

    # The change is in the audit log, as a Vietnamese sentence (never raw keys or JSON).
    page.goto(f"{live_server.url}/admin/audit")
    page.wait_for_selector("html[data-ready=yes]")
    entry = page.locator('tr[data-entity="device"][data-action="update"]').first
    expect(entry.locator(".audit-text")).to_contain_text("Quản trị hệ thống đổi thiết bị Kiosk sảnh chính: máy in từ bật thành tắt")
    expect(entry.locator(".audit-text")).to_contain_text("khổ giấy (mm) thành 58")
    expect(page.locator(".audit-table")).not_to_contain_text("printer")
    page.screenshot(path=str(artifacts / "admin-audit-1440x900.png"))
