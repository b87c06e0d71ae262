"""A reload of the rating terminal while a rating is open keeps the whole screen: the centre's name in
the header, the ticket's number and the buttons (a 10" tablet, 1280×800)."""
from __future__ import annotations

from playwright.sync_api import expect

CENTRE = "Trung tâm Phục vụ hành chính công phường Ba Đình"


def test_reloading_during_a_rating_window_keeps_the_centre_name_in_the_header(live_server, new_page, artifacts) -> None:  # type: ignore[no-untyped-def]
    terminal = new_page(1280, 800)
    terminal.goto(live_server.url + "/rating/1?key=demo-rating-1")
    expect(terminal.locator("#rt-site")).to_have_text(CENTRE)  # from the first snapshot
    clerk = live_server.login("canbo1")
    live_server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": 1})
    called = live_server.api("POST", "/counters/1/call-next", token=clerk).json()
    assert live_server.api("POST", f"/tickets/{called['id']}/finish", token=clerk).status_code == 200
    terminal.wait_for_selector("#screen-rate:not([hidden])")

    terminal.reload()

    terminal.wait_for_selector("#screen-rate:not([hidden])")
    terminal.wait_for_function(f"() => document.getElementById('rate-number').textContent === '{called['number']}'")
    assert terminal.text_content("#rt-site") == CENTRE, "set by the snapshot that opened the rating screen"
    terminal.screenshot(path=str(artifacts / "rating-1280x800-after-reload.png"))
