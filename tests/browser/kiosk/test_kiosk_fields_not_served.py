"""A field no open counter serves is not offered: the kiosk greys its tile and says so, at once when the
last counter serving it closes, and offers it again when one opens (1080×1920 portrait)."""
from __future__ import annotations

from tests.browser.kiosk.kiosk_test_support import wait_for_screen

LAND = 3  # Đất đai: only counter 3 serves it in the demo


def tile(page):  # type: ignore[no-untyped-def]
    return page.locator(f"#tiles .k-tile-service[data-service-id='{LAND}']")


def test_a_field_nobody_serves_is_greyed_and_explained(live_server, open_kiosk, shot, centre) -> None:  # type: ignore[no-untyped-def]
    kiosk = open_kiosk(live_server, "portrait")
    clerk = live_server.login("canbo3")
    assert live_server.api("POST", "/counters/3/close", token=clerk).status_code == 200

    kiosk.wait_for_function(f"() => document.querySelector(\"#tiles .k-tile-service[data-service-id='{LAND}']\")"
                            ".getAttribute('aria-disabled') === 'true'")
    assert tile(kiosk).locator(".k-tile-detail").text_content() == "Tạm chưa phục vụ"
    shot(kiosk, "portrait-field-not-served")
    tile(kiosk).click(force=True)  # a greyed tile still answers a tap, with the reason
    wait_for_screen(kiosk, "problem")
    assert "Hiện không có quầy nào phục vụ lĩnh vực Đất đai" in kiosk.text_content("#problem-text")
    assert centre.ticket_count() == 0

    kiosk.click("#problem-back")
    wait_for_screen(kiosk, "home")
    assert live_server.api("POST", "/counters/3/open", token=clerk).status_code == 200
    kiosk.wait_for_function(f"() => document.querySelector(\"#tiles .k-tile-service[data-service-id='{LAND}']\")"
                            ".getAttribute('aria-disabled') === null", timeout=30_000)
