"""The hall board and the counter display page, in Debian's Chromium against the real server.

What a citizen in the hall sees: a call appears on the board and on the counter's own screen, a paused
counter says so, the board recovers by itself after a server restart, and an idle board never asks the
server for anything (no polling). Screenshots at 1920×1080 go to test-artifacts/.
"""
from __future__ import annotations

import re

# Demo fields (server/demo.py): 1 Tư pháp – Hộ tịch (1001…), 3 Đất đai (3001…), 5 Hộ kinh doanh (5001…).
CIVIL_STATUS, LAND, HOUSEHOLD_BUSINESS = 1, 3, 5


def test_a_call_appears_on_the_hall_board_and_on_the_counter_page(desk, open_display) -> None:  # type: ignore[no-untyped-def]
    hall = open_display("/display/hall")
    counter_page = open_display("/display/counter/3", width=1280, height=720)
    ticket = desk.issue(LAND)

    called = desk.call_next(3)

    assert called["number"] == ticket["number"] == "3001"
    # Number and counter together (a full run once read the counter empty right after the number
    # appeared; not reproduced alone: waiting for both keeps the check without the race).
    hall.wait_for_function("() => document.getElementById('newest-number').textContent === '3001'"
                           " && document.getElementById('newest-counter').textContent === '3'")
    assert hall.text_content(".hall-counter[data-counter-id='3'] .hall-counter-number") == "3001"
    assert hall.get_attribute("#newest", "class").split().count("is-new") == 1  # the attention animation runs
    counter_page.wait_for_function("() => document.getElementById('counter-number').textContent === '3001'")
    line = counter_page.text_content("#counter-line")
    assert line == "Mời công dân có số 3001 đến quầy số 3"


def test_a_finished_ticket_leaves_the_counter_but_stays_among_the_latest_calls(desk, open_display) -> None:  # type: ignore[no-untyped-def]
    desk.issue(CIVIL_STATUS)
    desk.issue(CIVIL_STATUS)
    first = desk.call_next(1)
    hall = open_display("/display/hall")
    counter_page = open_display("/display/counter/1", width=1280, height=720)
    assert hall.text_content("#newest-number") == first["number"]  # from the snapshot

    second = desk.call_next(1)  # finishes the first ticket, calls the next

    hall.wait_for_function(f"() => document.getElementById('newest-number').textContent === '{second['number']}'")
    recent = hall.locator("#recent-list .hall-recent-number").all_text_contents()
    assert recent[0] == first["number"]
    counter_page.wait_for_function(f"() => document.getElementById('counter-number').textContent === '{second['number']}'")
    response = desk.server.api("POST", f"/tickets/{second['id']}/finish", token=desk.clerk(1))
    assert response.status_code == 200
    counter_page.wait_for_function("() => document.getElementById('counter-number').textContent === ''")
    hall.wait_for_function("() => document.querySelector(\".hall-counter[data-counter-id='1'] .hall-counter-number\").textContent === '—'")


def test_a_paused_counter_shows_tam_dung_on_the_board_and_its_own_page(desk, open_display) -> None:  # type: ignore[no-untyped-def]
    hall = open_display("/display/hall")
    counter_page = open_display("/display/counter/2", width=1280, height=720)

    desk.counter_action(2, "pause", reason="Họp giao ban")

    counter_page.wait_for_function("() => document.getElementById('counter-screen').dataset.status === 'paused'")
    assert counter_page.text_content("#counter-state") == "Tạm dừng"
    assert counter_page.text_content("#counter-reason") == "Họp giao ban"
    assert counter_page.text_content("#counter-number") == ""
    hall.wait_for_function("() => document.querySelector(\".hall-counter[data-counter-id='2']\").classList.contains('is-paused')")
    assert hall.text_content(".hall-counter[data-counter-id='2'] .hall-counter-state") == "Tạm dừng"

    desk.counter_action(2, "resume")

    counter_page.wait_for_function("() => document.getElementById('counter-screen').dataset.status === 'idle'")
    assert counter_page.text_content("#counter-state") == "Sẵn sàng phục vụ"  # open again, nobody called yet
    assert counter_page.is_hidden("#counter-reason")


def test_the_board_recovers_by_itself_after_a_server_restart(live_server, desk, open_display) -> None:  # type: ignore[no-untyped-def]
    desk.issue(CIVIL_STATUS)
    desk.issue(LAND)
    hall = open_display("/display/hall")
    counter_page = open_display("/display/counter/3", width=1280, height=720)
    snapshots_before = hall.evaluate("() => window.HangChoDisplay.snapshots")

    live_server.stop()
    mark = hall.locator(".hc-connection")
    mark.wait_for(state="visible")
    assert mark.text_content() == "Mất kết nối"
    live_server.start()

    hall.wait_for_function(f"() => window.HangChoDisplay.snapshots > {snapshots_before}", timeout=20_000)
    mark.wait_for(state="hidden")
    called = desk.call_next(3)
    hall.wait_for_function(f"() => document.getElementById('newest-number').textContent === '{called['number']}'")
    counter_page.wait_for_function(f"() => document.getElementById('counter-number').textContent === '{called['number']}'")
    assert hall.text_content(".hall-field[data-service-id='1'] .hall-field-count") == "1"


def test_an_idle_board_makes_no_http_requests(desk, open_display) -> None:  # type: ignore[no-untyped-def]
    desk.issue(CIVIL_STATUS)
    hall = open_display("/display/hall")
    # Loading ends with the voice pack, fetched once right after the first snapshot.
    hall.wait_for_function("() => performance.getEntriesByType('resource').some((entry) => entry.name.endsWith('/chime.wav'))")
    hall.wait_for_load_state("networkidle")
    requests: list[str] = []
    hall.on("request", lambda request: requests.append(request.url))

    # 20 s of an idle hall, with one call in the middle: it arrives over the socket, not over HTTP.
    hall.wait_for_timeout(10_000)
    called = desk.call_next(1)
    hall.wait_for_function(f"() => document.getElementById('newest-number').textContent === '{called['number']}'")
    hall.wait_for_timeout(10_000)

    assert requests == []


def test_the_board_speaks_english_with_lang_en(desk, open_display) -> None:  # type: ignore[no-untyped-def]
    desk.issue(HOUSEHOLD_BUSINESS)
    desk.call_next(4)
    hall = open_display("/display/hall", query="lang=en")
    assert hall.text_content("#newest-invite") == "Please come forward, number"
    assert hall.text_content(".hall-counter[data-counter-id='4'] .hall-counter-label") == "Counter 4"
    assert hall.text_content(".hall-field[data-service-id='5'] .hall-field-name") == "Household business"
    assert hall.evaluate("() => document.documentElement.lang") == "en"


def test_a_screen_without_a_device_key_says_how_to_set_it_up(live_server, new_page) -> None:  # type: ignore[no-untyped-def]
    page = new_page(1920, 1080)
    page.goto(live_server.url + "/display/hall")
    problem = page.locator("#display-problem")
    problem.wait_for(state="visible")
    assert "?key=" in problem.text_content()
    assert "khóa thiết bị" in problem.text_content()


def test_hall_board_and_counter_page_are_readable_from_ten_metres(live_server, desk, open_display, artifacts) -> None:  # type: ignore[no-untyped-def]
    live_server.update_site_settings(notice="Từ ngày 01/12/2026, Trung tâm tiếp nhận hồ sơ cả sáng thứ Bảy. "
                                            "Công dân vui lòng giữ phiếu số cho đến khi được gọi.")
    for service in (CIVIL_STATUS, CIVIL_STATUS, CIVIL_STATUS, LAND, LAND, HOUSEHOLD_BUSINESS, 6, 6, 7):
        desk.issue(service)
    for counter in (1, 2, 3, 4, 1, 3):
        desk.call_next(counter)
    hall = open_display("/display/hall")
    counter_page = open_display("/display/counter/3")
    hall.wait_for_function("() => document.fonts.status === 'loaded'")
    counter_page.wait_for_function("() => document.fonts.status === 'loaded'")

    sizes = hall.evaluate(_TEXT_SIZES)
    number_height = hall.evaluate("() => parseFloat(getComputedStyle(document.getElementById('newest-number')).fontSize)")
    assert number_height >= 0.08 * 1080 * 2  # the newest number: far above the 8 % minimum
    assert min(sizes) >= 36, sorted(sizes)[:5]
    assert hall.text_content("#notice-text").startswith("Từ ngày 01/12/2026")
    assert len(hall.locator("#recent-list .hall-recent-row").all()) == 5
    assert _fits_on_screen(hall)
    counter_sizes = counter_page.evaluate(_TEXT_SIZES)
    assert min(counter_sizes) >= 36
    assert counter_page.evaluate("() => parseFloat(getComputedStyle(document.getElementById('counter-number')).fontSize)") >= 0.3 * 1080

    hall.screenshot(path=str(artifacts / "display-hall-1920x1080.png"))
    counter_page.screenshot(path=str(artifacts / "display-counter-1920x1080.png"))
    desk.counter_action(3, "pause", reason="Nghỉ giữa giờ")
    counter_page.wait_for_function("() => document.getElementById('counter-screen').dataset.status === 'paused'")
    counter_page.screenshot(path=str(artifacts / "display-counter-paused-1920x1080.png"))
    hall.wait_for_function("() => document.querySelector(\".hall-counter[data-counter-id='3']\").classList.contains('is-paused')")
    hall.screenshot(path=str(artifacts / "display-hall-paused-counter-1920x1080.png"))


# Computed font sizes of every element that shows text of its own (visible ones only).
_TEXT_SIZES = """() => Array.from(document.querySelectorAll('body *'))
  .filter((node) => Array.from(node.childNodes).some((child) => child.nodeType === 3 && child.textContent.trim()))
  .filter((node) => node.getClientRects().length > 0 && getComputedStyle(node).visibility !== 'hidden')
  .map((node) => parseFloat(getComputedStyle(node).fontSize))"""


def _fits_on_screen(page) -> bool:  # type: ignore[no-untyped-def]
    """No list of the board runs off the screen (rows hidden by the fit rule do not count)."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('.hall-counter, .hall-field, .hall-recent-row:not(.is-clipped)'))
      .every((row) => { const box = row.getBoundingClientRect(); return box.bottom <= innerHeight && box.right <= innerWidth; })""")


def test_counter_page_of_an_unknown_counter_is_not_found(live_server) -> None:  # type: ignore[no-untyped-def]
    import requests

    assert requests.get(live_server.url + "/display/counter/999", timeout=5).status_code == 404
    page = requests.get(live_server.url + "/display/counter/1", timeout=5)
    assert page.status_code == 200
    assert re.search(r"Quầy số\s*<strong>1</strong>", page.text)
