"""Citizens' comments reach the supervisor: a comment given on the rating terminal appears on the live
dashboard with its ticket number, field, counter, clerk, score and reasons (1440×900)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in

LIVE_TIMEOUT_MS = 10_000


def test_a_comment_appears_on_the_dashboard_with_who_served_and_the_score(live_server, new_page, artifacts):  # type: ignore[no-untyped-def]
    page = new_page(1440, 900)
    log_in(page, live_server, "giamsat", "/dashboard")
    expect(page.locator("#comments-empty")).to_be_visible()
    expect(page.locator("#comments-empty")).to_have_text("Chưa có ý kiến nào trong 7 ngày qua.")

    clerk = live_server.login("canbo2")
    live_server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": 2})
    called = live_server.api("POST", "/counters/2/call-next", token=clerk).json()
    assert live_server.api("POST", f"/tickets/{called['id']}/finish", token=clerk).status_code == 200
    rated = live_server.api("POST", "/ratings", token="demo-rating-2", json={
        "ticket_id": called["id"], "score": 2, "reasons": ["cho_lau", "huong_dan"],
        "comment": "Phải chờ lâu, cán bộ hướng dẫn chưa rõ giấy tờ cần mang theo."})
    assert rated.status_code == 201, rated.text

    item = page.locator("#comment-list .comment-item").first
    expect(item.locator(".comment-text")).to_have_text("Phải chờ lâu, cán bộ hướng dẫn chưa rõ giấy tờ cần mang theo.",
                                                       timeout=LIVE_TIMEOUT_MS)
    where = item.locator(".comment-where").text_content() or ""
    assert where.startswith(f"Số {called['number']} · Chứng thực · Quầy số 2 · ")
    assert len(where.split(" · ")) == 4, "the clerk's name closes the line"
    expect(item.locator(".comment-score")).to_have_text("2/5 · Không hài lòng")
    expect(item.locator(".comment-score")).to_have_class("comment-score score-2 is-low")
    expect(item.locator(".comment-reasons")).to_have_text("Chờ lâu · Hướng dẫn chưa rõ ràng")
    expect(item.locator(".comment-time")).to_have_text(re.compile(r"^\d\d/\d\d \d\d:\d\d$"))
    expect(page.locator("#comments-empty")).to_be_hidden()
    page.locator("section[aria-labelledby=comments-title]").screenshot(path=str(artifacts / "dashboard-1440x900-comments.png"))
    page.screenshot(path=str(artifacts / "dashboard-1440x900-with-comments.png"), full_page=True)


def test_a_clerk_never_reads_the_comments(live_server) -> None:  # type: ignore[no-untyped-def]
    response = live_server.api("GET", "/reports/comments", token=live_server.login("canbo1"))
    assert response.status_code == 403
