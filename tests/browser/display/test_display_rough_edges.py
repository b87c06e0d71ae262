"""Rough edges of the display screens, fixed and measured at their real sizes: an idle counter display
says it is ready (1280×720), the hall board keeps nine long field names whole and its "Mất kết nối" mark
clear of the waiting counts (1920×1080)."""
from __future__ import annotations

MORE_FIELDS = [("GD", "Giáo dục – Đào tạo", "Education – Training"), ("YT", "Y tế – Bảo hiểm y tế", "Health – Insurance")]


def add_fields(server) -> None:  # type: ignore[no-untyped-def]
    admin = server.login("admin")
    for index, (code, name, name_en) in enumerate(MORE_FIELDS):
        created = server.api("POST", "/admin/services", token=admin, json={
            "code": code, "name": name, "name_en": name_en, "number_start": 8001 + 1000 * index,
            "number_end": 8999 + 1000 * index})
        assert created.status_code == 201, created.text


def test_an_idle_counter_display_says_it_is_ready_instead_of_an_empty_panel(desk, open_display, artifacts) -> None:  # type: ignore[no-untyped-def]
    page = open_display("/display/counter/2", width=1280, height=720)
    page.wait_for_function("() => document.getElementById('counter-screen').dataset.status === 'idle'")
    assert page.text_content("#counter-state") == "Sẵn sàng phục vụ"
    assert page.text_content("#counter-line") == "Vui lòng chờ gọi số trên màn hình và loa"
    assert page.is_hidden("#counter-number")
    page.screenshot(path=str(artifacts / "display-counter-idle-1280x720.png"))

    desk.issue(2)
    called = desk.call_next(2)

    page.wait_for_function(f"() => document.getElementById('counter-number').textContent === '{called['number']}'")
    assert page.is_hidden("#counter-state") and page.get_attribute("#counter-screen", "data-status") == "open"
    page.screenshot(path=str(artifacts / "display-counter-calling-1280x720.png"))


def test_nine_fields_keep_their_whole_names_on_the_hall_board(live_server, desk, open_display, artifacts) -> None:  # type: ignore[no-untyped-def]
    add_fields(live_server)
    hall = open_display("/display/hall")
    hall.wait_for_function("() => document.querySelectorAll('#field-list .hall-field').length === 9")
    hall.wait_for_function("() => document.fonts.status === 'loaded'")
    cut = hall.evaluate("""() => Array.from(document.querySelectorAll('.hall-field-name'))
        .filter((name) => name.scrollWidth > name.clientWidth + 1)
        .map((name) => name.textContent)""")
    hall.screenshot(path=str(artifacts / "display-hall-nine-fields-1920x1080.png"))
    assert cut == [], f"cut names: {cut}"
    names = hall.locator(".hall-field-name").all_text_contents()
    assert "Lao động – Việc làm" in names and "Giáo dục – Đào tạo" in names
    smallest = hall.evaluate("() => Math.min(...Array.from(document.querySelectorAll('.hall-field-name, .hall-field-count'))"
                             ".map((node) => parseFloat(getComputedStyle(node).fontSize)))")
    assert smallest >= 36, "never smaller than 1 --u on a 1080-line TV"
    fits = hall.evaluate("""() => Array.from(document.querySelectorAll('.hall-field'))
        .every((row) => { const box = row.getBoundingClientRect(); return box.bottom <= innerHeight && box.right <= innerWidth; })""")
    assert fits
    hall.screenshot(path=str(artifacts / "display-hall-nine-fields-1920x1080.png"))


def test_the_connection_lost_mark_never_covers_a_waiting_count(live_server, desk, open_display, artifacts) -> None:  # type: ignore[no-untyped-def]
    hall = open_display("/display/hall")
    hall.wait_for_function("() => document.querySelectorAll('#field-list .hall-field').length === 7")

    live_server.stop()

    hall.wait_for_function("() => document.documentElement.dataset.connected === 'no'")
    mark = hall.locator(".hc-connection")
    mark.wait_for(state="visible")
    assert mark.text_content() == "Mất kết nối"
    overlaps = hall.evaluate("""() => {
        const mark = document.querySelector('.hc-connection').getBoundingClientRect();
        return Array.from(document.querySelectorAll('.hall-field-count, .hall-field-name, .hall-counter, .hall-newest'))
          .filter((node) => { const box = node.getBoundingClientRect();
            return box.left < mark.right && mark.left < box.right && box.top < mark.bottom && mark.top < box.bottom; })
          .map((node) => node.className);
    }""")
    assert overlaps == []
    hall.screenshot(path=str(artifacts / "display-hall-offline-1920x1080.png"))
    live_server.start()
    hall.wait_for_function("() => document.documentElement.dataset.connected === 'yes'", timeout=30_000)
