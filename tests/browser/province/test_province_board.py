"""The province board in Debian's Chromium: a ticket issued at an uplinked site shows up live (pushed,
no reload), a site that never connected is marked, and the page reads on a phone. Screenshots at
1440×900 and 390×844 go to test-artifacts/."""
from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.integration.province.conftest import add_site, issue, make_central, start_site

LIVE_TIMEOUT_MS = 10_000
UPLINK_PANEL_TIMEOUT_MS = 20_000  # more than one of the dashboard panel's 15 s reads


def test_a_ticket_issued_at_a_site_appears_live_on_the_province_board(  # type: ignore[no-untyped-def]
        new_page, tmp_path: Path, sqlite_template: Path, artifacts) -> None:
    central = make_central(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path)
    key = add_site(central, "XA-PB", "Trung tâm Phục vụ hành chính công xã Phú Bình")
    add_site(central, "XA-TL", "Trung tâm Phục vụ hành chính công xã Tân Lập")
    central.start()
    path = tmp_path / "site.sqlite3"
    shutil.copy(sqlite_template, path)
    site = start_site(f"sqlite:///{path}", tmp_path, central, key)
    try:
        issue(site, 2)
        page = new_page(1440, 900)
        log_in(page, central, "tinh", "/province")
        live = page.locator("tr[data-site-id]", has_text="XA-PB")
        expect(live.locator(".issued-cell")).to_have_text("2", timeout=LIVE_TIMEOUT_MS)
        expect(live).to_have_attribute("data-connected", "yes")
        silent = page.locator("tr[data-site-id]", has_text="XA-TL")
        expect(silent).to_have_class("site-offline")
        expect(silent.locator(".link-state")).to_have_text("Mất kết nối")
        expect(silent.locator(".last-seen")).to_have_text("Chưa kết nối")
        expect(page.locator("#sites-table tbody tr")).to_have_count(2)

        page.evaluate("() => { window.notReloaded = true; }")
        issue(site, 1)
        expect(live.locator(".issued-cell")).to_have_text("3", timeout=LIVE_TIMEOUT_MS)
        expect(live.locator(".waiting-cell")).to_have_text("3")
        assert page.evaluate("() => window.notReloaded") is True

        page.click("button[data-sort='issued_today']")  # sort: most tickets first
        expect(page.locator("#sites-table tbody tr").first).to_contain_text("XA-PB")
        page.screenshot(path=str(artifacts / "province-board-1440.png"), full_page=True)

        # The site's own dashboard shows the link's health.
        dashboard = new_page(1440, 900)
        log_in(dashboard, site, "giamsat", "/dashboard")
        # The panel reads GET /uplink every 15 s: an event committed just before its first read (the
        # printer's time-out alert of the first tickets, ~10 s after them) is sent at once but shows at the next.
        expect(dashboard.locator("#uplink-status")).to_have_text("Đang kết nối, dữ liệu đã cập nhật đầy đủ",
                                                                 timeout=UPLINK_PANEL_TIMEOUT_MS)
        dashboard.locator("#uplink-panel").screenshot(path=str(artifacts / "site-dashboard-uplink-1440.png"))

        phone = new_page(390, 844)
        log_in(phone, central, "thanhtra", "/province")
        expect(phone.locator("tr[data-site-id]", has_text="XA-PB").locator(".issued-cell")).to_have_text("3")
        phone.screenshot(path=str(artifacts / "province-board-390.png"), full_page=True)
        assert phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        site.stop()
        central.stop()
