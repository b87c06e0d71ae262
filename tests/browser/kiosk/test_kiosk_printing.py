"""Printing never blocks issuing: the number shows at once; a print failure (or silence) asks the citizen
to note the number, keeps it on screen longer and offers "In lại"; the ticket stays valid."""
from __future__ import annotations

from typing import Iterator

import pytest
from kiosk_test_support import SCREENS, CentreDatabase, tap_field, wait_for_screen, wait_until
from playwright.sync_api import expect

from tests.conftest import LiveServer, start_live_server


@pytest.fixture
def quick_timeout_server(sqlite_url: str, tmp_path) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """A live server whose scheduler fails unanswered print jobs after 2 s (no bridge is connected)."""
    server = start_live_server(sqlite_url, tmp_path, HANGCHO_PRINT_TIMEOUT_S="2")
    yield server
    server.stop()


@pytest.mark.parametrize("screen", list(SCREENS))
def test_a_print_failure_asks_to_note_the_number_and_offers_a_reprint(
        quick_timeout_server, open_kiosk, shot, screen) -> None:  # type: ignore[no-untyped-def]
    server = quick_timeout_server
    centre = CentreDatabase(server.database_url)
    page = open_kiosk(server, screen)
    tap_field(page, "Tư pháp – Hộ tịch")
    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-number")).to_have_text("1001")  # at once, before any print result
    expect(page.locator("#print-status")).to_have_attribute("data-print", "failed", timeout=15_000)
    expect(page.locator("#print-line")).to_have_text("Máy in gặp sự cố, không in được phiếu.")
    expect(page.locator(".k-print-note")).to_have_text("Vui lòng ghi lại hoặc chụp ảnh số thứ tự của bạn.")
    expect(page.locator("#countdown")).to_contain_text("Tự động quay lại sau")
    seconds = int(page.locator("#countdown").inner_text().split("sau ")[1].split(" ")[0])
    assert seconds > 40  # kept on screen much longer than the usual 15 s
    expect(page.locator("#ticket-qr")).to_be_visible()
    shot(page, f"{screen}-print-failed")

    page.locator(".k-ticket").click()  # a stray tap does not take the number away
    expect(page.locator("#ticket-number")).to_have_text("1001")

    page.locator("#reprint").click()
    expect(page.locator("#print-status")).to_have_attribute("data-print", "reprint_failed", timeout=15_000)
    jobs = centre.print_jobs()
    assert [job.reprint for job in jobs] == [False, True] and {job.ticket_id for job in jobs} == {centre.tickets()[0].id}
    assert all(job.status.value == "failed" and job.error == "timeout" for job in jobs)
    [ticket] = centre.tickets()
    assert ticket.status.value == "waiting"  # the ticket is valid whatever the printer did
    page.locator("#done").click()
    wait_for_screen(page, "home")
    centre.dispose()


def test_a_silent_printer_counts_as_not_printed(sqlite_url, tmp_path, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    """With no time-out from the server (its scheduler is off), the kiosk's own wait decides."""
    server = start_live_server(sqlite_url, tmp_path, HANGCHO_SCHEDULER="false")
    try:
        centre = CentreDatabase(server.database_url)
        centre.set_kiosk_settings(print_wait_s=3)  # the shortest an administrator may set
        page = open_kiosk(server)
        tap_field(page, "Chứng thực")
        wait_for_screen(page, "confirmation")
        expect(page.locator("#print-status")).to_have_attribute("data-print", "pending")
        expect(page.locator("#print-status")).to_have_attribute("data-print", "unknown", timeout=10_000)
        expect(page.locator("#print-line")).to_have_text("Chưa xác nhận được phiếu đã in.")
        expect(page.locator(".k-print-note")).to_be_visible()
        assert centre.print_jobs()[0].status.value == "pending"
        centre.dispose()
    finally:
        server.stop()


def test_a_kiosk_without_printer_shows_the_number_to_note(live_server, centre, open_kiosk) -> None:  # type: ignore[no-untyped-def]
    centre.set_kiosk_settings(printer=False)
    page = open_kiosk(live_server)
    tap_field(page, "Xây dựng")
    wait_for_screen(page, "confirmation")
    expect(page.locator("#print-status")).to_have_attribute("data-print", "none")
    expect(page.locator("#print-line")).to_have_text("Ki-ốt này không in phiếu.")
    expect(page.locator("#reprint")).to_be_hidden()
    assert centre.print_jobs() == []
    wait_until(lambda: centre.ticket_count() == 1, what="the ticket")
