"""The command line: set-up commands for staff, devices, fields and counters, and the CSV catalogue import."""
from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from server.auth.secrets import digest
from server.cli import cli, detect_lan_address, welcome_lines
from server.db import make_engine, make_session_factory
from server.models import Counter, Device, Service, Staff
from server.settings import load_settings


@pytest.fixture
def run(sqlite_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, list(args), env={"HANGCHO_DATABASE_URL": sqlite_url, "HANGCHO_DEMO": "0"},
                             catch_exceptions=False)

    return invoke


@pytest.fixture
def db(sqlite_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(sqlite_url)
    session = make_session_factory(engine)()
    yield session
    session.close()
    engine.dispose()


def test_init_creates_a_site_and_prints_a_generated_admin_password_once(run, db) -> None:  # type: ignore[no-untyped-def]
    result = run("init", "--centre", "Trung tâm Phục vụ hành chính công xã Yên Thủy")
    assert result.exit_code == 0, result.output
    password = result.output.rsplit(": ", 1)[1].strip()
    assert len(password) >= 12 and password != "demo"
    admin = db.scalar(select(Staff).where(Staff.username == "admin"))
    assert admin is not None and password not in admin.password_hash and admin.password_hash.startswith("$argon2id$")
    assert run("init", "--centre", "again").exit_code != 0  # never twice


def test_seed_demo_outside_demo_mode_uses_random_keys(run, db) -> None:  # type: ignore[no-untyped-def]
    result = run("seed-demo")
    assert result.exit_code == 0, result.output
    assert "demo-kiosk-1" not in result.output
    assert db.scalar(select(Device).where(Device.key_hash == digest("demo-kiosk-1"))) is None


def test_create_field_counter_staff_and_device(run, db) -> None:  # type: ignore[no-untyped-def]
    assert run("init", "--centre", "TT").exit_code == 0
    assert run("create-field", "--code", "HT", "--name", "Hộ tịch", "--start", "1001", "--end", "1999").exit_code == 0
    assert run("create-field", "--code", "BT", "--name", "Bảo trợ xã hội", "--prefix", "A", "--width", "3",
               "--end", "999", "--quota", "50").exit_code == 0
    assert run("create-counter", "--number", "1", "--fields", "BT,HT").exit_code == 0
    staff = run("create-staff", "canbo9", "--role", "clerk", "--full-name", "Nguyễn Văn An")
    assert staff.exit_code == 0 and "password (shown once)" in staff.output
    device = run("create-device", "--kind", "rating_terminal", "--name", "Máy đánh giá quầy 1", "--counter", "1")
    assert device.exit_code == 0
    key = device.output.rsplit(": ", 1)[1].strip()
    assert key.startswith("hc_")
    counter = db.scalar(select(Counter).where(Counter.number == 1))
    fields = {s.id: s.code for s in db.scalars(select(Service))}
    assert [fields[i] for i in counter.service_ids] == ["BT", "HT"]
    terminal = db.scalar(select(Device).where(Device.key_hash == digest(key)))
    assert terminal is not None and terminal.counter_id == counter.id and terminal.key_hint == key[-4:]
    assert db.scalar(select(Service).where(Service.code == "BT")).daily_quota == 50


def test_bad_input_is_refused_with_a_message(run) -> None:  # type: ignore[no-untyped-def]
    assert run("init", "--centre", "TT").exit_code == 0
    assert run("create-counter", "--number", "1", "--fields", "NOPE").exit_code != 0
    duplicate = run("create-staff", "admin", "--role", "clerk")
    assert duplicate.exit_code != 0 and "already taken" in duplicate.output
    bad_range = run("create-field", "--code", "X", "--name", "X", "--start", "10", "--end", "5")
    assert bad_range.exit_code != 0 and "number_end" in bad_range.output
    assert run("create-device", "--kind", "rating_terminal", "--name", "x").exit_code != 0


def test_import_field_catalogue_from_csv(run, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("init", "--centre", "TT").exit_code == 0
    catalogue = tmp_path / "linh-vuc.csv"
    rows = ["code,name,name_en,group,prefix,start,end,width,quota"]
    rows += [f"LV{i:02d},Lĩnh vực số {i},Field {i},Nhóm {i % 7},,{i * 100 + 1},{i * 100 + 99},,"
             for i in range(1, 71)]
    catalogue.write_text("\ufeff" + "\n".join(rows), encoding="utf-8")
    result = run("import-fields", str(catalogue))
    assert result.exit_code == 0 and "70 field(s) created" in result.output
    assert len(db.scalars(select(Service)).all()) == 70
    # Re-importing updates by code instead of duplicating.
    catalogue.write_text("code,name\nLV01,Tư pháp – Hộ tịch\n", encoding="utf-8")
    assert "1 updated" in run("import-fields", str(catalogue)).output
    db.rollback()  # end this test's read snapshot
    updated = db.scalar(select(Service).where(Service.code == "LV01"))
    assert (updated.name, updated.name_en, updated.number_start) == ("Tư pháp – Hộ tịch", "Field 1", 101)


def test_a_bad_csv_imports_nothing_and_names_the_line(run, db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run("init", "--centre", "TT").exit_code == 0
    catalogue = tmp_path / "bad.csv"
    catalogue.write_text("code,name,start,end\nA,Một,1,99\nB,Hai,50,10\n", encoding="utf-8")
    result = run("import-fields", str(catalogue))
    assert result.exit_code != 0 and "line 3" in result.output
    assert db.scalars(select(Service)).all() == []


def test_make_run_names_the_phone_page_and_warns_once_when_phones_cannot_reach_it() -> None:
    loopback = "\n".join(welcome_lines(load_settings(host="127.0.0.1", port=5000, public_base_url=""), "192.168.1.20"))
    assert "Phone page (ticket QR):  http://127.0.0.1:5000/t/<token>" in loopback
    warnings = [line for line in loopback.splitlines() if line.lstrip().startswith("!")]
    assert warnings == ["  ! Phones cannot open 127.0.0.1 (this computer only): restart with "
                        "HANGCHO_PUBLIC_BASE_URL=http://192.168.1.20:5000 HANGCHO_HOST=192.168.1.20 make run"]
    everywhere = "\n".join(welcome_lines(load_settings(host="0.0.0.0", port=5000, public_base_url=""), None))
    assert "! Phones cannot open 0.0.0.0" in everywhere and "HANGCHO_PUBLIC_BASE_URL=http://<LAN address>:5000" in everywhere
    public = "\n".join(welcome_lines(load_settings(public_base_url="https://hcc.example.gov.vn"), "192.168.1.20"))
    assert "https://hcc.example.gov.vn/t/<token>" in public and "!" not in public
    assert "make reset" in public


def test_the_lan_address_found_is_never_a_loopback_address() -> None:
    address = detect_lan_address()
    assert address is None or not ipaddress.ip_address(address).is_loopback
