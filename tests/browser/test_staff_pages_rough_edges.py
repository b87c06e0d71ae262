"""Staff pages at their real sizes: a double-click on "Đăng nhập" after a failed log-in logs in (it used
to switch language and show an empty form), and a page the account may not open explains itself in
words, never "Mã lỗi: forbidden (403)" (1440×900)."""
from __future__ import annotations

from playwright.sync_api import expect


def test_a_double_click_after_a_failed_log_in_logs_in(live_server, new_page, artifacts) -> None:  # type: ignore[no-untyped-def]
    page = new_page(1440, 900)
    logins: list[int] = []
    # The form posts to /login (no script needed); count those posts, not the page loads.
    page.on("response", lambda response: logins.append(response.status)
            if response.request.method == "POST" and response.url.split("?")[0].endswith("/login") else None)
    page.goto(live_server.url + "/login?next=/dashboard")
    page.fill("#username", "giamsat")
    page.fill("#password", "sai-mat-khau")
    page.click("#login-form button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")
    page.screenshot(path=str(artifacts / "login-1440x900-failed.png"))

    page.fill("#password", "demo")
    page.dblclick("#login-form button[type=submit]")

    page.wait_for_url(live_server.url + "/dashboard")
    page.wait_for_selector("html[data-ready=yes]")
    assert logins == [401, 303], "one request per click that reached the form; the second click was ignored"


def test_a_clerk_opening_the_dashboard_reads_what_happened_and_what_to_do(live_server, new_page, artifacts) -> None:  # type: ignore[no-untyped-def]
    page = new_page(1440, 900)
    page.goto(live_server.url + "/login?next=/counter")
    page.fill("#username", "canbo1")
    page.fill("#password", "demo")
    page.click("#login-form button[type=submit]")
    page.wait_for_url(live_server.url + "/counter")

    page.goto(live_server.url + "/dashboard")

    card = page.locator("main.error-card")
    expect(card.locator("h1")).to_have_text("Trang này không dành cho tài khoản của bạn")
    expect(card.locator(".error-message")).to_have_text("Bạn không có quyền thực hiện thao tác này.")
    text = card.text_content() or ""
    assert "forbidden" not in text and "Mã lỗi" not in text and "403" not in text
    assert card.get_attribute("data-error") == "forbidden"
    expect(card.get_by_role("link", name="Đăng nhập bằng tài khoản khác")).to_have_attribute("href", "/login?next=/dashboard")
    page.screenshot(path=str(artifacts / "error-1440x900-forbidden.png"))


def test_an_unknown_page_says_it_does_not_exist(live_server, new_page, artifacts) -> None:  # type: ignore[no-untyped-def]
    page = new_page(1440, 900)
    page.goto(live_server.url + "/khong-co-trang-nay")
    expect(page.locator("main.error-card h1")).to_have_text("Không có trang này")
    assert "not_found" not in (page.locator("main.error-card").text_content() or "")
    page.screenshot(path=str(artifacts / "error-1440x900-not-found.png"))
