"""The public /wait page in Debian's Chromium on a phone (390×844): pick a field, the centre with the
shortest wait first, a centre whose link drops marked at once, figures pushed live (no reload, no
polling); and the province board shows the site's own name beside the registered one. Screenshots go to
test-artifacts/wait-*.png and province-board-site-name-1440.png."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import requests
import socketio
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.integration.province.conftest import add_site, issue, make_central, start_site
from tests.integration.province.test_site_status_and_catalogue import site_rows

LIVE_TIMEOUT_MS = 15_000


def test_a_citizen_finds_the_shortest_wait_for_a_field_on_a_phone(  # type: ignore[no-untyped-def]
        new_page, tmp_path: Path, sqlite_template: Path, artifacts) -> None:
    central = make_central(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path)
    key = add_site(central, "XA-PB", "Trung tâm Phục vụ hành chính công xã Phú Bình")
    other_key = add_site(central, "XA-TL", "Trung tâm Phục vụ hành chính công xã Tân Lập")
    central.start()
    path = tmp_path / "site.sqlite3"
    shutil.copy(sqlite_template, path)
    site = start_site(f"sqlite:///{path}", tmp_path, central, key)
    # A second centre speaking the uplink's own protocol: its hall is empty for Tư pháp – Hộ tịch.
    other = socketio.Client(reconnection=False)
    try:
        issue(site, 4, service_id=1)
        other.connect(central.url, auth={"key": other_key}, namespaces=["/uplink"], transports=["websocket"])
        assert other.call("hello", {"site_id": 1, "seq": 0}, namespace="/uplink", timeout=10)["ok"]
        assert other.call("site_status", {"name": "TTPVHCC Tân Lập", "fields": [
            {"code": "TPHT", "name": "Tư pháp – Hộ tịch", "waiting": 0, "estimated_wait_s": 0, "counters_serving": 1},
            {"code": "DD", "name": "Đất đai", "waiting": 2, "estimated_wait_s": 600, "counters_serving": 1}]},
            namespace="/uplink", timeout=10)["ok"]

        page = new_page(390, 844)
        page.goto(central.url + "/wait")
        page.wait_for_selector("html[data-ready=yes]")
        expect(page.locator("h1")).to_have_text("Nơi nào đang chờ ít nhất?")
        page.select_option("#field-select", "TPHT")
        cards = page.locator("#wait-list .wait-card")
        expect(cards).to_have_count(2, timeout=LIVE_TIMEOUT_MS)
        # The site's own status arrives within a second or so of its tickets; until then it shows no line.
        live = page.locator(".wait-card[data-site-code='XA-PB']")
        expect(live.locator(".wait-detail")).to_contain_text("4 người đang chờ", timeout=LIVE_TIMEOUT_MS)
        expect(cards.first).to_have_attribute("data-site-code", "XA-TL")
        expect(cards.first.locator(".wait-best")).to_have_text("Chờ ít nhất")
        expect(cards.first.locator(".wait-figure")).to_have_text("Không phải chờ")
        expect(live.locator(".wait-figure")).to_contain_text("khoảng")
        page.screenshot(path=str(artifacts / "wait-390.png"), full_page=True)
        assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")

        # Pushed, not polled: the site's next ticket and the other centre's lost link show without a reload.
        page.evaluate("() => { window.notReloaded = true; }")
        issue(site, 1, service_id=1)
        expect(live.locator(".wait-detail")).to_contain_text("5 người đang chờ", timeout=LIVE_TIMEOUT_MS)
        other.disconnect()
        gone = page.locator(".wait-card[data-site-code='XA-TL']")
        expect(gone).to_have_attribute("data-connected", "no", timeout=LIVE_TIMEOUT_MS)
        expect(gone.locator(".wait-offline")).to_contain_text("Mất kết nối")
        # The time of its last figures is Hà Nội's, whatever zone the browser runs in (this one: UTC).
        last = next(row for row in requests.get(central.url + "/api/v1/public/wait-times", timeout=10).json()
                    if row["code"] == "XA-TL")["updated_at"]
        hanoi = dt.datetime.fromisoformat(last).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M")
        expect(gone.locator(".wait-offline")).to_contain_text(hanoi)
        expect(cards.first).to_have_attribute("data-site-code", "XA-PB")
        assert page.evaluate("() => window.notReloaded") is True
        page.screenshot(path=str(artifacts / "wait-390-disconnected.png"), full_page=True)

        # A field named in the address; English on request; a desktop screen too.
        english = new_page(1440, 900)
        english.goto(central.url + "/wait?lang=en&field=DD")
        english.wait_for_selector("html[data-ready=yes]")
        expect(english.locator("h1")).to_have_text("Where is the shortest wait now?")
        expect(english.locator("#field-select")).to_have_value("DD")
        expect(english.locator(".wait-card")).to_have_count(2)  # both centres have Đất đai
        english.screenshot(path=str(artifacts / "wait-1440-en.png"), full_page=True)

        # The board: the registered name first, the site's own name beside it.
        board = new_page(1440, 900)
        log_in(board, central, "tinh", "/province")
        row = board.locator("tr[data-site-id]", has_text="XA-PB")
        expect(row.locator(".site-link")).to_have_text("Trung tâm Phục vụ hành chính công xã Phú Bình")
        own_name = " · ".join(site_rows(site, "SELECT c.name, s.name FROM sites s JOIN centres c ON c.id = s.centre_id "
                                              "ORDER BY s.id LIMIT 1")[0])
        expect(row.locator(".site-own-name")).to_have_text(f"Tên do điểm tự khai báo: {own_name}",
                                                           timeout=LIVE_TIMEOUT_MS)
        board.screenshot(path=str(artifacts / "province-board-site-name-1440.png"), full_page=True)
    finally:
        if other.connected:
            other.disconnect()
        site.stop()
        central.stop()
