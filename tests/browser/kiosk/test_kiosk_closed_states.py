"""Closed states of the kiosk: outside working hours, when the hours end or begin while it is on screen,
and when a field's daily quota is used up. The kiosk says so plainly and issues nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from kiosk_test_support import HANOI, SCREENS, tap_field, wait_for_screen, wait_until
from playwright.sync_api import expect

from server.models import Holiday, Site


@pytest.mark.parametrize("screen", list(SCREENS))
def test_outside_working_hours_the_kiosk_says_closed_and_the_server_refuses(
        live_server, centre, open_kiosk, shot, screen) -> None:  # type: ignore[no-untyped-def]
    opens = centre.close_now()
    page = open_kiosk(live_server, screen, wait_for="closed")
    expect(page.locator(".k-closed .k-message-title")).to_have_text("Hiện không cấp số thứ tự")
    expect(page.locator("#closed-reason")).to_have_text("Hiện đang ngoài giờ làm việc.")
    when = "hôm nay" if opens == "13:00" else "ngày mai"
    expect(page.locator("#closed-opens")).to_have_text(f"Cấp số trở lại lúc {opens} {when}.")
    expect(page.locator(".k-tile-service")).to_have_count(0)
    shot(page, f"{screen}-closed")

    refused = live_server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": 1},
                              headers={"Idempotency-Key": "closed-hours-1"})
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "issuing_closed" and body["reason"] == "outside_hours" and body["opens_at"]
    assert centre.ticket_count() == 0 and centre.idempotency_keys() == []  # nothing written


def test_the_kiosk_closes_by_itself_when_the_working_hours_end(live_server, centre, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    _not_just_before_midnight()
    closes = (dt.datetime.now(HANOI) + dt.timedelta(seconds=8)).time().replace(microsecond=0)
    centre.set_hours(dt.time(0, 0), closes)
    page = open_kiosk(live_server)
    page.evaluate("() => { window.notReloaded = true; }")
    # Nothing touches the page: at the closing instant it asks the server again and shows "closed".
    wait_for_screen(page, "closed", timeout_ms=20_000)
    expect(page.locator("#closed-reason")).to_have_text("Hiện đang ngoài giờ làm việc.")
    expect(page.locator("#closed-opens")).to_have_text("Cấp số trở lại lúc 00:00 ngày mai.")
    assert page.evaluate("() => window.notReloaded") is True


def test_the_kiosk_opens_by_itself_when_the_working_hours_begin(live_server, centre, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    _not_just_before_midnight()
    opens = (dt.datetime.now(HANOI) + dt.timedelta(seconds=8)).time().replace(microsecond=0)
    centre.set_hours(opens, dt.time(23, 59, 59))
    page = open_kiosk(live_server, wait_for="closed")
    expect(page.locator("#closed-opens")).to_have_text(f"Cấp số trở lại lúc {opens.strftime('%H:%M')} hôm nay.")
    wait_for_screen(page, "home", timeout_ms=20_000)
    tap_field(page, "Chứng thực")
    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-number")).to_have_text("2001")


def test_a_refused_issue_shows_closed_even_before_the_kiosk_heard_of_it(live_server, centre, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    page = open_kiosk(live_server)
    centre.close_now()  # changed behind the kiosk's back: its snapshot still says open
    tap_field(page, "Đất đai")
    wait_for_screen(page, "closed")
    expect(page.locator("#closed-reason")).to_have_text("Hiện đang ngoài giờ làm việc.")
    expect(page.locator("#ticket-number")).to_have_text("")
    assert centre.ticket_count() == 0


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_field_whose_daily_quota_is_used_up_issues_nothing_and_says_so(
        live_server, centre, open_kiosk, shot, screen) -> None:  # type: ignore[no-untyped-def]
    assert live_server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": 3}).status_code == 201
    page = open_kiosk(live_server, screen)
    centre.set_quota(3, 1)  # the kiosk does not know yet: the server's answer tells it
    tap_field(page, "Đất đai")
    wait_for_screen(page, "problem")
    expect(page.locator("#problem-title")).to_have_text("Lĩnh vực này đã hết số hôm nay")
    expect(page.locator("#problem-text")).to_have_text("Số thứ tự của lĩnh vực “Đất đai” trong ngày hôm nay đã được cấp hết.")
    expect(page.locator("#problem-advice")).to_have_text("Vui lòng chọn lĩnh vực khác hoặc liên hệ cán bộ để được hướng dẫn.")
    expect(page.locator("#problem-retry")).to_be_hidden()
    shot(page, f"{screen}-quota")
    assert [t.number for t in centre.tickets()] == ["3001"]

    page.locator("#problem-back").click()
    wait_for_screen(page, "home")
    tile = page.locator(".k-tile-service", has_text="Đất đai")
    expect(tile).to_contain_text("Hết số hôm nay")
    expect(tile).to_have_attribute("aria-disabled", "true")
    # A kiosk that starts afterwards knows it from its snapshot, before anyone taps.
    page.reload()
    wait_for_screen(page, "home")
    expect(page.locator(".k-tile-service", has_text="Đất đai")).to_contain_text("Hết số hôm nay")
    # Other fields still issue.
    tap_field(page, "Xây dựng")
    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-number")).to_have_text("4001")


def test_a_quota_filled_by_another_kiosk_shows_up_live(live_server, centre, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    centre.set_quota(5, 2)
    page = open_kiosk(live_server)
    tile = page.locator(".k-tile-service", has_text="Hộ kinh doanh")
    expect(tile).not_to_contain_text("Hết số hôm nay")
    for _ in range(2):
        assert live_server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": 5}).status_code == 201
    expect(tile).to_contain_text("Hết số hôm nay")
    tile.click(force=True)  # a citizen taps it anyway
    wait_for_screen(page, "problem")
    expect(page.locator("#problem-title")).to_have_text("Lĩnh vực này đã hết số hôm nay")
    assert centre.ticket_count() == 2


def _not_just_before_midnight() -> None:
    """The tests move working hours a few seconds ahead; that must not cross local midnight."""
    wait_until(lambda: dt.datetime.now(HANOI).time() < dt.time(23, 59, 40), timeout_s=40, what="local midnight to pass")


def test_on_a_holiday_the_kiosk_says_the_centre_is_closed(live_server, centre, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    with centre.session() as session:
        session.add(Holiday(site_id=1, date=dt.datetime.now(HANOI).date(), name="Ngày lễ"))
        session.commit()
    page = open_kiosk(live_server, wait_for="closed")
    expect(page.locator("#closed-reason")).to_have_text("Hôm nay là ngày nghỉ lễ, Trung tâm không làm việc.")
    expect(page.locator("#closed-opens")).to_have_text("Cấp số trở lại lúc 00:00 ngày mai.")
    refused = live_server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": 2}).json()
    assert refused["error"] == "issuing_closed" and refused["reason"] == "holiday"


def test_after_the_daily_cut_off_the_kiosk_says_issuing_has_ended(live_server, centre, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    _not_just_before_midnight()
    with centre.session() as session:
        site = session.get(Site, 1)
        site.settings = {**(site.settings or {}), "cutoff": "00:00:01"}
        session.commit()
    page = open_kiosk(live_server, wait_for="closed")
    expect(page.locator("#closed-reason")).to_have_text("Đã hết giờ cấp số thứ tự trong ngày hôm nay.")
    expect(page.locator("#closed-opens")).to_have_text("Cấp số trở lại lúc 00:00 ngày mai.")
    assert centre.ticket_count() == 0
