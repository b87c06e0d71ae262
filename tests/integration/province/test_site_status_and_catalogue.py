"""A real central and a real site uplinked to it: the site's own name and its fields' waits reach the
central (GET /api/v1/public/wait-times, the board's rows), with the kiosk's own estimate; the province
catalogue is published over the uplink and applied by the site's audited admin code (a renamed field
renamed, a new field added inactive until a counter serves it, nothing deleted, history kept)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import requests
from tests.integration.province.conftest import (Central, add_site, issue, make_central, query_database, start_site,
                                                 wait_until)

CATALOGUE = [
    {"code": "TPHT", "name": "Tư pháp – Hộ tịch (danh mục tỉnh)", "name_en": "Justice – Civil status"},
    {"code": "CT", "name": "Chứng thực", "name_en": "Certification"},
    {"code": "BHYT", "name": "Y tế – Bảo hiểm y tế", "name_en": "Health insurance", "prefix": "Y"},
]


def site_rows(site: Any, sql: str, **params: Any) -> list[Any]:
    return query_database(site.database_url, sql, **params)


def wait_times(central: Central, **params: str) -> list[dict[str, Any]]:
    answer = requests.get(central.url + "/api/v1/public/wait-times", params=params, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def publish(central: Central, fields: list[dict[str, str]]) -> str:
    answer = requests.put(central.url + "/api/v1/province/catalogue", json={"fields": fields},
                          headers={"Authorization": f"Bearer {central.login('admin')}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["version"]


def start_pair(central_url: str, tmp_path: Path, sqlite_template: Path) -> tuple[Central, Any]:
    central = make_central(central_url, tmp_path)
    key = add_site(central, "XA-PB", "Trung tâm Phục vụ hành chính công xã Phú Bình")
    add_site(central, "XA-TL", "Trung tâm Phục vụ hành chính công xã Tân Lập")
    central.start()
    path = tmp_path / "site.sqlite3"
    shutil.copy(sqlite_template, path)
    return central, start_site(f"sqlite:///{path}", tmp_path, central, key)


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_sites_own_name_and_field_waits_reach_the_public_wait_times(  # type: ignore[no-untyped-def]
        database, request, tmp_path: Path, sqlite_template: Path) -> None:
    central_url = (f"sqlite:///{tmp_path / 'central.sqlite3'}" if database == "sqlite"
                   else request.getfixturevalue("fresh_postgres_url")())
    central, site = start_pair(central_url, tmp_path, sqlite_template)
    try:
        own_name = " · ".join(site_rows(site, "SELECT c.name, s.name FROM sites s JOIN centres c ON c.id = s.centre_id "
                                              "ORDER BY s.id LIMIT 1")[0])
        issue(site, 3, service_id=1)

        def published_line() -> dict[str, Any] | None:
            rows = {row["code"]: row for row in wait_times(central)}
            fields = {field["code"]: field for field in rows["XA-PB"]["fields"]}
            return fields.get("TPHT") if fields.get("TPHT", {}).get("waiting") == 3 else None

        line = wait_until(published_line, 20, "the site's waits at the central")
        rows = {row["code"]: row for row in wait_times(central)}
        assert set(rows) == {"XA-PB", "XA-TL"}
        live, silent = rows["XA-PB"], rows["XA-TL"]
        assert set(live) >= {"site_id", "code", "name", "connected", "fields"}
        assert live["connected"] is True and live["name"] == "Trung tâm Phục vụ hành chính công xã Phú Bình"
        assert silent == {**silent, "connected": False, "fields": []}
        for field in live["fields"]:
            assert set(field) >= {"code", "name", "waiting", "estimated_wait_s"}
            assert isinstance(field["waiting"], int) and isinstance(field["estimated_wait_s"], int)
        services = {row["code"]: row for row in requests.get(site.url + "/api/v1/services", timeout=10).json()}
        assert {field["code"] for field in live["fields"]} == {code for code, row in services.items() if row["active"]}
        assert all(field["waiting"] == services[field["code"]]["waiting"] for field in live["fields"])
        # The same estimate the kiosk prints for the next citizen of that field.
        assert issue(site, 1, service_id=1)[0]["estimated_wait_s"] == line["estimated_wait_s"] > 0
        assert [row["fields"] for row in wait_times(central, field="TPHT") if row["code"] == "XA-PB"][0][0]["code"] == "TPHT"
        # The board's rows: the registered name first, the site's own name beside it.
        board = central.sites()["XA-PB"]
        assert board["name"] == "Trung tâm Phục vụ hành chính công xã Phú Bình" and board["site_name"] == own_name
        # The site's reports at the central name its fields (the roll-ups carry only their ids).
        summary = central.get(f"/api/v1/province/sites/{board['id']}/summary?group_by=service").json()
        assert {row["service_id"]: row["label"] for row in summary["rows"]}[1] == services["TPHT"]["name"]
        page = central.get(f"/province/sites/{board['id']}")
        assert page.status_code == 200 and f"Tên do điểm tự khai báo: {own_name}" in page.text
        # No personal data: nothing but figures and names of centres and fields.
        assert "token" not in str(wait_times(central)) and "clerk" not in str(wait_times(central))
    finally:
        site.stop()
        central.stop()


def test_the_province_catalogue_is_applied_by_the_sites_audited_admin_code(  # type: ignore[no-untyped-def]
        tmp_path: Path, sqlite_template: Path) -> None:
    central, site = start_pair(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path, sqlite_template)
    try:
        issued = issue(site, 2, service_id=1)  # history of TPHT before the province renames it
        version = publish(central, CATALOGUE)
        assert version and central.get("/api/v1/province/catalogue").json()["version"] == version

        def applied() -> bool:
            rows = site_rows(site, "SELECT catalogue_version FROM uplink_states")
            return bool(rows) and rows[0][0] == version

        wait_until(applied, 30, "the catalogue applied at the site")
        fields = {row.code: row for row in site_rows(
            site, "SELECT id, code, name, active, from_province, awaiting_counter, number_prefix FROM services")}
        assert fields["TPHT"].name == "Tư pháp – Hộ tịch (danh mục tỉnh)" and fields["TPHT"].from_province
        assert fields["CT"].from_province and fields["CT"].name == "Chứng thực"
        new = fields["BHYT"]
        assert (bool(new.active), bool(new.from_province), bool(new.awaiting_counter), new.number_prefix) == (False, True, True, "Y")
        assert not fields["DD"].from_province and fields["DD"].active  # a local field stays as it was
        # History kept: the tickets issued before the rename are still the field's, none deleted.
        assert [row[0] for row in site_rows(site, "SELECT service_id FROM tickets ORDER BY id")] == [1, 1]
        assert len(issued) == 2
        audit = site_rows(site, "SELECT action, entity, staff_id, before, after FROM audit_log "
                                "WHERE action IN ('province', 'province_add') ORDER BY id")
        assert len(audit) == 3 and all(row.staff_id is None for row in audit)
        assert json.loads(audit[0].after)["name"] == "Tư pháp – Hộ tịch (danh mục tỉnh)"
        assert json.loads(audit[0].before) == {"name": "Tư pháp – Hộ tịch", "from_province": False}
        assert [row.action for row in audit] == ["province", "province", "province_add"]
        assert json.loads(audit[2].after)["code"] == "BHYT" and audit[2].before in (None, "{}", "null")
        # The admin's screen data says which fields come from the province.
        admin = requests.post(site.url + "/api/v1/auth/login", json={"username": "admin", "password": "demo"},
                              timeout=10).json()["token"]
        listed = {row["code"]: row for row in site.api("GET", "/admin/services", admin).json()}
        assert listed["BHYT"]["from_province"] is True and listed["DD"]["from_province"] is False
        # Not offered to citizens until a counter serves it; giving it to one puts it in use (audited).
        assert requests.get(site.url + "/api/v1/services", timeout=10).json()[-1]["active"] is False
        counter = site.api("GET", "/admin/counters", admin).json()[0]
        answer = site.api("PATCH", f"/admin/counters/{counter['id']}", admin,
                          json={"service_ids": [*counter["service_ids"], new.id]})
        assert answer.status_code == 200, answer.text
        assert site_rows(site, "SELECT active, awaiting_counter FROM services WHERE code = 'BHYT'")[0] == (1, 0)

        # A field dropped from the catalogue stays at the site with its history, no longer marked.
        version = publish(central, [entry for entry in CATALOGUE if entry["code"] != "CT"])
        wait_until(applied, 30, "the second catalogue applied")
        ct = site_rows(site, "SELECT active, from_province FROM services WHERE code = 'CT'")[0]
        assert ct == (1, 0)
        rows = site_rows(site, "SELECT COUNT(*) FROM audit_log WHERE action IN ('province', 'province_add')")
        assert rows[0][0] == 4
    finally:
        site.stop()
        central.stop()


def test_the_central_cli_imports_and_lists_the_catalogue_and_the_uplink_refuses_a_malformed_status(  # type: ignore[no-untyped-def]
        tmp_path: Path) -> None:
    import socketio

    from tests.integration.province.conftest import run_cli

    central = make_central(f"sqlite:///{tmp_path / 'central.sqlite3'}", tmp_path)
    source = tmp_path / "catalogue.csv"
    source.write_text("\ufeffcode,name,name_en,prefix\nTPHT,\"Tư pháp – Hộ tịch\",Justice,\nBHYT,Y tế – BHYT,,y\n",
                      encoding="utf-8")
    imported = run_cli(central.env, "central", "catalogue", "import", str(source))
    assert "2 fields" in imported.stdout
    listed = run_cli(central.env, "central", "catalogue", "list").stdout.splitlines()
    assert listed[1:] == ["code,name,name_en,prefix", "TPHT,Tư pháp – Hộ tịch,Justice,", "BHYT,Y tế – BHYT,,Y"]
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\nTPHT,A\nTPHT,B\n", encoding="utf-8")
    refused = run_cli(central.env, "central", "catalogue", "import", str(bad), check=False)
    assert refused.returncode != 0 and "appears twice" in refused.stderr

    key = add_site(central, "XA-PB", "Xã Phú Bình")
    central.start()
    client = socketio.Client(reconnection=False)
    try:
        client.connect(central.url, auth={"key": key}, namespaces=["/uplink"], transports=["websocket"])
        hello = client.call("hello", {"site_id": 1, "seq": 0}, namespace="/uplink", timeout=10)
        assert hello["ok"] and hello["catalogue_version"] == listed[0].split()[-1]
        catalogue = client.call("catalogue", {}, namespace="/uplink", timeout=10)
        assert [entry["code"] for entry in catalogue["fields"]] == ["TPHT", "BHYT"]
        for malformed in (None, [], {"name": "x"}, {"name": "x", "fields": [{"code": "A"}]},
                          {"name": "x", "fields": [{"code": "A", "name": "A", "waiting": -1, "estimated_wait_s": 0,
                                                    "counters_serving": 0}]},
                          {"name": "x" * 201, "fields": []},
                          {"name": "x", "fields": [{"code": "A", "name": "A", "waiting": 1, "estimated_wait_s": 0,
                                                    "counters_serving": 0}] * 2}):
            answer = client.call("site_status", malformed, namespace="/uplink", timeout=10)
            assert answer == {"ok": False, "error": "validation_failed"}, malformed
        assert wait_times(central)[0]["fields"] == []
    finally:
        client.disconnect()
        central.stop()
