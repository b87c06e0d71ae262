"""The supervisors' dashboard in Debian's Chromium against the real server: new tickets, calls and ratings
appear without reloading; alerts arrive live and are acknowledged; inspectors only look. Screenshots of
the dashboard, reports and admin pages go to test-artifacts/ (1440×900)."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.conftest import log_in

LIVE_TIMEOUT_MS = 10_000


def serve_one(server, clerk_token: str, counter_id: int, field_id: int, score: int) -> dict:  # type: ignore[no-untyped-def]
    """Kiosk issues, the clerk calls and finishes, the counter's rating terminal rates."""
    ticket = server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": field_id}).json()
    called = server.api("POST", f"/counters/{counter_id}/call-next", token=clerk_token)
    assert called.status_code == 200, called.text
    assert server.api("POST", f"/tickets/{called.json()['id']}/finish", token=clerk_token).status_code == 200
    rated = server.api("POST", "/ratings", token=f"demo-rating-{counter_id}", json={"ticket_id": called.json()["id"], "score": score})
    assert rated.status_code == 201, rated.text
    return ticket


def test_supervisor_sees_tickets_and_ratings_arrive_live(live_server, new_page, artifacts):  # type: ignore[no-untyped-def]
    page = new_page(1440, 900)
    log_in(page, live_server, "giamsat", "/dashboard")
    civil_row = page.locator('#fields-table tr[data-service-id="1"]')
    expect(civil_row.locator(".waiting-count")).to_have_text("0")

    ticket = live_server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": 1}).json()
    expect(civil_row.locator(".waiting-count")).to_have_text("1", timeout=LIVE_TIMEOUT_MS)
    expect(civil_row.locator(".issued-count")).to_have_text("1")
    expect(civil_row.locator(".timer")).to_be_visible()  # the longest wait ticks from the issue time
    expect(page.locator("#kpi-issued")).to_have_text("1")

    clerk = live_server.login("canbo1")
    called = live_server.api("POST", "/counters/1/call-next", token=clerk).json()
    assert called["number"] == ticket["number"]
    counter_card = page.locator('.counter-card[data-counter-id="1"]')
    expect(counter_card.locator(".counter-activity")).to_contain_text(f"Đang gọi {ticket['number']}", timeout=LIVE_TIMEOUT_MS)
    expect(civil_row.locator(".waiting-count")).to_have_text("0")

    live_server.api("POST", f"/tickets/{called['id']}/finish", token=clerk)
    expect(civil_row.locator(".served-count")).to_have_text("1", timeout=LIVE_TIMEOUT_MS)
    expect(counter_card.locator(".counter-activity")).to_have_text("Đang trống")
    rated = live_server.api("POST", "/ratings", token="demo-rating-1", json={"ticket_id": called["id"], "score": 5})
    assert rated.status_code == 201
    expect(page.locator("#kpi-ratings")).to_have_text("1 (5.0)", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#official-line")).to_contain_text("rất hài lòng 1")

    # A low rating raises an alert, pushed live and written in Vietnamese; the supervisor acknowledges it.
    low = serve_one(live_server, clerk, 1, 1, score=1)
    alert = page.locator('.alert-item[data-kind="low_rating"]')
    expect(alert.locator(".alert-message")).to_have_text(
        re.compile(rf"^Đánh giá thấp .*1.* số {low['number']} tại quầy số 1$"), timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#kpi-ratings")).to_have_text("2 (3.0)")
    page.screenshot(path=str(artifacts / "dashboard-supervisor.png"), full_page=True)
    alert.get_by_role("button", name="Xác nhận").click()
    expect(alert).to_have_count(0, timeout=LIVE_TIMEOUT_MS)

    # The notice line: saved here, shown by the hall displays' snapshot.
    page.fill("#notice-input", "Hôm nay Trung tâm làm việc đến 16 giờ 30")
    page.get_by_role("button", name="Hiển thị lên màn hình").click()
    expect(page.locator("#notice-status")).to_have_text("Dòng thông báo đã hiển thị trên màn hình sảnh.")
    hall = live_server.api("GET", "/snapshot", token="demo-display-1").json()
    assert hall["notice"] == "Hôm nay Trung tâm làm việc đến 16 giờ 30"

    # After a reload the board starts again from the snapshot with the same figures.
    page.reload()
    page.wait_for_selector("html[data-ready=yes]")
    expect(civil_row.locator(".served-count")).to_have_text("2")
    expect(page.locator("#kpi-ratings")).to_have_text("2 (3.0)")


def test_inspector_sees_the_board_but_no_controls(live_server, new_page, artifacts):  # type: ignore[no-untyped-def]
    clerk = live_server.login("canbo3")
    served = serve_one(live_server, clerk, 3, 3, score=2)  # a low rating: an open alert for the inspector to see
    # The report asks for the ticket's own business day: a run that crosses midnight in Hà Nội must still find it.
    served_on = datetime.fromisoformat(served["issued_at"]).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    page = new_page(1440, 900)
    log_in(page, live_server, "thanhtra", "/dashboard")
    alert = page.locator('.alert-item[data-kind="low_rating"]')
    expect(alert).to_be_visible()
    expect(alert.locator("button")).to_have_count(0)
    expect(page.locator("#notice-form")).to_have_count(0)
    expect(page.locator(".read-only-note")).to_be_visible()
    expect(page.locator('.staff-bar a[href="/admin"]')).to_have_count(0)
    page.screenshot(path=str(artifacts / "dashboard-inspector.png"), full_page=True)

    page.goto(f"{live_server.url}/dashboard/reports")
    page.wait_for_selector("html[data-ready=yes]")
    page.select_option("#period-kind", "day")
    page.fill("#day-input", served_on.isoformat())
    page.select_option("#group-input", "clerk")
    page.get_by_role("button", name="Xem báo cáo").click()
    expect(page.locator('#report-table tr[data-key="total"]')).to_contain_text("Tổng cộng")
    expect(page.locator("#ranking-panel")).to_be_visible()
    expect(page.locator("#ranking-table tbody tr")).to_have_count(1)
    page.screenshot(path=str(artifacts / "reports-by-clerk.png"), full_page=True)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Tải Excel").click()
    assert download_info.value.suggested_filename.endswith(".xlsx")

    forbidden = page.goto(f"{live_server.url}/admin")
    assert forbidden is not None and forbidden.status == 403


def test_admin_pages(live_server, new_page, artifacts):  # type: ignore[no-untyped-def]
    page = new_page(1440, 900)
    log_in(page, live_server, "admin", "/admin/staff")
    page.get_by_role("button", name="Thêm tài khoản cán bộ").click()
    page.fill("#field-username", "canbo5")
    page.fill("#field-full_name", "Ngô Thị Mai")
    page.select_option("#field-role", "clerk")
    page.locator("#admin-dialog").get_by_role("button", name="Lưu").click()
    secret = page.locator("#admin-dialog .secret")
    expect(secret).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    password = secret.get_attribute("data-secret")
    assert password and live_server.api("POST", "/auth/login", json={"username": "canbo5", "password": password}).status_code == 200
    page.screenshot(path=str(artifacts / "admin-staff-password.png"))
    page.locator("#admin-dialog").get_by_role("button", name="Đóng").click()
    expect(page.locator('tr[data-username="canbo5"]')).to_contain_text("Ngô Thị Mai", timeout=LIVE_TIMEOUT_MS)

    page.goto(f"{live_server.url}/admin/services")
    page.wait_for_selector("html[data-ready=yes]")
    page.get_by_role("button", name="Thêm lĩnh vực").first.click()
    page.fill("#field-code", "CT")
    page.fill("#field-name", "Trùng mã")
    page.locator("#admin-dialog").get_by_role("button", name="Lưu").click()
    expect(page.locator("#dialog-error")).to_have_text("Vui lòng kiểm tra lại: Mã: đã tồn tại", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator('[data-field="code"] .field-error')).to_have_text("đã tồn tại", timeout=LIVE_TIMEOUT_MS)
    page.screenshot(path=str(artifacts / "admin-field-error.png"))
    page.locator("#admin-dialog").get_by_role("button", name="Hủy").click()

    for section in ("services", "counters", "devices", "hours", "priorities", "rating", "display", "audit"):
        page.goto(f"{live_server.url}/admin/{section}")
        page.wait_for_selector("html[data-ready=yes]")
        page.screenshot(path=str(artifacts / f"admin-{section}.png"), full_page=True)
    audit = page.locator(".audit-table tbody tr").first
    expect(audit.locator(".audit-text")).to_have_text("Quản trị hệ thống tạo tài khoản của Ngô Thị Mai: vai trò Cán bộ",
                                                      timeout=LIVE_TIMEOUT_MS)


def test_device_health_and_printer_alerts_arrive_live(live_server, new_page, artifacts):  # type: ignore[no-untyped-def]
    import socketio

    page = new_page(1440, 900)
    log_in(page, live_server, "giamsat", "/dashboard")
    bridge_row = page.locator(".device-item").filter(has_text="Bộ kết nối thiết bị")
    expect(bridge_row.locator(".device-line .status-badge")).to_have_text("Chưa kết nối")

    bridge = socketio.Client(reconnection=False)
    bridge.connect(live_server.url, auth={"token": "demo-bridge-1"}, transports=["websocket"], wait_timeout=10)
    try:
        assert bridge.call("bridge_hello", {"devices": ["printer:1", "led:1"]}, timeout=10)["ok"]
        expect(bridge_row.locator(".device-line .status-badge")).to_have_text("Đang kết nối", timeout=LIVE_TIMEOUT_MS)
        assert bridge.call("device_status", {"device": "led:1", "status": "online"}, timeout=10)["ok"]
        assert bridge.call("device_status", {"device": "printer:1", "status": "paper_out", "message": "no paper"}, timeout=10)["ok"]
        printer = bridge_row.locator('.hardware-item[data-role="printer:1"]')
        expect(printer).to_contain_text("Máy in của kiosk 1", timeout=LIVE_TIMEOUT_MS)
        expect(printer.locator(".status-badge")).to_have_text("Hết giấy")
        expect(bridge_row.locator('.hardware-item[data-role="led:1"] .status-badge')).to_have_text("Đang kết nối")
        alert = page.locator('.alert-item[data-kind="printer_problem"]')
        expect(alert.locator(".alert-message")).to_have_text(re.compile(r"^Thiết bị Máy in của kiosk 1\W+(đang )?hết giấy$"),
                                                             timeout=LIVE_TIMEOUT_MS)
        page.screenshot(path=str(artifacts / "dashboard-devices.png"), full_page=True)
    finally:
        bridge.disconnect()
    expect(bridge_row.locator(".device-line .status-badge")).to_have_text("Mất kết nối", timeout=LIVE_TIMEOUT_MS)
    # Away, but within the grace period: shown offline, no alert yet (a reload or a restart is no outage).
    assert page.locator('.alert-item[data-kind="device_offline"]').count() == 0


def test_a_device_away_past_the_grace_period_raises_an_alert_that_clears_when_it_is_back(  # type: ignore[no-untyped-def]
        live_server, new_page):
    import socketio

    live_server.update_site_settings(alerts={"device_grace_s": 10})
    page = new_page(1440, 900)
    log_in(page, live_server, "giamsat", "/dashboard")
    bridge = socketio.Client(reconnection=False)
    bridge.connect(live_server.url, auth={"token": "demo-bridge-1"}, transports=["websocket"], wait_timeout=10)
    bridge.disconnect()
    alert = page.locator('.alert-item[data-kind="device_offline"]')
    expect(alert).to_have_count(1, timeout=40_000)  # the grace, then the scheduler's next check
    bridge.connect(live_server.url, auth={"token": "demo-bridge-1"}, transports=["websocket"], wait_timeout=10)
    try:
        expect(alert).to_have_count(0, timeout=LIVE_TIMEOUT_MS)  # resolved by itself: the device is back
    finally:
        bridge.disconnect()
