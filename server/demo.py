"""The demo centre of CONTRACT.md: one centre, one site, six fields, four counters, staff and devices.

Demo passwords (`demo`) and device keys (`demo-kiosk-1`, …) exist only when the seed runs in demo mode.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.administration import (
    FieldSpec,
    create_centre_and_site,
    create_counter,
    create_device,
    create_field,
    create_priority_category,
    create_staff,
    set_working_hours,
)
from server.auth.secrets import hash_password
from server.models import CounterStatus, Site

DEMO_PASSWORD = "demo"

DEMO_FIELDS = [
    FieldSpec("TPHT", "Tư pháp – Hộ tịch", "Justice – Civil status", "Tư pháp", "", 1001, 1999),
    FieldSpec("CT", "Chứng thực", "Certification", "Tư pháp", "", 2001, 2999),
    FieldSpec("DD", "Đất đai", "Land", "Tài nguyên", "", 3001, 3999),
    FieldSpec("XD", "Xây dựng", "Construction", "Tài nguyên", "", 4001, 4999),
    FieldSpec("HKD", "Hộ kinh doanh", "Household business", "Kinh tế", "", 5001, 5999),
    FieldSpec("BTXH", "Bảo trợ xã hội", "Social protection", "Xã hội", "A", 1, 999, 3),
    FieldSpec("LDVL", "Lao động – Việc làm", "Labour – Employment", "Xã hội", "B", 1, 999, 3),
]
# counter number → the codes of the fields it serves, in calling order
DEMO_COUNTERS = {1: ["TPHT", "CT"], 2: ["CT", "TPHT"], 3: ["DD", "XD"], 4: ["HKD", "BTXH", "LDVL"]}
DEMO_CLERKS = [
    ("canbo1", "Nguyễn Thị Lan", "Công chức Tư pháp – Hộ tịch"),
    ("canbo2", "Trần Văn Minh", "Công chức Tư pháp – Hộ tịch"),
    ("canbo3", "Lê Thị Hồng", "Công chức Địa chính – Xây dựng"),
    ("canbo4", "Phạm Quốc Huy", "Công chức Văn hóa – Xã hội"),
]
DEMO_PRIORITIES = [
    ("nguoi_cao_tuoi", "Người cao tuổi", "Elderly person", 1),
    ("nguoi_khuyet_tat", "Người khuyết tật", "Person with a disability", 1),
    ("phu_nu_co_thai", "Phụ nữ có thai", "Pregnant woman", 1),
    ("nguoi_co_cong", "Người có công với cách mạng", "Person with revolutionary merit", 1),
    ("tre_em_duoi_6", "Người đi cùng trẻ em dưới 6 tuổi", "Person with a child under 6", 1),
]


@dataclass
class DemoResult:
    site_id: int
    device_keys: dict[str, str] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)
    counters: dict[int, int] = field(default_factory=dict)  # counter number → id


@lru_cache(maxsize=1)
def _demo_password_hash() -> str:
    # One Argon2 hash for every demo account: the password is public anyway, and tests seed often.
    return hash_password(DEMO_PASSWORD)


def database_is_empty(session: Session) -> bool:
    return session.scalar(select(Site.id).limit(1)) is None


def seed_demo(session: Session, now: dt.datetime, demo_mode: bool = True) -> DemoResult:
    """Create the demo centre; commit. Outside demo mode passwords and keys are random (returned once)."""
    site = create_centre_and_site(
        session, "Trung tâm Phục vụ hành chính công phường Ba Đình", "Trụ sở chính", now,
        centre_code="BADINH", site_code="TRUSO", province="Thành phố Hà Nội",
    )
    # The demo is open around the clock so it can be tried at any hour; real sites set their sessions.
    set_working_hours(session, site.id, [(weekday, dt.time(0, 0), dt.time.max) for weekday in range(7)], now)
    services = {spec.code: create_field(session, site.id, FieldSpec(**{**spec.__dict__, "position": index}), now)
                for index, spec in enumerate(DEMO_FIELDS)}
    for index, (code, name, name_en, level) in enumerate(DEMO_PRIORITIES):
        create_priority_category(session, site.id, code, name, now, name_en=name_en, level=level, position=index)
    result = DemoResult(site_id=site.id)
    demo_hash = _demo_password_hash() if demo_mode else None

    def staff(username: str, role: str, full_name: str, title: str) -> int:
        member, generated = create_staff(session, username, role, now, site_id=site.id, full_name=full_name,
                                         title=title, password_hash=demo_hash)
        result.passwords[username] = DEMO_PASSWORD if demo_mode else (generated or "")
        return member.id

    kiosk, kiosk_key = create_device(session, site.id, "kiosk", "Kiosk sảnh chính", now,
                                     key="demo-kiosk-1" if demo_mode else None, settings={"printer": True})
    result.device_keys["kiosk"] = kiosk_key
    for number, (username, full_name, title) in zip(DEMO_COUNTERS, DEMO_CLERKS, strict=True):
        counter = create_counter(session, site.id, number, [services[c].id for c in DEMO_COUNTERS[number]], now)
        clerk_id = staff(username, "clerk", full_name, title)
        counter.clerk_id = clerk_id
        counter.status = CounterStatus.OPEN
        counter.status_changed_at = now
        result.counters[number] = counter.id
    staff("giamsat", "supervisor", "Đỗ Thanh Hà", "Phó Giám đốc Trung tâm")
    staff("admin", "admin", "Quản trị hệ thống", "Quản trị viên")
    staff("thanhtra", "inspector", "Vũ Minh Tuấn", "Thanh tra viên")
    staff("lanhdao", "leader", "Phạm Quốc Bảo", "Giám đốc Trung tâm")
    display, display_key = create_device(session, site.id, "display", "Màn hình sảnh", now,
                                         key="demo-display-1" if demo_mode else None)
    result.device_keys["display"] = display_key
    for number, counter_id in result.counters.items():
        _, key = create_device(session, site.id, "rating_terminal", f"Máy đánh giá quầy {number}", now,
                               counter_id=counter_id, key=f"demo-rating-{counter_id}" if demo_mode else None)
        result.device_keys[f"rating:{counter_id}"] = key
    _, bridge_key = create_device(session, site.id, "bridge", "Bộ kết nối thiết bị", now,
                                  key="demo-bridge-1" if demo_mode else None)
    result.device_keys["bridge"] = bridge_key
    result.device_keys["kiosk_id"] = str(kiosk.id)
    result.device_keys["display_id"] = str(display.id)
    session.commit()
    return result
