"""An administrator sets a kiosk's own settings (printer, paper width, timers) through the admin API:
validated against KioskSettings (bounds, no unknown keys, nothing written when refused), audited with
before/after, announced to the screens, and seen by the kiosk in its snapshot and when it issues."""
from __future__ import annotations

from sqlalchemy import select

from server.models import AuditEntry, Device, Event, PrintJob
from server.queue import events as ev
from server.queue.actors import Actor

KIOSK_ID = 1  # demo-kiosk-1
DISPLAY_ID = 2  # demo-display-1
KIOSK = {"Authorization": "Bearer demo-kiosk-1"}
DEFAULTS = {"printer": True, "paper_width_mm": None, "confirmation_s": 15, "print_problem_confirmation_s": 60,
            "print_wait_s": 12, "idle_reset_s": 45, "request_timeout_s": 6}


def stored_settings(app, device_id: int = KIOSK_ID) -> dict:  # type: ignore[no-untyped-def]
    session = app.extensions["hangcho"].session_factory()
    try:
        device = session.get(Device, device_id)
        return {"name": device.name, "settings": dict(device.settings or {})}
    finally:
        session.close()


def device_audit(app) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    session = app.extensions["hangcho"].session_factory()
    try:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.entity == "device").order_by(AuditEntry.id)))
    finally:
        session.close()


def last_event(app) -> Event:  # type: ignore[no-untyped-def]
    session = app.extensions["hangcho"].session_factory()
    try:
        return session.scalars(select(Event).order_by(Event.seq.desc()).limit(1)).one()
    finally:
        session.close()


def print_jobs(app) -> list[PrintJob]:  # type: ignore[no-untyped-def]
    session = app.extensions["hangcho"].session_factory()
    try:
        return list(session.scalars(select(PrintJob).order_by(PrintJob.id)))
    finally:
        session.close()


def kiosk_block(client) -> dict:  # type: ignore[no-untyped-def]
    snapshot = client.get("/api/v1/snapshot", headers=KIOSK)
    assert snapshot.status_code == 200
    return snapshot.json["kiosk"]


def test_the_kiosk_starts_with_the_default_settings(client, login) -> None:  # type: ignore[no-untyped-def]
    assert kiosk_block(client)["settings"] == DEFAULTS
    listed = {d["id"]: d for d in client.get("/api/v1/admin/devices", headers=login("admin")).json}
    assert listed[KIOSK_ID]["settings"] == DEFAULTS
    assert "settings" not in listed[DISPLAY_ID]  # only kiosks have settings of their own


def test_admin_changes_a_kiosks_settings_and_the_kiosk_sees_them(client, login, app) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    response = client.patch(f"/api/v1/admin/devices/{KIOSK_ID}", headers=admin, json={
        "name": "Kiosk tầng 1",
        "settings": {"confirmation_s": 30, "paper_width_mm": 58, "idle_reset_s": 90}})
    assert response.status_code == 200, response.json
    expected = {**DEFAULTS, "confirmation_s": 30, "paper_width_mm": 58, "idle_reset_s": 90}
    assert response.json["name"] == "Kiosk tầng 1" and response.json["settings"] == expected
    assert stored_settings(app) == {"name": "Kiosk tầng 1", "settings": expected}

    block = kiosk_block(client)
    assert block["name"] == "Kiosk tầng 1" and block["settings"] == expected

    # Audited with only what changed, by whom.
    entry = device_audit(app)[-1]
    assert (entry.action, entry.entity_id) == ("update", str(KIOSK_ID))
    assert entry.before == {"name": "Kiosk sảnh chính", "confirmation_s": 15, "paper_width_mm": None, "idle_reset_s": 45}
    assert entry.after == {"name": "Kiosk tầng 1", "confirmation_s": 30, "paper_width_mm": 58, "idle_reset_s": 90}
    assert entry.staff_id is not None

    # Announced: the kiosk (in the site room) asks for a new snapshot on settings_changed.
    event = last_event(app)
    assert event.type == "settings_changed"
    assert event.payload == {"what": "devices", "device_id": KIOSK_ID}

    # A partial change keeps the rest; null paper width goes back to the site's default.
    again = client.patch(f"/api/v1/admin/devices/{KIOSK_ID}", headers=admin, json={"settings": {"paper_width_mm": None}})
    assert again.status_code == 200
    assert again.json["settings"] == {**expected, "paper_width_mm": None}
    assert device_audit(app)[-1].before == {"paper_width_mm": 58}


def test_the_print_job_follows_the_kiosks_paper_width_or_the_sites(client, login, queue, publisher) -> None:  # type: ignore[no-untyped-def]
    kiosk = Actor(kind="device", id=KIOSK_ID, site_id=1, role="kiosk")
    queue().issue_ticket(1, kiosk)
    assert client.patch(f"/api/v1/admin/devices/{KIOSK_ID}", headers=login("admin"),
                        json={"settings": {"paper_width_mm": 58}}).status_code == 200
    queue().issue_ticket(1, kiosk)
    widths = [event.payload["paper_width_mm"] for event in publisher.events if event.type == ev.PRINT_JOB]
    assert widths == [80, 58]  # the site's default, then the kiosk's own


def test_values_out_of_range_are_refused_in_vietnamese_and_nothing_is_written(client, login, app) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    before = stored_settings(app)
    audits = len(device_audit(app))
    response = client.patch(f"/api/v1/admin/devices/{KIOSK_ID}", headers=admin, json={
        "name": "Tên mới",
        "settings": {"confirmation_s": 2, "print_wait_s": 61, "paper_width_mm": 70, "printer": "có lẽ"}})
    assert response.status_code == 422
    assert response.json["error"] == "validation_failed"
    assert response.json["fields"] == {
        "settings.confirmation_s": "phải từ 5 trở lên",
        "settings.print_wait_s": "không được quá 60",
        "settings.paper_width_mm": "phải là một trong các giá trị: 58 hoặc 80",
        "settings.printer": "phải là có hoặc không",
    }
    assert response.json["message"].startswith("Vui lòng kiểm tra lại: ")
    assert "Thời gian hiển thị số thứ tự: phải từ 5 trở lên" in response.json["message"]
    assert "Khổ giấy: " in response.json["message"]
    assert stored_settings(app) == before  # the new name was not written either
    assert len(device_audit(app)) == audits

    english = client.patch(f"/api/v1/admin/devices/{KIOSK_ID}?lang=en", headers=admin,
                           json={"settings": {"request_timeout_s": 1}})
    assert english.status_code == 422
    assert english.json["fields"] == {"settings.request_timeout_s": "must be at least 2"}


def test_unknown_settings_and_fields_are_refused(client, login, app) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    before = stored_settings(app)
    unknown_setting = client.patch(f"/api/v1/admin/devices/{KIOSK_ID}", headers=admin,
                                   json={"settings": {"confirmation_s": 20, "volume": 7}})
    assert unknown_setting.status_code == 422
    assert unknown_setting.json["fields"] == {"settings.volume": "không phải trường được chấp nhận"}
    unknown_field = client.patch(f"/api/v1/admin/devices/{KIOSK_ID}", headers=admin, json={"key": "x"})
    assert unknown_field.status_code == 422 and "key" in unknown_field.json["fields"]
    display = client.patch(f"/api/v1/admin/devices/{DISPLAY_ID}", headers=admin, json={"settings": {"printer": False}})
    assert display.status_code == 422
    assert display.json["fields"] == {"settings": "chỉ kiosk mới có cài đặt riêng"}
    assert stored_settings(app) == before
    # A display may still be renamed.
    renamed = client.patch(f"/api/v1/admin/devices/{DISPLAY_ID}", headers=admin, json={"name": "Màn hình sảnh A"})
    assert renamed.status_code == 200 and renamed.json["name"] == "Màn hình sảnh A"
    assert client.patch("/api/v1/admin/devices/999", headers=admin, json={"name": "x"}).status_code == 404


def test_only_administrators_change_device_settings(client, login, app) -> None:  # type: ignore[no-untyped-def]
    before = stored_settings(app)
    body = {"settings": {"printer": False}}
    for username in ("giamsat", "thanhtra", "canbo1"):
        assert client.patch(f"/api/v1/admin/devices/{KIOSK_ID}", headers=login(username), json=body).status_code == 403
    assert client.patch(f"/api/v1/admin/devices/{KIOSK_ID}", headers=KIOSK, json=body).status_code == 403
    assert client.patch(f"/api/v1/admin/devices/{KIOSK_ID}", json=body).status_code == 401
    assert stored_settings(app) == before


def test_a_kiosk_whose_printer_is_turned_off_gets_no_print_job(client, login, app) -> None:  # type: ignore[no-untyped-def]
    assert client.patch(f"/api/v1/admin/devices/{KIOSK_ID}", headers=login("admin"),
                        json={"settings": {"printer": False}}).status_code == 200
    assert kiosk_block(client)["settings"]["printer"] is False
    issued = client.post("/api/v1/tickets", json={"service_id": 2}, headers=KIOSK)
    assert issued.status_code == 201
    assert issued.json.get("print_job_id") is None
    assert print_jobs(app) == []
    reprint = client.post(f"/api/v1/tickets/{issued.json['id']}/reprint", headers=KIOSK)
    assert reprint.status_code == 409


def test_settings_written_by_hand_out_of_bounds_keep_the_kiosk_working(client, app) -> None:  # type: ignore[no-untyped-def]
    """Reading is lenient (the kiosk must keep working); only the admin's writes are strict."""
    session = app.extensions["hangcho"].session_factory()
    try:
        session.get(Device, KIOSK_ID).settings = {"confirmation_s": 1, "idle_reset_s": 9999, "printer": "maybe",
                                                  "old_key": True}
        session.commit()
    finally:
        session.close()
    settings = kiosk_block(client)["settings"]
    assert settings == {**DEFAULTS, "confirmation_s": 5, "idle_reset_s": 600}
