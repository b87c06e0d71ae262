"""The kiosk touchscreen against the real server: a citizen taps a field and gets the number the server
issued; the priority path; live waiting counts; the language toggle; the confirmation going back by itself."""
from __future__ import annotations

import re

import pytest
from kiosk_test_support import SCREENS, tap_field, wait_for_screen, wait_until
from playwright.sync_api import expect


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_citizen_taps_a_field_and_sees_the_number_the_server_issued(
        live_server, centre, open_kiosk, shot, screen) -> None:  # type: ignore[no-untyped-def]
    page = open_kiosk(live_server, screen)
    expect(page.locator("#home-title")).to_have_text("Mời chọn lĩnh vực cần giải quyết")
    expect(page.locator(".k-tile-service")).to_have_count(7)
    expect(page.locator("#pager")).to_be_hidden()  # 7 fields fit on one page in both orientations
    _assert_big_targets(page)
    shot(page, f"{screen}-start")

    tap_field(page, "Đất đai")
    wait_for_screen(page, "confirmation")
    shown = page.locator("#ticket-number").inner_text()
    [ticket] = centre.tickets()
    assert shown == ticket.number == "3001"
    assert ticket.service_id == 3 and ticket.status.value == "waiting" and ticket.priority_category_id is None
    expect(page.locator("#ticket-field")).to_have_text("Đất đai")
    expect(page.locator("#ticket-ahead")).to_have_text("Bạn là người tiếp theo")
    expect(page.locator("#ticket-wait")).to_have_text("Thời gian chờ dự kiến: sắp đến lượt")
    expect(page.locator("#print-line")).to_have_text("Đang in phiếu…")  # no bridge answers in this test
    shot(page, f"{screen}-confirmation")
    # The one tap carried one Idempotency-Key, which the server recorded with the ticket.
    assert len(centre.idempotency_keys()) == 1
    number_height = page.locator("#ticket-number").bounding_box()["height"]
    assert number_height >= 100, "the number is the biggest thing on the screen"


def test_the_number_on_screen_is_the_one_the_api_reports_and_people_ahead_count(live_server, centre, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        assert live_server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": 1}).status_code == 201
    page = open_kiosk(live_server)
    expect(page.locator(".k-tile-service", has_text="Tư pháp – Hộ tịch")).to_contain_text("2 người đang chờ")
    tap_field(page, "Tư pháp – Hộ tịch")
    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-number")).to_have_text("1003")
    expect(page.locator("#ticket-ahead")).to_have_text("Số người chờ trước bạn: 2")
    # Two ahead at 5 minutes each, one counter serving the field first plus one serving it second.
    expect(page.locator("#ticket-wait")).to_have_text(re.compile(r"Thời gian chờ dự kiến: khoảng \d+ phút"))
    clerk = live_server.login("giamsat")
    newest = centre.tickets()[-1]
    answer = live_server.api("GET", f"/tickets/{newest.id}", token=clerk).json()
    assert answer["number"] == "1003" and answer["status"] == "waiting"


@pytest.mark.parametrize("screen", list(SCREENS))
def test_the_priority_path_issues_a_priority_ticket_that_is_called_first(
        live_server, centre, open_kiosk, shot, screen) -> None:  # type: ignore[no-untyped-def]
    page = open_kiosk(live_server, screen)
    tap_field(page, "Tư pháp – Hộ tịch")  # an ordinary citizen first
    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-number")).to_have_text("1001")
    page.locator("#done").click()
    wait_for_screen(page, "home")

    page.locator("#priority-entry").click()
    wait_for_screen(page, "priority")
    expect(page.locator(".k-tile-category")).to_have_count(5)
    expect(page.locator(".k-priority .k-title")).to_have_text("Mời chọn đối tượng ưu tiên")
    _assert_big_targets(page)
    shot(page, f"{screen}-priority")
    page.locator(".k-tile-category", has_text="Người cao tuổi").click()
    wait_for_screen(page, "home")
    expect(page.locator("#priority-banner")).to_contain_text("Ưu tiên: Người cao tuổi")
    expect(page.locator("#priority-entry")).to_be_hidden()
    shot(page, f"{screen}-priority-fields")
    tap_field(page, "Tư pháp – Hộ tịch")
    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-number")).to_have_text("1002")
    expect(page.locator("#ticket-priority")).to_have_text("Ưu tiên: Người cao tuổi")
    # Ahead of the ordinary citizen who came first.
    expect(page.locator("#ticket-ahead")).to_have_text("Bạn là người tiếp theo")
    shot(page, f"{screen}-priority-confirmation")

    supervisor = live_server.login("giamsat")
    ordinary, priority = centre.tickets()
    assert live_server.api("GET", f"/tickets/{priority.id}", token=supervisor).json()["priority"] == "nguoi_cao_tuoi"
    assert priority.issued_by_device_id is not None  # who issued each priority ticket is recorded
    called = live_server.api("POST", "/counters/1/call-next", token=live_server.login("canbo1")).json()
    assert called["number"] == "1002" and called["priority"] == "nguoi_cao_tuoi"
    assert ordinary.number == "1001"


def test_cancel_priority_goes_back_to_ordinary_fields(live_server, centre, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    page = open_kiosk(live_server)
    page.locator("#priority-entry").click()
    page.locator(".k-tile-category", has_text="Phụ nữ có thai").click()
    page.locator("#cancel-priority").click()
    expect(page.locator("#priority-banner")).to_be_hidden()
    tap_field(page, "Chứng thực")
    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-priority")).to_be_hidden()
    [ticket] = centre.tickets()
    assert ticket.priority_level == 0 and ticket.priority_category_id is None


def test_waiting_counts_change_live_as_tickets_are_issued_and_called(live_server, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    page = open_kiosk(live_server)
    tile = page.locator(".k-tile-service", has_text="Xây dựng")
    expect(tile).to_contain_text("Chưa có ai chờ")
    for _ in range(3):
        live_server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": 4})
    expect(tile).to_contain_text("3 người đang chờ")
    live_server.api("POST", "/counters/3/call-next", token=live_server.login("canbo3"))
    expect(tile).to_contain_text("2 người đang chờ")


def test_english_toggle_switches_without_reload_and_the_next_citizen_gets_vietnamese(
        live_server, centre, open_kiosk, shot) -> None:  # type: ignore[no-untyped-def]
    page = open_kiosk(live_server, "portrait")
    page.evaluate("() => { window.notReloaded = true; }")
    page.locator("#language-toggle").click()
    expect(page.locator("#home-title")).to_have_text("Please choose a field")
    expect(page.locator(".k-tile-service").first).to_contain_text("Justice – Civil status")
    expect(page.locator("#language-toggle")).to_have_text("Tiếng Việt")
    shot(page, "portrait-start-english")
    tap_field(page, "Land")
    wait_for_screen(page, "confirmation")
    expect(page.locator(".k-your-number")).to_have_text("Your number")
    expect(page.locator("#ticket-ahead")).to_have_text("You are next")
    assert page.evaluate("() => window.notReloaded") is True
    [ticket] = centre.tickets()
    assert ticket.language == "en"  # the printed ticket follows the citizen's language
    page.locator("#done").click()
    wait_for_screen(page, "home")
    expect(page.locator("#home-title")).to_have_text("Mời chọn lĩnh vực cần giải quyết")


def test_the_confirmation_goes_back_to_the_start_by_itself_or_on_a_tap(live_server, centre, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    centre.set_kiosk_settings(confirmation_s=5)  # the shortest an administrator may set
    page = open_kiosk(live_server)
    tap_field(page, "Hộ kinh doanh")
    wait_for_screen(page, "confirmation")
    expect(page.locator("#countdown")).to_contain_text("Tự động quay lại sau")
    wait_for_screen(page, "home", timeout_ms=10_000)  # nobody touched it

    tap_field(page, "Hộ kinh doanh")
    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-number")).to_have_text("5002")
    page.locator(".k-ticket").click()  # a tap anywhere
    wait_for_screen(page, "home")
    assert [t.number for t in centre.tickets()] == ["5001", "5002"]


def test_a_half_finished_choice_returns_to_the_start_when_left_alone(live_server, centre, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    centre.set_kiosk_settings(idle_reset_s=10)  # the shortest an administrator may set
    page = open_kiosk(live_server)
    page.locator("#priority-entry").click()
    wait_for_screen(page, "priority")
    wait_for_screen(page, "home", timeout_ms=15_000)
    expect(page.locator("#priority-banner")).to_be_hidden()
    assert centre.ticket_count() == 0


def test_without_a_key_the_kiosk_says_it_is_not_registered(live_server, open_kiosk, shot) -> None:  # type: ignore[no-untyped-def]
    page = open_kiosk(live_server, "landscape", key=None, wait_for="unregistered")
    expect(page.locator(".k-unregistered .k-message-title")).to_have_text("Thiết bị chưa được đăng ký")
    expect(page.locator(".k-tile-service")).to_have_count(0)
    shot(page, "landscape-unregistered")


def test_a_wrong_key_is_refused_plainly(live_server, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    page = open_kiosk(live_server, "landscape", key="not-a-kiosk-key", wait_for="unregistered")
    expect(page.locator("#unregistered-text")).to_have_text("Mã thiết bị không hợp lệ hoặc đã bị thu hồi.")


def test_the_key_is_remembered_after_the_first_visit(live_server, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    page = open_kiosk(live_server)
    assert "key=" not in page.url  # taken out of the address bar once stored
    page.goto(f"{live_server.url}/kiosk")
    wait_for_screen(page, "home")


def test_the_kiosk_recovers_after_a_server_restart_without_a_reload(live_server, centre, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    page = open_kiosk(live_server)
    page.evaluate("() => { window.notReloaded = true; }")
    live_server.restart()
    wait_for_screen(page, "home", timeout_ms=20_000)
    page.wait_for_function("() => document.documentElement.dataset.connected === 'yes'", timeout=20_000)
    tap_field(page, "Chứng thực")
    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-number")).to_have_text("2001")
    assert page.evaluate("() => window.notReloaded") is True
    wait_until(lambda: centre.ticket_count() == 1, what="the ticket in the database")


def _assert_big_targets(page) -> None:  # type: ignore[no-untyped-def]
    """Every visible button is at least 64 px in both directions, with text of at least 20 px."""
    for button in page.locator("button:visible").all():
        box = button.bounding_box()
        assert box["height"] >= 64 and box["width"] >= 64, (button.inner_text(), box)
        size = float(button.evaluate(SMALLEST_TEXT))
        assert size >= 20, (button.inner_text(), size)


# The smallest font size of any text inside an element.
SMALLEST_TEXT = """(element) => {
  let smallest = Infinity;
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    if (walker.currentNode.textContent.trim()) {
      smallest = Math.min(smallest, parseFloat(getComputedStyle(walker.currentNode.parentElement).fontSize));
    }
  }
  return smallest;
}"""
