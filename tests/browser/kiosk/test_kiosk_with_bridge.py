"""End to end: kiosk page → real server → `python -m hardware.bridge` → simulated ESC/POS printer on a pty.

The ticket the citizen sees is the ticket that comes out of the printer (its bytes are read back through
the simulator); a printer out of paper makes the kiosk ask the citizen to note the number and raises an
alert on the supervisors' dashboard.
"""
from __future__ import annotations

import queue as queues
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest
import socketio
from kiosk_test_support import tap_field, wait_for_screen, wait_until
from playwright.sync_api import expect
from sqlalchemy import select

from hardware.printing.escpos_reader import EscPosReader, QrCode, TextLine
from hardware.sim.devices import SimulatedPrinter
from server.models import Device, DeviceKind
from server.settings import PROJECT_ROOT
from tests.conftest import stop_process


@pytest.fixture
def printer(tmp_path: Path) -> Iterator[SimulatedPrinter]:
    """The kiosk's thermal printer, simulated on a pty pair (kiosk device 1 → printer:1)."""
    device = SimulatedPrinter("printer:1", tmp_path / "printer-1")
    device.start()
    yield device
    device.stop()


@pytest.fixture
def bridge(live_server, printer: SimulatedPrinter, tmp_path: Path) -> Iterator[subprocess.Popen]:  # type: ignore[no-untyped-def]
    """The real bridge process, connected to the live server with the demo bridge key."""
    log = (tmp_path / "bridge.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "hardware.bridge", "--server", live_server.url, "--key", "demo-bridge-1",
         "--device", f"printer:1={printer.path}", "--log-level", "INFO"],
        cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    yield process
    stop_process(process)
    log.close()


def printer_status(centre) -> str | None:  # type: ignore[no-untyped-def]
    with centre.session() as session:
        bridge_device = session.scalar(select(Device).where(Device.kind == DeviceKind.BRIDGE))
        return (bridge_device.hardware_status or {}).get("printer:1", {}).get("status")


def test_a_kiosk_ticket_is_printed_by_the_bridge_and_the_kiosk_says_so(
        live_server, centre, bridge, printer, open_kiosk, shot) -> None:  # type: ignore[no-untyped-def]
    wait_until(lambda: printer_status(centre) == "online", timeout_s=20, what="the bridge's printer online")
    page = open_kiosk(live_server, "landscape")
    tap_field(page, "Tư pháp – Hộ tịch")
    wait_for_screen(page, "confirmation")
    expect(page.locator("#ticket-number")).to_have_text("1001")
    expect(page.locator("#print-status")).to_have_attribute("data-print", "printed", timeout=20_000)
    expect(page.locator("#print-line")).to_have_text("Mời nhận phiếu ở khe bên dưới.")
    shot(page, "landscape-printed")

    assert printer.wait_for_tickets(1, timeout=10)
    blocks = EscPosReader(strict=False).parse(printer.tickets[0])
    texts = [block.text.strip() for block in blocks if isinstance(block, TextLine)]
    assert "1001" in texts  # the big number, printed natively
    [ticket] = centre.tickets()
    codes = [block.data.decode() for block in blocks if isinstance(block, QrCode)]
    assert codes == [f"{live_server.url}/t/{ticket.public_token}"]  # the QR leads to this ticket's phone page
    assert [job.status.value for job in centre.print_jobs()] == ["printed"]


def test_a_printer_out_of_paper_makes_the_kiosk_ask_to_note_the_number_and_alerts_the_dashboard(
        live_server, centre, bridge, printer, open_kiosk, shot) -> None:  # type: ignore[no-untyped-def]
    wait_until(lambda: printer_status(centre) == "online", timeout_s=20, what="the bridge's printer online")
    alerts: queues.Queue[dict[str, Any]] = queues.Queue()
    dashboard = socketio.Client(reconnection=False)
    dashboard.on("alert", alerts.put)
    dashboard.connect(live_server.url, auth={"token": live_server.login("giamsat")}, transports=["websocket"],
                      wait_timeout=10)
    try:
        printer.set_paper(False)
        page = open_kiosk(live_server, "portrait")
        tap_field(page, "Đất đai")
        wait_for_screen(page, "confirmation")
        expect(page.locator("#ticket-number")).to_have_text("3001")
        expect(page.locator("#print-status")).to_have_attribute("data-print", "failed", timeout=20_000)
        expect(page.locator(".k-print-note")).to_have_text("Vui lòng ghi lại hoặc chụp ảnh số thứ tự của bạn.")
        shot(page, "portrait-paper-out")
        alert = alerts.get(timeout=15)
        assert alert["kind"] == "printer_problem" and alert["severity"] == "critical"
        [job] = centre.print_jobs()
        assert job.status.value == "failed" and job.error == "paper_out"
        assert printer.tickets == []
        [ticket] = centre.tickets()
        assert ticket.status.value == "waiting"  # still a valid ticket

        printer.set_paper(True)  # a new roll: the citizen taps "In lại"
        page.locator("#reprint").click()
        expect(page.locator("#print-status")).to_have_attribute("data-print", "printed", timeout=20_000)
        assert printer.wait_for_tickets(1, timeout=10)
        texts = [b.text.strip() for b in EscPosReader(strict=False).parse(printer.tickets[0]) if isinstance(b, TextLine)]
        assert "3001" in texts
    finally:
        dashboard.disconnect()
