"""The hall board's "Tiếp theo" hint under each counter is the ticket that counter's next call takes (the
one calling order), kept current by events as citizens arrive and counters call."""
from __future__ import annotations

CIVIL_STATUS, CERTIFICATION = 1, 2  # counter 1 serves Tư pháp – Hộ tịch first, then Chứng thực


def hint(page, counter: int) -> str:  # type: ignore[no-untyped-def]
    locator = page.locator(f".hall-counter[data-counter-id='{counter}'] .hall-counter-next strong")
    return locator.text_content() if locator.count() else ""


def test_each_counter_shows_the_ticket_its_next_call_takes(desk, open_display, artifacts) -> None:  # type: ignore[no-untyped-def]
    hall = open_display("/display/hall")
    certification = desk.issue(CERTIFICATION)  # 2001, first in line…
    hall.wait_for_function("() => document.querySelector(\".hall-counter[data-counter-id='1'] .hall-counter-next\")")
    assert hint(hall, 1) == certification["number"] == "2001"
    civil_status = desk.issue(CIVIL_STATUS)  # …but counter 1 serves its first field first
    hall.wait_for_function("() => document.querySelector(\".hall-counter[data-counter-id='1'] .hall-counter-next strong\")"
                           ".textContent === '1001'")
    assert hint(hall, 2) == "2001"  # counter 2 serves Chứng thực first
    hall.screenshot(path=str(artifacts / "hall-next-hints-1920x1080.png"))

    assert desk.call_next(1)["number"] == civil_status["number"] == "1001"  # what the hint said
    hall.wait_for_function("() => document.querySelector(\".hall-counter[data-counter-id='1'] .hall-counter-next strong\")"
                           ".textContent === '2001'")
    assert desk.call_next(2)["number"] == "2001"
    hall.wait_for_function("() => !document.querySelector(\".hall-counter[data-counter-id='1'] .hall-counter-next\")")


def test_hints_fit_when_nine_fields_put_the_counters_in_two_columns(live_server, desk, open_display, artifacts) -> None:  # type: ignore[no-untyped-def]
    from tests.browser.display.test_display_rough_edges import add_fields

    add_fields(live_server)
    hall = open_display("/display/hall")
    for service in (1, 3, 5, 6):  # one waiting citizen for each counter
        desk.issue(service)
    hall.wait_for_function("() => document.querySelectorAll('.hall-counter-next').length === 4")
    hall.wait_for_function("() => document.fonts.status === 'loaded'")
    overflowing = hall.evaluate("""() => Array.from(document.querySelectorAll('.hall-counter'))
        .filter((row) => row.scrollWidth > row.clientWidth + 1).map((row) => row.textContent)""")
    hall.screenshot(path=str(artifacts / "hall-next-hints-nine-fields-1920x1080.png"))
    assert overflowing == []
