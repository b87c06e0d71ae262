"""The console lists the waiting citizens in the order call-next takes them (1366×768): its counter's
first field before its second, priority first, and it never re-sorts by itself."""
from __future__ import annotations

from tests.browser.console.test_console_and_rating_terminal import open_console

CIVIL_STATUS, CERTIFICATION = 1, 2  # counter 1 serves Tư pháp – Hộ tịch, then Chứng thực


def issue(live_server, service: int, priority: str | None = None) -> str:  # type: ignore[no-untyped-def]
    answer = live_server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": service, "priority": priority})
    assert answer.status_code == 201, answer.text
    return answer.json()["number"]


def listed(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.locator("#waiting-list .row-number").all_text_contents()


def test_the_waiting_list_is_the_calling_order(live_server, new_page, artifacts) -> None:  # type: ignore[no-untyped-def]
    page, _frames = open_console(new_page, live_server)
    numbers = [issue(live_server, CERTIFICATION), issue(live_server, CIVIL_STATUS),
               issue(live_server, CERTIFICATION, "nguoi_cao_tuoi"), issue(live_server, CIVIL_STATUS)]
    assert numbers == ["2001", "1001", "2002", "1002"]
    expected = ["2002", "1001", "1002", "2001"]  # priority, then the first field, then the second
    page.wait_for_function(f"() => Array.from(document.querySelectorAll('#waiting-list .row-number'))"
                           f".map((e) => e.textContent).join() === {','.join(expected)!r}")
    page.screenshot(path=str(artifacts / "console-calling-order-1366x768.png"))
    clerk = live_server.login("canbo1")
    called = []
    for _ in expected:
        answer = live_server.api("POST", "/counters/1/call-next", token=clerk)
        called.append(answer.json()["number"])
    assert called == expected
