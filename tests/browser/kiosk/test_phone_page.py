"""The phone page behind the ticket's QR code: live position, the counter when called (without reloading),
then one rating with the ticket's token."""
from __future__ import annotations

from typing import Any

from playwright.sync_api import expect


def issue(server, service_id: int = 1) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": service_id})
    assert response.status_code == 201, response.text
    return response.json()


def phone_url(server, ticket: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    # public_url carries the configured public base; the test opens the same path on the live server.
    return server.url + "/t/" + ticket["public_url"].rsplit("/t/", 1)[1]


def test_the_phone_page_follows_the_ticket_until_it_is_called(live_server, centre, open_phone, shot) -> None:  # type: ignore[no-untyped-def]
    first = issue(live_server)
    mine = issue(live_server)
    page = open_phone(phone_url(live_server, mine))
    page.evaluate("() => { window.notReloaded = true; }")
    expect(page.locator("#ticket-number")).to_have_text("1002")
    expect(page.locator("#ticket-field")).to_have_text("Tư pháp – Hộ tịch")
    expect(page.locator("#status-main")).to_have_text("Còn 1 người trước bạn")
    # One ahead × 300 s, shared by the two counters serving the field: 150 s, given as 3 whole minutes.
    assert live_server.api("GET", "/public/tickets/" + mine["public_url"].rsplit("/t/", 1)[1]).json()["estimated_wait_s"] == 180
    expect(page.locator("#status-detail")).to_have_text("Thời gian chờ dự kiến: khoảng 3 phút")
    shot(page, "phone-waiting")

    clerk = live_server.login("canbo1")
    called = live_server.api("POST", "/counters/1/call-next", token=clerk).json()
    assert called["id"] == first["id"]
    expect(page.locator("#status-main")).to_have_text("Bạn là người tiếp theo")

    called = live_server.api("POST", "/counters/1/call-next", token=clerk).json()
    assert called["id"] == mine["id"]
    expect(page.locator("#status-main")).to_have_text("Mời công dân đến quầy số 1")
    expect(page.locator("#status-detail")).to_have_text("Cán bộ: Nguyễn Thị Lan")
    expect(page.locator("#phone")).to_have_attribute("data-status", "called")
    shot(page, "phone-called")
    assert page.evaluate("() => window.notReloaded") is True

    page.locator("#language-toggle").click()
    expect(page.locator("#status-main")).to_have_text("Please come to counter 1")
    expect(page.locator("#ticket-field")).to_have_text("Justice – Civil status")
    shot(page, "phone-called-english")


def test_after_service_the_citizen_rates_once_with_reasons_for_a_low_score(live_server, centre, open_phone, shot) -> None:  # type: ignore[no-untyped-def]
    ticket = issue(live_server, 3)
    page = open_phone(phone_url(live_server, ticket))
    clerk = live_server.login("canbo3")
    live_server.api("POST", "/counters/3/call-next", token=clerk)
    expect(page.locator("#status-main")).to_have_text("Mời công dân đến quầy số 3")
    live_server.api("POST", f"/tickets/{ticket['id']}/start", token=clerk)
    expect(page.locator("#status-main")).to_have_text("Đang được phục vụ tại quầy số 3")
    live_server.api("POST", f"/tickets/{ticket['id']}/finish", token=clerk)
    expect(page.locator("#status-main")).to_have_text("Đã hoàn thành. Xin cảm ơn công dân!")
    expect(page.locator("#rating")).to_be_visible()
    expect(page.locator(".p-score")).to_have_count(4)  # the site's configured buttons
    shot(page, "phone-rating", full_page=True)

    page.locator(".p-score", has_text="Không hài lòng").click()
    expect(page.locator(".p-reason")).to_have_count(7)
    page.locator(".p-reason", has_text="Chờ lâu").click()
    page.locator(".p-reason", has_text="Hướng dẫn chưa rõ ràng").click()
    page.locator("#comment").fill("Phải chờ gần một tiếng.")
    shot(page, "phone-rating-reasons", full_page=True)
    page.locator("#send-rating").click()
    expect(page.locator("#rating-thanks")).to_have_text("Cảm ơn công dân đã đánh giá!")
    shot(page, "phone-rating-thanks", full_page=True)
    [rating] = centre.ratings()
    assert rating.score == 2 and sorted(rating.reasons) == ["cho_lau", "huong_dan"]
    assert rating.comment == "Phải chờ gần một tiếng." and rating.channel.value == "phone"
    assert rating.ticket_id == ticket["id"] and rating.clerk_id is not None

    page.reload()
    expect(page.locator("#rating-thanks")).to_have_text("Công dân đã đánh giá lượt phục vụ này. Xin cảm ơn!")
    expect(page.locator(".p-score")).to_have_count(0)


def test_a_high_score_is_sent_at_once_and_a_second_rating_is_answered_kindly(live_server, centre, open_phone) -> None:  # type: ignore[no-untyped-def]
    ticket = issue(live_server, 2)
    clerk = live_server.login("canbo2")
    live_server.api("POST", "/counters/2/call-next", token=clerk)
    live_server.api("POST", f"/tickets/{ticket['id']}/finish", token=clerk)
    first = open_phone(phone_url(live_server, ticket))
    second = open_phone(phone_url(live_server, ticket))  # the same QR scanned twice
    first.locator(".p-score", has_text="Rất hài lòng").click()
    expect(first.locator("#rating-thanks")).to_have_text("Cảm ơn công dân đã đánh giá!")
    second.locator(".p-score[data-score='4']").click()  # "Hài lòng"
    expect(second.locator("#rating-thanks")).to_have_text("Công dân đã đánh giá lượt phục vụ này. Xin cảm ơn!")
    assert [r.score for r in centre.ratings()] == [5]


def test_a_skipped_ticket_tells_the_citizen_where_to_go(live_server, open_phone) -> None:  # type: ignore[no-untyped-def]
    ticket = issue(live_server, 5)
    page = open_phone(phone_url(live_server, ticket))
    clerk = live_server.login("canbo4")
    live_server.api("POST", "/counters/4/call-next", token=clerk)
    live_server.api("POST", f"/tickets/{ticket['id']}/skip", token=clerk)
    expect(page.locator("#status-main")).to_have_text(
        "Công dân đã lỡ lượt tại quầy số 4. Vui lòng đến quầy để được gọi lại.")


def test_an_unknown_link_says_so(live_server, new_page) -> None:  # type: ignore[no-untyped-def]
    page = new_page(360, 740)
    response = page.goto(live_server.url + "/t/not-a-real-token")
    assert response.status == 404
    expect(page.locator(".p-status-main")).to_have_text("Đường dẫn phiếu này không hợp lệ.")


def test_the_phone_page_catches_up_after_a_server_restart(live_server, open_phone) -> None:  # type: ignore[no-untyped-def]
    ticket = issue(live_server, 4)
    page = open_phone(phone_url(live_server, ticket))
    live_server.stop()
    page.wait_for_function("() => document.documentElement.dataset.connected === 'no'")
    live_server.start()
    clerk = live_server.login("canbo3")
    live_server.api("POST", "/counters/3/call-next", token=clerk)
    # Called while the page was reconnecting (or just after): the snapshot on reconnect brings it.
    expect(page.locator("#status-main")).to_have_text("Mời công dân đến quầy số 3", timeout=20_000)
