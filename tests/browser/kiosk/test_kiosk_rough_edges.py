"""Kiosk rough edges at the kiosk's real sizes (portrait 1080×1920, landscape 1920×1080): a reload during
the confirmation keeps the number the citizen was just given, and a kiosk whose key is refused says only
that (no "Mất kết nối" mark beside "Thiết bị chưa được đăng ký")."""
from __future__ import annotations

import pytest
from kiosk_test_support import KIOSK_KEY, wait_for_screen, tap_field
from playwright.sync_api import expect

KIOSK_SIZES = {
    "portrait-1080x1920": {"width": 540, "height": 960, "device_scale_factor": 2},
    "landscape-1920x1080": {"width": 1920, "height": 1080, "device_scale_factor": 1},
}


@pytest.mark.parametrize("size", KIOSK_SIZES)
def test_a_reload_during_the_confirmation_keeps_the_number_just_given(live_server, centre, new_page, shot, size) -> None:  # type: ignore[no-untyped-def]
    page = new_page(**KIOSK_SIZES[size])
    page.goto(f"{live_server.url}/kiosk?key={KIOSK_KEY}")
    wait_for_screen(page, "home")
    tap_field(page, "Hộ kinh doanh")
    wait_for_screen(page, "confirmation")
    number = page.locator("#ticket-number").inner_text()
    assert number == centre.tickets()[0].number
    seconds_before = int(page.evaluate("() => document.getElementById('countdown').textContent.match(/\\d+/g).pop()"))

    page.reload()

    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-number")).to_have_text(number)
    expect(page.locator("#ticket-field")).to_have_text("Hộ kinh doanh")
    seconds_after = int(page.evaluate("() => document.getElementById('countdown').textContent.match(/\\d+/g).pop()"))
    assert seconds_after <= seconds_before, "the countdown goes on; a reload does not buy more time"
    assert len(centre.tickets()) == 1, "nothing issued again"
    shot(page, f"{size}-confirmation-after-reload")

    page.locator("#done").click()
    wait_for_screen(page, "home")
    page.reload()
    wait_for_screen(page, "home")  # once done, a reload starts clean for the next citizen


@pytest.mark.parametrize("size", KIOSK_SIZES)
def test_a_refused_key_shows_the_registration_problem_alone(live_server, new_page, shot, size) -> None:  # type: ignore[no-untyped-def]
    page = new_page(**KIOSK_SIZES[size])
    page.goto(f"{live_server.url}/kiosk?key=khoa-khong-hop-le")
    wait_for_screen(page, "unregistered")
    expect(page.locator("#unregistered-text")).to_have_text("Mã thiết bị không hợp lệ hoặc đã bị thu hồi.")
    page.wait_for_function("() => document.documentElement.dataset.connected === 'no'")
    assert page.locator(".hc-connection").count() == 1, "the shared mark exists (the page is trying to connect)"
    expect(page.locator(".hc-connection")).to_be_hidden()
    assert "Mất kết nối" not in page.locator("body").inner_text()
    shot(page, f"{size}-refused-key")
