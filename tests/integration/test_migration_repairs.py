"""Migration 0005 repairs a database written by the old code (issue 10, item 1: "a migration repairs
existing databases"): two citizens holding one number after a transfer, two active fields printing the
same numbers, events written before the hash chain existed. The database is built at revision
0004 with the rows the old code wrote, then upgraded to the newest schema, on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import create_engine, text

from server.migrate import upgrade
from server.settings import PROJECT_ROOT
from tests.integration.province.conftest import fresh_postgres_url  # noqa: F401 - a fixture

DAY = dt.date(2026, 3, 2)
AT = dt.datetime(2026, 3, 2, 1, 30)  # UTC, 08:30 in Hà Nội


def _old_database(url: str) -> None:
    """What the code before issue 10 could leave behind, written at the schema of revision 0004."""
    upgrade(url, "0004_merge_heads")
    engine = create_engine(url)
    with engine.begin() as connection:
        def insert(table: str, **values: Any) -> None:
            columns = ", ".join(values)
            marks = ", ".join(f":{name}" for name in values)
            connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({marks})"), values)

        insert("centres", id=1, code="C1", name="Trung tâm", label="Trung tâm", province="Hà Nội")
        insert("sites", id=1, centre_id=1, code="S1", name="Bộ phận một cửa", label="", address="",
               timezone="Asia/Ho_Chi_Minh", event_seq=3, settings="{}", config_version=1)
        field = dict(site_id=1, name_en="", group_name="", number_prefix="", number_width=4, daily_quota=None,
                     average_service_s=300, active=True)
        insert("services", id=1, code="TP", name="Tư pháp – Hộ tịch", number_start=1001, number_end=1999,
               position=1, **field)
        insert("services", id=2, code="DD", name="Đất đai", number_start=2001, number_end=2999, position=2, **field)
        # An administrator's field with the form's old default range, which overlaps every other field.
        insert("services", id=3, code="LD", name="Lao động", number_start=1, number_end=9999, position=3, **field)
        ticket = dict(site_id=1, business_date=DAY, status="waiting", priority_category_id=None, priority_level=0,
                      issued_at=AT, call_count=0, transfer_count=0, transfer_note="", language="vi", dossier_code="")
        # 1001 issued in field 1 and transferred to field 2; the old code then issued field 2's 1001 too.
        insert("tickets", id=1, service_id=2, sequence=1, number="1001", public_token="a" * 24,
               **{**ticket, "transfer_count": 1})
        insert("tickets", id=2, service_id=1, sequence=2, number="1002", public_token="b" * 24, **ticket)
        insert("tickets", id=3, service_id=3, sequence=1, number="1001", public_token="c" * 24, **ticket)
        for seq, (kind, ticket_id, payload) in enumerate([
                ("ticket_issued", 1, {"id": 1, "number": "1001", "service_id": 1}),
                ("ticket_transferred", 1, {"id": 1, "from_service_id": 1, "service_id": 2}),
                ("ticket_issued", 3, {"id": 3, "number": "1001", "service_id": 3})], start=1):
            insert("events", site_id=1, seq=seq, type=kind, ticket_id=ticket_id, counter_id=None, actor="kiosk:1",
                   payload=json.dumps(payload), created_at=AT + dt.timedelta(seconds=seq))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.sqlite3'}"
    make: Callable[[], str] = request.getfixturevalue("fresh_postgres_url")
    return make()


def test_the_migration_repairs_a_database_the_old_code_wrote(empty_database: str) -> None:
    _old_database(empty_database)
    upgrade(empty_database)
    engine = create_engine(empty_database)
    try:
        with engine.connect() as connection:
            numbers = connection.execute(text("SELECT id, number, issued_service_id, service_id FROM tickets ORDER BY id")).all()
            fields = {row.code: (row.number_start, row.number_end) for row in connection.execute(
                text("SELECT code, number_start, number_end FROM services"))}
            audit = connection.execute(text("SELECT entity, entity_id FROM audit_log")).all()
    finally:
        engine.dispose()
    # The transferred ticket keeps its number and its issuing field; the later twin is told apart, not lost.
    assert [(row.id, row.number, row.issued_service_id, row.service_id) for row in numbers] == [
        (1, "1001", 1, 2), (2, "1002", 1, 1), (3, "1001-2", 3, 3)]
    # The overlapping field moves to the next free block, and the administrator sees why in the audit log.
    assert fields["TP"] == (1001, 1999) and fields["DD"] == (2001, 2999)
    assert fields["LD"][0] > 2999
    assert ("service", "3") in {(row.entity, row.entity_id) for row in audit}
    # The events written before the chain existed are chained now: verify-log finds the log whole.
    checked = subprocess.run([sys.executable, "-m", "server", "verify-log"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, timeout=120, env={**os.environ, "HANGCHO_DATABASE_URL": empty_database})
    assert checked.returncode == 0, checked.stdout + checked.stderr
