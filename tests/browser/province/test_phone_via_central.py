"""Issue 15 in Chromium on a 390×844 phone: the ticket's QR code opens the province server's phone page,
which follows the ticket live and rates it through the central, also while the site is away.
Screenshots: test-artifacts/province/phone-central-*.png."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterator

import pytest
from playwright.sync_api import expect

from tests.integration.province.conftest import add_site, make_central, start_site
from tests.integration.province.test_phone_via_central import call_until, staff, uplinked_ticket

PHONE = {"width": 390, "height": 844, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def uplinked(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Any, Any]]:
    central = make_central(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path)
    key = add_site(central, "XA-A", "Xã A")
    central.start()
    shutil.copy(sqlite_template, tmp_path / "site.sqlite3")
    site = start_site(f"sqlite:///{tmp_path / 'site.sqlite3'}", tmp_path, central, key)
    yield central, site
    site.stop()
    central.stop()


def shoot(page, artifacts: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = artifacts / "province"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"phone-central-{name}.png"), full_page=True)


def open_phone(new_page, url: str):  # type: ignore[no-untyped-def]
    page = new_page(**PHONE)
    page.goto(url)
    page.wait_for_function("() => document.documentElement.dataset.connected === 'yes'")
    return page


def test_the_central_phone_page_follows_the_ticket_and_rates_it_live_and_while_the_site_is_away(
        uplinked, new_page, artifacts) -> None:  # type: ignore[no-untyped-def]
    central, site = uplinked
    ticket = uplinked_ticket(central, site)
    later = uplinked_ticket(central, site)
    still_waiting = uplinked_ticket(central, site)
    page = open_phone(new_page, ticket["public_url"])
    assert page.url.startswith(central.url + "/t/")
    expect(page.locator("#ticket-number")).to_have_text(ticket["number"])
    expect(page.locator("#ticket-field")).to_have_text("Tư pháp – Hộ tịch")
    ahead = site.api("GET", "/public/tickets/" + ticket["public_url"].rsplit("/", 1)[1]).json()["ahead"]
    expect(page.locator("#status-main")).to_have_text(f"Còn {ahead} người trước bạn" if ahead else "Bạn là người tiếp theo")
    expect(page.locator("#status-detail")).to_contain_text("Thời gian chờ dự kiến")
    shoot(page, artifacts, "waiting")

    page.evaluate("() => { window.notReloaded = true; }")
    called = call_until(site, ticket, counter_id=1)
    expect(page.locator("#status-main")).to_have_text(f"Mời công dân đến quầy số {called['counter_number']}")
    assert page.evaluate("() => window.notReloaded") is True
    shoot(page, artifacts, "called")

    assert staff(site, f"/tickets/{ticket['id']}/finish").status_code == 200
    expect(page.locator("#rating")).to_be_visible()
    shoot(page, artifacts, "rating")
    page.locator(".p-score", has_text="Rất hài lòng").click()
    expect(page.locator("#rating-thanks")).to_have_text("Cảm ơn công dân đã đánh giá!")

    # The site goes away: the central keeps the rating and says it will tell the result here.
    call_until(site, later, counter_id=1)
    assert staff(site, f"/tickets/{later['id']}/finish").status_code == 200
    other = open_phone(new_page, later["public_url"])
    expect(other.locator("#rating")).to_be_visible()
    site.stop()
    other.locator(".p-score", has_text="Rất hài lòng").click()
    expect(other.locator("#rating-thanks")).to_have_text("Đã ghi nhận, sẽ cập nhật kết quả tại đây.")
    shoot(other, artifacts, "pending")
    away = open_phone(new_page, still_waiting["public_url"])
    expect(away.locator("#status-extra")).to_contain_text("Trung tâm đang tạm mất kết nối: thông tin tính đến")
    shoot(away, artifacts, "site-away")
    site.start()
    expect(other.locator("#rating-thanks")).to_have_text("Cảm ơn công dân đã đánh giá!", timeout=60_000)
    shoot(other, artifacts, "accepted")
