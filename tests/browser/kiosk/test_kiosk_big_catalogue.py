"""A centre with 70 fields: every field is reachable by taps (groups, then big page buttons), with no
typing and no scrolling list; the same catalogue without groups is paged."""
from __future__ import annotations

from typing import Any

import pytest
from kiosk_test_support import wait_for_screen
from playwright.sync_api import expect
from sqlalchemy import select

from server.models import Service

GROUPS = ["Tư pháp", "Tài nguyên", "Kinh tế", "Xã hội", "Y tế", "Giáo dục", "Nông nghiệp", "Văn hóa – Thể thao",
          "Nội vụ"]


def reachable_fields(page: Any) -> dict[str, list[str]]:
    """Walk every group and every page by tapping, as a citizen would; field names by group."""
    found: dict[str, list[str]] = {}
    while True:
        for index in range(page.locator(".k-tile-group").count()):
            group = page.locator(".k-tile-group").nth(index)
            name = group.locator(".k-tile-name").inner_text()
            group.click()
            found[name] = fields_on_all_pages(page)
            page.locator("#home-back").click()  # back to the same page of groups
            expect(page.locator("#home-title")).to_have_text("Mời chọn nhóm lĩnh vực")
        if page.locator("#pager").is_visible() and page.locator("#next-page").is_enabled():
            page.locator("#next-page").click()
        else:
            return found


def fields_on_all_pages(page: Any) -> list[str]:
    names: list[str] = []
    while True:
        expect(page.locator(".k-tile-service").first).to_be_visible()
        names += page.locator(".k-tile-service .k-tile-name").all_inner_texts()
        if page.locator("#pager").is_visible() and page.locator("#next-page").is_enabled():
            page.locator("#next-page").click()
        else:
            return names


@pytest.mark.parametrize("screen", ["portrait", "landscape"])
def test_seventy_fields_in_groups_are_all_reachable_by_taps(live_server, centre, open_kiosk, shot, screen) -> None:  # type: ignore[no-untyped-def]
    centre.add_fields(63, GROUPS)
    expected = {service.name for service in centre.services()}
    assert len(expected) == 70
    page = open_kiosk(live_server, screen)
    expect(page.locator("#home-title")).to_have_text("Mời chọn nhóm lĩnh vực")
    shot(page, f"{screen}-70-fields-groups")
    page.locator(".k-tile-group", has_text="Tư pháp").first.click()
    shot(page, f"{screen}-70-fields-group-page-1")
    page.locator("#home-back").click()

    found = reachable_fields(page)
    reached = [name for names in found.values() for name in names]
    assert sorted(reached) == sorted(expected)  # every field, each exactly once
    for tile in page.locator("button:visible").all():
        assert tile.bounding_box()["height"] >= 64

    # A field deep inside a group (its last page) is issued like any other.
    page.locator(".k-tile-group", has_text="Nội vụ").click()
    while page.locator("#next-page").is_visible() and page.locator("#next-page").is_enabled():
        page.locator("#next-page").click()
    last = page.locator(".k-tile-service").last
    name = last.locator(".k-tile-name").inner_text()
    last.click()
    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-field")).to_have_text(name)
    [ticket] = centre.tickets()
    assert ticket.number == page.locator("#ticket-number").inner_text()


def test_seventy_fields_without_groups_are_paged_with_big_buttons(live_server, centre, open_kiosk, shot) -> None:  # type: ignore[no-untyped-def]
    centre.add_fields(63, GROUPS)
    centre.set_groups("")
    expected = sorted(service.name for service in centre.services())
    page = open_kiosk(live_server, "landscape")
    expect(page.locator("#home-title")).to_have_text("Mời chọn lĩnh vực cần giải quyết")
    expect(page.locator("#pager")).to_be_visible()
    expect(page.locator("#page-label")).to_contain_text("Trang 1/")
    expect(page.locator("#previous-page")).to_be_disabled()
    shot(page, "landscape-70-fields-paged")
    assert page.locator("#next-page").bounding_box()["height"] >= 64
    assert sorted(fields_on_all_pages(page)) == expected
    expect(page.locator("#next-page")).to_be_disabled()
    page.locator("#previous-page").click()
    expect(page.locator(".k-tile-service").first).to_be_visible()


def test_five_fields_fit_on_one_page_without_groups_or_pages(live_server, centre, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    with centre.session() as session:
        for service in session.scalars(select(Service).where(Service.id > 5)):
            service.active = False
        session.commit()
    page = open_kiosk(live_server, "portrait")
    expect(page.locator(".k-tile-service")).to_have_count(5)
    expect(page.locator(".k-tile-group")).to_have_count(0)
    expect(page.locator("#pager")).to_be_hidden()
