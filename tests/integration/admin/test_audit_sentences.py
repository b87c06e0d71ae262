"""The audit log reads as sentences, in Vietnamese first and English second: who did what to which
thing (by its name), then each change in words; never raw keys or JSON."""
from __future__ import annotations

import re


def newest(client, admin, lang: str = "vi") -> dict:  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/admin/audit?limit=1&lang={lang}", headers=admin).json[0]


def counter_id(client, admin, number: int) -> int:  # type: ignore[no-untyped-def]
    return next(c["id"] for c in client.get("/api/v1/admin/counters", headers=admin).json if c["number"] == number)


def test_a_field_added_to_a_counter_reads_as_a_vietnamese_sentence(client, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    created = client.post("/api/v1/admin/services", headers=admin, json={
        "code": "GD", "name": "Giáo dục", "name_en": "Education", "number_start": 8001, "number_end": 8999})
    assert created.status_code == 201, created.json
    assert newest(client, admin)["text"] == (
        "Quản trị hệ thống tạo lĩnh vực Giáo dục: mã GD; tên tiếng Anh “Education”; số đầu 8001; số cuối 8999")
    counter = counter_id(client, admin, 2)
    current = next(c for c in client.get("/api/v1/admin/counters", headers=admin).json if c["id"] == counter)
    changed = client.patch(f"/api/v1/admin/counters/{counter}", headers=admin,
                           json={"service_ids": [*current["service_ids"], created.json["id"]]})
    assert changed.status_code == 200, changed.json

    entry = newest(client, admin)
    assert entry["text"] == "Quản trị hệ thống đổi quầy 2: phục vụ thêm Giáo dục"
    assert newest(client, admin, "en")["text"] == "Quản trị hệ thống changed counter 2: now also serves Giáo dục"
    assert entry["after"] == {"service_ids": [*current["service_ids"], created.json["id"]]}, "the raw record stays"


def test_taking_a_counter_out_of_use_and_its_order_of_fields(client, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    counter = counter_id(client, admin, 4)
    client.patch(f"/api/v1/admin/counters/{counter}", headers=admin, json={"service_ids": [7, 5]})
    assert newest(client, admin)["text"] == "Quản trị hệ thống đổi quầy 4: thôi phục vụ Bảo trợ xã hội"
    client.patch(f"/api/v1/admin/counters/{counter}", headers=admin, json={"service_ids": [5, 7]})
    assert newest(client, admin)["text"] == ("Quản trị hệ thống đổi quầy 4: gọi các lĩnh vực theo thứ tự: "
                                              "Hộ kinh doanh, Lao động – Việc làm")
    client.patch(f"/api/v1/admin/counters/{counter}", headers=admin, json={"name": "Quầy hộ kinh doanh"})
    assert newest(client, admin)["text"] == "Quản trị hệ thống đổi quầy 4: tên từ “Quầy 4” thành “Quầy hộ kinh doanh”"
    assert client.patch("/api/v1/admin/services/4", headers=admin, json={"active": False}).status_code == 200
    assert newest(client, admin)["text"] == "Quản trị hệ thống đổi lĩnh vực Xây dựng: ngừng sử dụng"


def test_working_hours_are_days_and_times_not_lists(client, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    weekdays = [{"weekday": day, "opens_at": opens, "closes_at": closes}
                for day in range(5) for opens, closes in (("07:00", "11:30"), ("13:30", "17:00"))]
    answer = client.put("/api/v1/admin/hours", headers=admin, json={"periods": [
        *weekdays, {"weekday": 5, "opens_at": "07:30", "closes_at": "11:30"}]})
    assert answer.status_code == 200, answer.json
    text = newest(client, admin)["text"]
    assert text == ("Quản trị hệ thống đổi giờ làm việc: Thứ Hai – Thứ Sáu 07:00–11:30, 13:30–17:00; "
                    "Thứ Bảy 07:30–11:30")


def test_settings_staff_and_device_changes_name_what_changed_in_words(client, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    client.patch("/api/v1/admin/settings", headers=admin, json={"notice": "Nghỉ trưa từ 11:30"})
    assert newest(client, admin)["text"] == (
        "Quản trị hệ thống đổi cài đặt của điểm tiếp nhận: dòng thông báo trên màn hình sảnh thành “Nghỉ trưa từ 11:30”")
    client.patch("/api/v1/admin/settings", headers=admin, json={"rating": {"window_s": 45}})
    assert newest(client, admin)["text"] == ("Quản trị hệ thống đổi cài đặt của điểm tiếp nhận: cài đặt đánh giá "
                                              "(thời gian đánh giá sau khi phục vụ (giây))")
    staff = next(p for p in client.get("/api/v1/admin/staff", headers=admin).json if p["username"] == "canbo3")
    client.patch(f"/api/v1/admin/staff/{staff['id']}", headers=admin, json={"role": "supervisor"})
    assert newest(client, admin)["text"] == f"Quản trị hệ thống đổi tài khoản của {staff['full_name']}: vai trò từ Cán bộ thành Lãnh đạo, giám sát"
    client.patch("/api/v1/admin/devices/1", headers=admin, json={"settings": {"printer": False}})
    assert newest(client, admin)["text"] == "Quản trị hệ thống đổi thiết bị Kiosk sảnh chính: máy in từ bật thành tắt"
    for entry in client.get("/api/v1/admin/audit?limit=100", headers=admin).json:
        assert not re.search(r"[{}\[\]]|_ids|: true|: false", entry["text"]), entry["text"]
