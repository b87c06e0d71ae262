"""The administration API: admin only, every change audited (who, when, before/after), problems explained
in Vietnamese, and screens told to refresh (a settings_changed or notice_changed event in the log)."""
from __future__ import annotations

from sqlalchemy import select

from server.models import AuditEntry, Event


def audit_rows(app, entity=None):  # type: ignore[no-untyped-def]
    session = app.extensions["hangcho"].session_factory()
    try:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if entity:
            query = query.where(AuditEntry.entity == entity)
        return list(session.scalars(query))
    finally:
        session.close()


def event_types(app):  # type: ignore[no-untyped-def]
    session = app.extensions["hangcho"].session_factory()
    try:
        return [row.type for row in session.scalars(select(Event).order_by(Event.seq))]
    finally:
        session.close()


def staff_id(client, admin, username):  # type: ignore[no-untyped-def]
    return next(p["id"] for p in client.get("/api/v1/admin/staff", headers=admin).json if p["username"] == username)


def test_only_administrators_may_administer(client, login):  # type: ignore[no-untyped-def]
    for username in ("giamsat", "thanhtra", "canbo1"):
        headers = login(username)
        assert client.get("/api/v1/admin/staff", headers=headers).status_code == 403, username
        assert client.post("/api/v1/admin/services", json={"code": "YT", "name": "Y tế"}, headers=headers).status_code == 403
        assert client.patch("/api/v1/admin/settings", json={"notice": "x"}, headers=headers).status_code == 403
        assert client.get("/admin", headers={**headers, "Accept": "text/html"}).status_code == 403
        assert client.get("/admin/devices", headers={**headers, "Accept": "text/html"}).status_code == 403
    admin = login("admin")
    assert client.get("/admin", headers={**admin, "Accept": "text/html"}).status_code == 200
    assert client.get("/admin/audit", headers={**admin, "Accept": "text/html"}).status_code == 200


def test_inspector_reads_the_dashboard_but_changes_nothing(client, login, queue, demo):  # type: ignore[no-untyped-def]
    queue().raise_alert(demo.site_id, "long_wait", "long_wait:1:test", "A citizen has waited %(minutes)s minutes in field %(service_name)s",
                        {"minutes": 41, "service_id": 1, "service_name": "Tư pháp – Hộ tịch"})
    inspector = login("thanhtra")
    alerts = client.get("/api/v1/alerts", headers=inspector)
    assert alerts.status_code == 200 and alerts.json[0]["params"]["minutes"] == 41
    assert client.post(f"/api/v1/alerts/{alerts.json[0]['alert_id']}/acknowledge", headers=inspector).status_code == 403
    assert client.put("/api/v1/notice", json={"notice": "Nghỉ trưa"}, headers=inspector).status_code == 403
    assert client.get("/api/v1/reports/summary", headers=inspector).status_code == 200
    page = client.get("/dashboard", headers={**inspector, "Accept": "text/html"}).get_data(as_text=True)
    assert 'data-can-act="no"' in page and 'id="notice-form"' not in page and 'href="/admin"' not in page
    supervisor_page = client.get("/dashboard", headers={**login("giamsat"), "Accept": "text/html"}).get_data(as_text=True)
    assert 'data-can-act="yes"' in supervisor_page and 'id="notice-form"' in supervisor_page
    supervisor = login("giamsat")
    assert client.post(f"/api/v1/alerts/{alerts.json[0]['alert_id']}/acknowledge", headers=supervisor).status_code == 200


def test_supervisor_sets_the_notice_line_for_the_hall(client, login, app):  # type: ignore[no-untyped-def]
    response = client.put("/api/v1/notice", json={"notice": "Hôm nay làm việc đến 16 giờ 30"}, headers=login("giamsat"))
    assert response.status_code == 200
    snapshot = client.get("/api/v1/snapshot", headers={"Authorization": "Bearer demo-display-1"}).json
    assert snapshot["notice"] == "Hôm nay làm việc đến 16 giờ 30"
    assert event_types(app)[-1] == "notice_changed"
    entry = audit_rows(app, "site_settings")[-1]
    assert entry.before == {"notice": ""} and entry.after == {"notice": "Hôm nay làm việc đến 16 giờ 30"}
    too_long = client.put("/api/v1/notice", json={"notice": "x" * 301}, headers=login("giamsat"))
    assert too_long.status_code == 422
    assert too_long.json["message"] == "Vui lòng kiểm tra lại: Dòng thông báo: quá dài (tối đa 300 ký tự)"


def test_new_staff_account_gets_a_generated_password_shown_once_and_audited(client, login, app):  # type: ignore[no-untyped-def]
    admin = login("admin")
    response = client.post("/api/v1/admin/staff", json={"username": "canbo9", "role": "clerk", "full_name": "Hoàng Văn Nam"},
                           headers=admin)
    assert response.status_code == 201
    password = response.json["password"]
    assert len(password) >= 8
    assert "password" not in client.get("/api/v1/admin/staff", headers=admin).json[0]
    assert client.post("/api/v1/auth/login", json={"username": "canbo9", "password": password}).status_code == 200
    entry = audit_rows(app, "staff")[-1]
    assert (entry.action, entry.after["username"], entry.after["role"]) == ("create", "canbo9", "clerk")
    assert entry.staff_id == staff_id(client, admin, "admin")
    assert password not in str(entry.after)

    duplicate = client.post("/api/v1/admin/staff", json={"username": "canbo9", "role": "clerk"}, headers=admin)
    assert duplicate.status_code == 422
    assert duplicate.json["message"] == "Vui lòng kiểm tra lại: Tên đăng nhập: đã có người sử dụng"
    bad_role = client.post("/api/v1/admin/staff", json={"username": "canbo10", "role": "boss"}, headers=admin)
    assert bad_role.status_code == 422 and bad_role.json["fields"]["role"].startswith("phải là một trong các giá trị")


def test_reset_password_and_deactivation_end_current_log_ins(client, login, app):  # type: ignore[no-untyped-def]
    admin = login("admin")
    clerk = login("canbo2")
    clerk_id = staff_id(client, admin, "canbo2")
    reset = client.post(f"/api/v1/admin/staff/{clerk_id}/reset-password", headers=admin)
    assert reset.status_code == 200
    assert client.get("/api/v1/auth/me", headers=clerk).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "canbo2", "password": "demo"}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"username": "canbo2", "password": reset.json["password"]}).status_code == 200
    assert audit_rows(app, "staff")[-1].action == "reset_password"

    again = login("canbo2", reset.json["password"])
    deactivated = client.patch(f"/api/v1/admin/staff/{clerk_id}", json={"active": False}, headers=admin)
    assert deactivated.status_code == 200 and deactivated.json["active"] is False
    assert client.get("/api/v1/auth/me", headers=again).status_code == 401
    entry = audit_rows(app, "staff")[-1]
    assert (entry.before, entry.after) == ({"active": True}, {"active": False})
    own = client.patch(f"/api/v1/admin/staff/{staff_id(client, admin, 'admin')}", json={"role": "clerk"}, headers=admin)
    assert own.status_code == 422
    assert own.json["message"] == "Vui lòng kiểm tra lại: Vai trò: phải còn ít nhất một quản trị viên đang hoạt động"


def test_device_keys_are_shown_once_rotated_and_revoked(client, login, app):  # type: ignore[no-untyped-def]
    admin = login("admin")
    created = client.post("/api/v1/admin/devices", json={"kind": "display", "name": "Màn hình tầng 2"}, headers=admin)
    assert created.status_code == 201
    key = created.json["key"]
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {key}"}).json["role"] == "display"
    listed = next(d for d in client.get("/api/v1/admin/devices", headers=admin).json if d["id"] == created.json["id"])
    assert "key" not in listed and listed["key_hint"] == key[-4:]
    rotated = client.post(f"/api/v1/admin/devices/{created.json['id']}/rotate-key", headers=admin).json["key"]
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {rotated}"}).status_code == 200
    assert client.post(f"/api/v1/admin/devices/{created.json['id']}/revoke", headers=admin).status_code == 200
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {rotated}"}).status_code == 401
    assert [e.action for e in audit_rows(app, "device")][-3:] == ["create", "rotate_key", "revoke"]
    assert event_types(app)[-1] == "settings_changed"
    terminal = client.post("/api/v1/admin/devices", json={"kind": "rating_terminal", "name": "Máy đánh giá"}, headers=admin)
    assert terminal.status_code == 422
    assert terminal.json["fields"]["counter_id"] == "máy đánh giá phải gắn với một quầy"


def test_fields_are_created_edited_and_imported_from_csv(client, login, app):  # type: ignore[no-untyped-def]
    admin = login("admin")
    created = client.post("/api/v1/admin/services", json={"code": "YT", "name": "Y tế – BHYT", "number_prefix": "C",
                                                           "number_start": 1, "number_end": 999, "number_width": 3}, headers=admin)
    assert created.status_code == 201
    duplicate = client.post("/api/v1/admin/services", json={"code": "YT", "name": "Y tế"}, headers=admin)
    assert duplicate.status_code == 422 and duplicate.json["message"] == "Vui lòng kiểm tra lại: Mã: đã tồn tại"
    not_number = client.post("/api/v1/admin/services", json={"code": "GD", "name": "Giáo dục", "number_end": "nhiều"}, headers=admin)
    assert not_number.status_code == 422 and not_number.json["fields"]["number_end"] == "phải là số nguyên"
    empty_range = client.patch(f"/api/v1/admin/services/{created.json['id']}", json={"number_end": 0, "number_start": 5}, headers=admin)
    assert empty_range.status_code == 422
    assert empty_range.json["fields"]["number_end"] == "dải số không hợp lệ (số cuối phải từ số đầu trở lên)"
    renamed = client.patch(f"/api/v1/admin/services/{created.json['id']}", json={"name": "Y tế – Bảo hiểm y tế", "active": False},
                           headers=admin)
    assert renamed.status_code == 200 and renamed.json["active"] is False
    entry = audit_rows(app, "service")[-1]
    assert entry.before == {"name": "Y tế – BHYT", "active": True}
    assert entry.after == {"name": "Y tế – Bảo hiểm y tế", "active": False}

    catalogue = "code,name,name_en,group,prefix,start,end\nGD,Giáo dục,Education,Văn hóa – Xã hội,,6001,6999\nYT,Y tế,Health,,C,1,999\n"
    imported = client.post("/api/v1/admin/services/import", json={"csv": catalogue}, headers=admin)
    assert imported.status_code == 200 and imported.json == {"created": 1, "updated": 1}
    bad = client.post("/api/v1/admin/services/import", json={"csv": "ma,ten\nA,B\n"}, headers=admin)
    assert bad.status_code == 422 and bad.json["fields"]["csv"] == "dòng tiêu đề phải có cột code,name"


def test_counters_serve_an_ordered_list_of_fields(client, login, app, demo):  # type: ignore[no-untyped-def]
    admin = login("admin")
    counter_id = demo.counters[4]
    response = client.patch(f"/api/v1/admin/counters/{counter_id}", json={"service_ids": [7, 6, 5]}, headers=admin)
    assert response.status_code == 200 and response.json["service_ids"] == [7, 6, 5]
    entry = audit_rows(app, "counter")[-1]
    assert entry.before == {"service_ids": [5, 6, 7]} and entry.after == {"service_ids": [7, 6, 5]}
    assert client.patch(f"/api/v1/admin/counters/{counter_id}", json={"service_ids": [99]}, headers=admin).json["fields"] == {
        "service_ids": "lĩnh vực không tồn tại"}
    created = client.post("/api/v1/admin/counters", json={"number": 5, "name": "Quầy 5", "service_ids": [1]}, headers=admin)
    assert created.status_code == 201


def test_hours_holidays_priorities_and_settings_are_audited(client, login, app):  # type: ignore[no-untyped-def]
    admin = login("admin")
    hours = client.put("/api/v1/admin/hours", json={"periods": [
        {"weekday": 0, "opens_at": "07:30", "closes_at": "11:30"}, {"weekday": 0, "opens_at": "13:30", "closes_at": "17:00"}]},
        headers=admin)
    assert hours.status_code == 200 and len(hours.json["periods"]) == 2
    backwards = client.put("/api/v1/admin/hours", json={"periods": [{"weekday": 1, "opens_at": "11:00", "closes_at": "07:00"}]},
                           headers=admin)
    assert backwards.status_code == 422 and "giờ đóng phải sau giờ mở" in backwards.json["message"]
    holiday = client.post("/api/v1/admin/holidays", json={"date": "2026-09-02", "name": "Quốc khánh"}, headers=admin)
    assert holiday.status_code == 201
    assert client.post("/api/v1/admin/holidays", json={"date": "2026-09-02"}, headers=admin).status_code == 422
    assert client.delete(f"/api/v1/admin/holidays/{holiday.json['id']}", headers=admin).status_code == 200
    category = client.post("/api/v1/admin/priorities", json={"code": "thuong_binh", "name": "Thương binh", "level": 2}, headers=admin)
    assert category.status_code == 201
    assert client.patch(f"/api/v1/admin/priorities/{category.json['id']}", json={"active": False}, headers=admin).json["active"] is False
    voice = client.patch("/api/v1/admin/settings", json={"voice": {"variant": "southern", "number_style": "digits", "repeat": 2}},
                         headers=admin)
    assert voice.status_code == 200 and voice.json["changed"] == ["voice"]
    assert voice.json["settings"]["voice"]["chime"] is True  # merged, not replaced
    bad = client.patch("/api/v1/admin/settings", json={"voice": {"variant": "central"}}, headers=admin)
    assert bad.status_code == 422 and bad.json["message"].startswith("Vui lòng kiểm tra lại: Giọng đọc:")
    rating = client.patch("/api/v1/admin/settings", json={"rating": {"buttons": [
        {"score": 5, "label": "Rất hài lòng"}, {"score": 4, "label": "Hài lòng"}, {"score": 2, "label": "Không hài lòng"}]}},
        headers=admin)
    assert rating.status_code == 200 and len(rating.json["settings"]["rating"]["buttons"]) == 3
    entities = [entry.entity for entry in audit_rows(app)]
    for entity in ("working_hours", "holiday", "priority_category", "site_settings"):
        assert entity in entities
    settings_entry = [e for e in audit_rows(app, "site_settings") if "voice" in e.after][-1]
    assert settings_entry.before["voice"]["variant"] == "northern" and settings_entry.after["voice"]["variant"] == "southern"
    assert event_types(app).count("settings_changed") >= 6

    listed = client.get("/api/v1/admin/audit?limit=5", headers=admin).json
    assert len(listed) == 5 and listed[0]["username"] == "admin" and listed[0]["entity"] == "site_settings"
