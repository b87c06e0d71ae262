"""The server cannot be reached: the kiosk says so, never shows a number the server did not confirm, and
recovers by itself. A retried request carries the same Idempotency-Key, so it cannot make two tickets."""
from __future__ import annotations

import pytest
from kiosk_test_support import SCREENS, tap_field, wait_for_screen, wait_until
from playwright.sync_api import expect


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_stopped_server_shows_offline_and_the_kiosk_recovers_by_itself(
        live_server, centre, open_kiosk, shot, screen) -> None:  # type: ignore[no-untyped-def]
    page = open_kiosk(live_server, screen)
    page.evaluate("() => { window.notReloaded = true; }")
    live_server.stop()
    wait_for_screen(page, "offline")
    expect(page.locator(".k-offline .k-message-title")).to_have_text("Mất kết nối với máy chủ")
    expect(page.locator(".k-offline")).to_contain_text("Hiện chưa thể cấp số thứ tự.")
    expect(page.locator(".k-tile-service:visible")).to_have_count(0)  # nothing to tap, nothing issued
    shot(page, f"{screen}-offline")

    live_server.start()
    wait_for_screen(page, "home", timeout_ms=20_000)
    tap_field(page, "Tư pháp – Hộ tịch")
    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-number")).to_have_text("1001")
    assert [t.number for t in centre.tickets()] == ["1001"]
    assert page.evaluate("() => window.notReloaded") is True


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_request_that_gets_no_answer_shows_no_number(live_server, centre, open_kiosk, shot, screen) -> None:  # type: ignore[no-untyped-def]
    page = open_kiosk(live_server, screen)
    attempts = []

    def no_answer(route) -> None:  # type: ignore[no-untyped-def]
        attempts.append(route.request.headers.get("idempotency-key"))
        route.abort("connectionrefused")

    page.route("**/api/v1/tickets?*", no_answer)
    tap_field(page, "Chứng thực")
    wait_for_screen(page, "problem")
    expect(page.locator("#problem-title")).to_have_text("Chưa lấy được số thứ tự")
    expect(page.locator("#problem-text")).to_have_text("Máy chủ không phản hồi. Chưa có số thứ tự nào được cấp cho bạn.")
    expect(page.locator("#ticket-number")).to_have_text("")
    shot(page, f"{screen}-no-answer")
    assert len(attempts) == 2 and attempts[0] == attempts[1] and attempts[0]  # one key, tried twice
    assert centre.ticket_count() == 0

    page.unroute("**/api/v1/tickets?*")
    page.locator("#problem-retry").click()
    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-number")).to_have_text("2001")
    assert centre.idempotency_keys() == [attempts[0]]


def test_an_answer_lost_on_the_way_back_is_not_issued_twice(live_server, centre, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    page = open_kiosk(live_server)
    keys = []

    def lose_the_answer(route) -> None:  # type: ignore[no-untyped-def]
        keys.append(route.request.headers.get("idempotency-key"))
        route.fetch()  # the server issues the ticket …
        route.abort("connectionreset")  # … but the answer never reaches the kiosk

    page.route("**/api/v1/tickets?*", lose_the_answer)
    tap_field(page, "Đất đai")
    wait_for_screen(page, "problem")
    expect(page.locator("#ticket-number")).to_have_text("")  # issued, but not confirmed to the kiosk
    [issued] = centre.tickets()

    page.unroute("**/api/v1/tickets?*")
    page.locator("#problem-retry").click()
    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-number")).to_have_text(issued.number)
    assert [t.number for t in centre.tickets()] == [issued.number]  # the retries replayed the same ticket
    assert len(set(keys)) == 1


def test_a_socket_drop_during_the_confirmation_keeps_the_confirmed_number(live_server, centre, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    page = open_kiosk(live_server)
    tap_field(page, "Bảo trợ xã hội")
    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-number")).to_have_text("A001")
    live_server.stop()
    page.wait_for_function("() => document.documentElement.dataset.connected === 'no'")
    expect(page.locator("#ticket-number")).to_have_text("A001")  # the server confirmed it: it stays
    page.locator("#done").click()
    wait_for_screen(page, "offline")
    live_server.start()
    wait_for_screen(page, "home", timeout_ms=20_000)
    wait_until(lambda: centre.ticket_count() == 1, what="exactly one ticket")
