"""The province catalogue as the site's administrator sees it, in Chromium: after the central published
its list and the site applied it over the uplink, the fields page marks the province's fields and says
that the new one waits for a counter; the audit page tells it as the system's change. Screenshots
test-artifacts/admin-fields-province-1440.png and admin-audit-province-1440.png."""
from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.integration.province.conftest import add_site, make_central, query_database, start_site, wait_until
from tests.integration.province.test_site_status_and_catalogue import CATALOGUE, publish

LIVE_TIMEOUT_MS = 15_000


def test_the_admin_screen_shows_which_fields_come_from_the_province(  # type: ignore[no-untyped-def]
        new_page, tmp_path: Path, sqlite_template: Path, artifacts) -> None:
    central = make_central(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path)
    key = add_site(central, "XA-PB", "Trung tâm Phục vụ hành chính công xã Phú Bình")
    central.start()
    path = tmp_path / "site.sqlite3"
    shutil.copy(sqlite_template, path)
    site = start_site(f"sqlite:///{path}", tmp_path, central, key)
    try:
        version = publish(central, CATALOGUE)
        wait_until(lambda: query_database(site.database_url, "SELECT catalogue_version FROM uplink_states")
                   == [(version,)], 30, "the catalogue applied at the site")
        page = new_page(1440, 900)
        log_in(page, site, "admin", "/admin/services")
        rows = page.locator("tr[data-id]")
        expect(rows.filter(has_text="BHYT").locator(".province-badge")).to_have_text("Danh mục tỉnh",
                                                                                   timeout=LIVE_TIMEOUT_MS)
        expect(rows.filter(has_text="BHYT")).to_contain_text("Chưa sử dụng: cần giao cho một quầy")
        expect(rows.filter(has_text="Tư pháp – Hộ tịch (danh mục tỉnh)").locator(".province-badge")).to_have_count(1)
        expect(rows.filter(has_text="DD").locator(".province-badge")).to_have_count(0)
        page.screenshot(path=str(artifacts / "admin-fields-province-1440.png"), full_page=True)
        page.goto(site.url + "/admin/audit")
        page.wait_for_selector("html[data-ready=yes]")
        expect(page.locator("body")).to_contain_text(
            "Hệ thống thêm lĩnh vực Y tế – Bảo hiểm y tế từ danh mục của tỉnh, chưa sử dụng cho đến khi có quầy phục vụ",
            timeout=LIVE_TIMEOUT_MS)
        expect(page.locator("body")).to_contain_text("Hệ thống áp dụng danh mục của tỉnh cho lĩnh vực Tư pháp – Hộ tịch")
        page.screenshot(path=str(artifacts / "admin-audit-province-1440.png"), full_page=True)
    finally:
        site.stop()
        central.stop()
