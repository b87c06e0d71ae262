"""The dossier behind a visit in Debian's Chromium: the console's one field and Enter (typed, and
scanned by a USB barcode scanner, i.e. fast keyboard input), the outcome with missing papers, and the
dossier's custody trail page. One live server for the module (SQLite)."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Iterator

import pytest

from tests.browser.conftest import log_in
from tests.conftest import LiveServer, start_live_server

TPHT = 1
SHOTS = Path("/tmp/i14-shots")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[LiveServer]:
    work = tmp_path_factory.mktemp("dossier-screens")
    database = work / "hangcho.sqlite3"
    shutil.copy(sqlite_template, database)
    live = start_live_server(f"sqlite:///{database}", work)
    yield live
    live.stop()


def open_console(new_page, server: LiveServer, width: int = 1366, height: int = 768):  # type: ignore[no-untyped-def]
    page = new_page(width, height)
    page.goto(server.url + "/counter")
    page.fill("#username", "canbo1")
    page.fill("#password", "demo")
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/counter*")
    page.wait_for_selector("#console-main:not([hidden])")
    return page


def call_a_citizen(page, server: LiveServer) -> str:  # type: ignore[no-untyped-def]
    number = server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": TPHT}).json()["number"]
    page.wait_for_selector(f"#waiting-list .row-number:text-is('{number}')")
    page.keyboard.press("F1")
    page.wait_for_selector(f"#current-number:text-is('{number}')")
    page.wait_for_selector("#dossier-form:not([hidden])")
    return number


def test_the_clerk_attaches_a_typed_and_a_scanned_dossier_code(server, new_page) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(exist_ok=True)
    page = open_console(new_page, server)
    first = call_a_citizen(page, server)
    assert page.inner_text("label[for=dossier-code]") == "Mã hồ sơ (nhập hoặc quét mã, rồi nhấn Enter)"
    # Typed: the field, then Enter (outcome "Tiếp nhận" by default).
    page.click("#dossier-code")
    page.keyboard.type("hs-2026-0001")
    page.keyboard.press("Enter")
    page.wait_for_selector("#dossier-saved:not([hidden])")
    assert page.inner_text("#dossier-saved") == "Hồ sơ HS-2026-0001: Tiếp nhận."
    page.screenshot(path=str(SHOTS / "console-dossier-1366x768.png"))

    # The next citizen: "returned for more papers" asks for the papers first.
    page.keyboard.press("F6")  # finish
    page.wait_for_selector("#current-empty:not([hidden])")
    second = call_a_citizen(page, server)
    assert second != first
    page.check("input[name=dossier-outcome][value=returned]")
    page.wait_for_selector("#dossier-missing:not([hidden])")
    page.fill("#dossier-code", "HS-2026-0001")
    page.press("#dossier-code", "Enter")
    page.wait_for_selector("#error-box:not([hidden])")
    assert "Chọn giấy tờ cần bổ sung" in page.inner_text("#error-text")
    page.check("input[name=dossier-missing][value=don]")
    page.press("#dossier-code", "Enter")
    page.wait_for_selector("#dossier-saved:text('Lần thứ 2')")
    page.screenshot(path=str(SHOTS / "console-dossier-returned-1366x768.png"))

    # A scanner types fast with no field focused, then Enter: the code goes to the field, and the
    # letters in it ("X" finishes, "C" transfers) are not taken as shortcuts.
    page.keyboard.press("F6")
    page.wait_for_selector("#current-empty:not([hidden])")
    call_a_citizen(page, server)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.type("XC-0042", delay=5)
    page.keyboard.press("Enter")
    page.wait_for_selector("#dossier-saved:not([hidden])")
    assert page.inner_text("#dossier-saved") == "Hồ sơ XC-0042: Tiếp nhận."
    assert page.is_visible("#current-ticket") and not page.is_visible("#transfer-dialog")

    trail = server.api("GET", "/dossiers/HS-2026-0001", token=server.login("giamsat")).json()
    assert [visit["outcome"] for visit in trail["visits"]] == ["received", "returned"]
    assert trail["visits"][1]["repeat"] is True


def test_the_dossier_page_shows_the_custody_trail(server, new_page) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(exist_ok=True)
    token = server.login("canbo1")
    for missing in (["don"], ["don", "ban_ve"]):
        server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": TPHT})
        ticket = server.api("POST", "/counters/1/call-next", token=token).json()
        answer = server.api("POST", f"/tickets/{ticket['id']}/dossier", token=token,
                            json={"code": "HS-TRAIL-9", "outcome": "returned", "missing": missing})
        assert answer.status_code == 200, answer.text
    for width, height in ((1440, 900), (390, 844)):
        page = new_page(width, height)
        log_in_plain(page, server, "giamsat")
        page.goto(server.url + "/dashboard/dossiers")
        page.fill("#dossier-search-code", "hs-trail-9")
        page.press("#dossier-search-code", "Enter")
        page.wait_for_selector("#dossier-trail")
        visits = page.locator(".trail-visit")
        assert visits.count() == 2
        assert "Trả bổ sung" in visits.nth(0).inner_text() and "Quầy số 1" in visits.nth(0).inner_text()
        assert "Lần thứ 2" in visits.nth(1).inner_text()
        assert "Yêu cầu giấy tờ chưa nêu ở lần trước" in visits.nth(1).inner_text()
        page.screenshot(path=str(SHOTS / f"dossier-page-{width}x{height}.png"), full_page=True)
    page.fill("#dossier-search-code", "HS-NONE")
    page.press("#dossier-search-code", "Enter")
    page.wait_for_selector("#dossier-none")


def log_in_plain(page, server: LiveServer, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server.url}/login?next=/dashboard/dossiers")
    page.fill("#username", username)
    page.fill("#password", "demo")
    page.click("#login-form button[type=submit]")
    page.wait_for_url("**/dashboard/dossiers")


@pytest.mark.parametrize("width,height,scale", [(1280, 800, 1), (540, 960, 2)])
def test_the_kiosk_asks_which_visit_this_is_when_the_site_turns_it_on(server, new_page, width, height, scale) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(exist_ok=True)
    server.update_site_settings(dossiers={"ask_visit_at_kiosk": True})
    try:
        page = new_page(width, height, device_scale_factor=scale)
        page.goto(f"{server.url}/kiosk?key=demo-kiosk-1")
        page.wait_for_selector("#kiosk[data-screen=home]")
        page.locator(".k-tile-service", has_text="Đất đai").first.click()
        page.wait_for_selector("#kiosk[data-screen=visit]")
        assert page.inner_text(".k-visit .k-title") == "Ông/bà đến lần thứ mấy cho việc này?"
        choices = page.locator(".k-visit-choice")
        assert choices.count() == 3
        for index in range(3):
            box = choices.nth(index).bounding_box()
            assert box["height"] >= 100 and box["width"] >= 200  # one large tap
        page.screenshot(path=str(SHOTS / f"kiosk-visit-question-{width}x{height}.png"))
        choices.nth(1).click()
        page.wait_for_selector("#kiosk[data-screen=confirmation]")
        number = page.inner_text("#ticket-number")
        tickets = server.api("GET", "/reports/summary?group_by=site", token=server.login("giamsat")).json()
        assert tickets["totals"]["repeat_visits"] >= 1 and tickets["totals"]["visits_known"] >= 1
        assert number
    finally:
        server.update_site_settings(dossiers={"ask_visit_at_kiosk": False})


def test_without_the_setting_the_kiosk_issues_at_once(server, new_page) -> None:  # type: ignore[no-untyped-def]
    page = new_page(1280, 800)
    page.goto(f"{server.url}/kiosk?key=demo-kiosk-1")
    page.wait_for_selector("#kiosk[data-screen=home]")
    page.locator(".k-tile-service", has_text="Đất đai").first.click()
    page.wait_for_selector("#kiosk[data-screen=confirmation]")


def test_the_clerk_opens_their_weekly_summary_on_the_console(server, new_page) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(exist_ok=True)
    page = open_console(new_page, server)
    page.click("#my-week")
    page.wait_for_selector("#trend-dialog[open]")
    rows = page.locator("#trend-table tbody tr")
    assert rows.count() == 4
    assert "chưa đủ 20 đánh giá" in rows.nth(0).inner_text()  # no share below the minimum sample
    assert "từ 20 đánh giá" in page.inner_text("#trend-note")
    page.screenshot(path=str(SHOTS / "console-my-weeks-1366x768.png"))
    page.click("#trend-close")
    assert not page.is_visible("#trend-dialog")


def seed_red_items(server: LiveServer) -> None:
    """Two red items of last week in the server's database (as the weekly review raises them)."""
    import datetime as dt

    from server.db import make_engine, make_session_factory
    from server.models import LeaderItem, LeaderReview, Site
    from server.queue.leadership import last_complete_week

    engine = make_engine(server.database_url)
    session = make_session_factory(engine, writing=True)()
    try:
        now = dt.datetime.now(dt.timezone.utc)
        week = last_complete_week(session.get(Site, 1), now)
        # The server's scheduler may have reviewed the (empty) week already.
        if session.query(LeaderReview).filter_by(site_id=1, week_start=week).first() is None:
            session.add(LeaderReview(site_id=1, week_start=week, created_at=now))
        session.add(LeaderItem(site_id=1, week_start=week, kind="wait_p90_high", figure=2710.0, target=1800.0,
                               evidence={}, created_at=now))
        session.add(LeaderItem(site_id=1, week_start=week, kind="repeat_rate_high", figure=0.31, target=0.2,
                               evidence={}, created_at=now))
        session.commit()
    finally:
        session.close()
        engine.dispose()


def test_the_head_of_the_centre_answers_the_red_items(server, new_page) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(exist_ok=True)
    seed_red_items(server)
    for width, height in ((1440, 900), (390, 844)):
        page = new_page(width, height)
        log_in(page, server, "lanhdao", "/dashboard/leader")
        page.wait_for_selector(".leader-item")
        assert page.inner_text("#leader-summary") == "2 mục đỏ chưa xử lý, 0 mục quá hạn"
        assert not page.is_visible("#review-now")  # the week was reviewed already
        right = page.evaluate("Math.max(...[...document.querySelectorAll('.leader-item')].map((e) => e.getBoundingClientRect().right))")
        assert right <= width  # the cards fit the screen
        page.screenshot(path=str(SHOTS / f"leader-board-{width}x{height}.png"), full_page=True)
    wait = page.locator(".leader-item[data-kind=wait_p90_high]")
    assert "Thời gian chờ (P90) vượt mục tiêu" in wait.inner_text() and "Cần đề ra biện pháp" in wait.inner_text()
    assert wait.locator("[data-form=clear]").count() == 0  # nothing to clear before an action
    wait.locator("textarea").fill("Mở thêm quầy số 5 vào buổi sáng thứ Hai")
    wait.locator("[data-form=action] button").click()
    page.wait_for_selector(".leader-item[data-kind=wait_p90_high] .leader-status.is-progress")
    wait = page.locator(".leader-item[data-kind=wait_p90_high]")
    wait.locator("[data-form=clear] textarea").fill("ngắn")
    wait.locator("[data-form=clear] button").click()
    page.wait_for_selector(".leader-item[data-kind=wait_p90_high] [data-form=clear] .leader-message:not(:empty)")
    wait.locator("[data-form=clear] textarea").fill("Đã mở quầy số 5, thời gian chờ tuần này giảm còn 20 phút")
    wait.locator("[data-form=clear] button").click()
    page.wait_for_selector(".leader-item[data-kind=wait_p90_high].is-cleared")
    assert page.inner_text("#leader-summary") == "1 mục đỏ chưa xử lý, 0 mục quá hạn"
    page.screenshot(path=str(SHOTS / "leader-board-after-390x844.png"), full_page=True)


def test_where_the_centre_uses_phone_numbers_the_console_sends_one_and_only_its_code_is_kept(server, new_page) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select, text

    from server.db import make_engine, make_session_factory
    from server.models import CitizenKey

    server.update_site_settings(dossiers={"citizen_key": "phone"})
    try:
        page = open_console(new_page, server)
        call_a_citizen(page, server)
        assert page.inner_text("label[for=dossier-citizen-key]") == "Số điện thoại (không bắt buộc, chỉ lưu dưới dạng mã hóa)"
        page.fill("#dossier-citizen-key", "0912 345 678")
        page.fill("#dossier-code", "HS-PHONE-1")
        page.press("#dossier-code", "Enter")
        page.wait_for_selector("#dossier-saved:not([hidden])")
        assert page.input_value("#dossier-citizen-key") == ""
        page.screenshot(path=str(SHOTS / "console-dossier-phone-1366x768.png"))
        engine = make_engine(server.database_url)
        session = make_session_factory(engine)()
        try:
            (row,) = session.scalars(select(CitizenKey)).all()
            assert len(row.key_hash) == 64 and "912345678" not in row.key_hash
            dump = " ".join(str(value) for value in session.execute(text("SELECT payload FROM events")).scalars())
            assert "912345678" not in dump and row.key_hash not in dump
        finally:
            session.close()
            engine.dispose()
    finally:
        server.update_site_settings(dossiers={"citizen_key": "off"})


def test_the_live_board_shows_todays_ratings_with_and_without_the_flagged(server, new_page) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(exist_ok=True)
    token = server.login("canbo2")
    for _ in range(4):  # four services and ratings in seconds at counter 2: a burst, and rated too soon
        server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": 2})
        ticket = server.api("POST", "/counters/2/call-next", token=token).json()
        assert server.api("POST", f"/tickets/{ticket['id']}/finish", token=token).status_code == 200
        rated = server.api("POST", "/ratings", token="demo-rating-2", json={"ticket_id": ticket["id"], "score": 5})
        assert rated.status_code == 201, rated.text
    flags = server.api("GET", "/ratings/flags", token=server.login("giamsat")).json()
    assert {flag["kind"] for flag in flags} >= {"burst", "too_soon"}
    page = new_page(1440, 900)
    log_in(page, server, "giamsat", "/dashboard")
    page.wait_for_selector("#kpi-ratings-flags:not([hidden])")
    assert page.inner_text("#kpi-ratings-flags").startswith("4 bị gắn cờ")
    page.screenshot(path=str(SHOTS / "dashboard-flags-1440x900.png"))
