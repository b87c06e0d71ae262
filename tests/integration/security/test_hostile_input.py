"""Hostile input (issue 11) on both databases: no input answers 5xx, and each refusal says why in Vietnamese.

Integers beyond what the database holds, JSON nested to exhaust the parser, control characters (NUL
breaks PostgreSQL), catalogue files with bare carriage returns, and types that were silently coerced.
The walks over the URL map and the OpenAPI document prove the rule holds for every route, not a list.
"""
from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from server.api.validation import DOC_ATTRIBUTE
from server.auth.access import PUBLIC, access_of
from server.inputs import DB_INT_MAX, MAX_JSON_DEPTH
from server.models import Rating, Service
from tests.conftest import KIOSK

HUGE_IDS = (2**63, 2**31)  # the OverflowError, and one past PostgreSQL's INTEGER
CONTROL = "must not contain control characters"
CONTROL_VI = "không được chứa ký tự điều khiển"


@pytest.fixture
def callers(login) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    headers = {role: login(user) for role, user in
               (("admin", "admin"), ("supervisor", "giamsat"), ("clerk", "canbo1"), ("inspector", "thanhtra"),
                                         ("leader", "lanhdao"))}
    headers["device:kiosk"] = KIOSK
    return headers


def caller_for(access: frozenset[str], callers: dict[str, dict[str, str]]) -> dict[str, str]:
    """Headers of someone the route admits (anonymous for public routes)."""
    for principal in ("admin", "supervisor", "clerk", "inspector", "leader", "device:kiosk"):
        if principal in access:
            return callers[principal]
    return {}


def routes_with_integers(app):  # type: ignore[no-untyped-def]
    for rule in app.url_map.iter_rules():
        if any(isinstance(converter, IntegerConverter) for converter in rule._converters.values()):
            view = app.view_functions[rule.endpoint]
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule, method, access_of(view) or frozenset()


def test_every_path_id_beyond_the_database_range_is_404(app, client, callers) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for rule, method, access in routes_with_integers(app):
        for huge in HUGE_IDS:
            path = re.sub(r"<int:[^>]+>", str(huge), rule.rule)
            response = client.open(path, method=method, json={}, headers=caller_for(access, callers))
            assert response.status_code == 404, (rule.rule, method, huge, response.status_code)
            checked += 1
    assert checked >= 40  # tickets, counters, alerts, admin rows, the counter display and rating pages
    largest = client.get(f"/api/v1/tickets/{DB_INT_MAX}", headers=callers["supervisor"])
    assert largest.status_code == 404 and largest.json["error"] == "ticket_not_found"  # in range: the view answers


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_an_anonymous_rating_for_a_huge_ticket_id_is_refused(client, app, huge) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/ratings", json={"ticket_id": huge, "score": 5})
    assert response.status_code == 422 and "ticket_id" in response.json["fields"]
    session = app.extensions["hangcho"].session_factory()
    assert session.scalar(select(func.count()).select_from(Rating)) == 0
    session.close()


@pytest.mark.parametrize("huge", HUGE_IDS)
def test_a_huge_site_id_in_a_query_string_is_refused(client, huge) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/services?site_id={huge}")
    assert response.status_code == 422 and response.json["fields"] == {"site_id": f"không được quá {DB_INT_MAX}"}


@pytest.mark.parametrize(("path", "method", "role", "body", "field"), [
    ("/api/v1/tickets", "POST", "device:kiosk", {"service_id": 2**63}, "service_id"),
    ("/api/v1/tickets/1/transfer", "POST", "supervisor", {"counter_id": 2**31}, "counter_id"),
    ("/api/v1/admin/counters", "POST", "admin", {"number": 9, "service_ids": [2**63]}, "service_ids.0"),
    ("/api/v1/admin/services", "POST", "admin", {"code": "X", "name": "X", "number_end": 2**40}, "number_end"),
    ("/api/v1/admin/devices", "POST", "admin", {"kind": "display", "name": "X", "counter_id": 2**63}, "counter_id"),
])
def test_huge_integers_in_bodies_are_refused(client, callers, path, method, role, body, field) -> None:  # type: ignore[no-untyped-def]
    response = client.open(path, method=method, json=body, headers=callers[role])
    assert response.status_code == 422, response.json
    assert field in response.json["fields"]


def test_audit_paging_beyond_the_database_range_is_refused(client, callers) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/admin/audit?offset={2**63}", headers=callers["admin"])
    assert response.status_code == 422 and "offset" in response.json["fields"]


# --- JSON depth and size ----------------------------------------------------------------------------

def test_deeply_nested_json_is_400_on_every_json_route(app, client, callers) -> None:  # type: ignore[no-untyped-def]
    deep = b"[" * 100_000 + b"]" * 100_000
    unclosed = b'{"a":' * 50_000
    checked = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        for method in (rule.methods or set()) & {"POST", "PUT", "PATCH"}:
            path = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
            if not path.startswith("/api/") or rule.endpoint == "api.logout":
                continue
            headers = {**caller_for(access_of(view) or frozenset(), callers), "Content-Type": "application/json"}
            reads_body = getattr(getattr(view, DOC_ATTRIBUTE, None), "body", None) is not None
            for body in (deep, unclosed):
                response = client.open(path, method=method, data=body, headers=headers)
                assert response.status_code < 500, (rule.rule, method, response.status_code)
                if reads_body:  # a route that ignores its body never parses it
                    assert response.status_code == 400, (rule.rule, method, response.status_code)
                    checked += 1
    assert checked >= 30
    anonymous = client.post("/api/v1/ratings", data=deep, headers={"Content-Type": "application/json"})
    assert anonymous.status_code == 400 and anonymous.json["error"] == "bad_request"


def test_nesting_up_to_the_limit_still_parses(client, callers) -> None:  # type: ignore[no-untyped-def]
    nested = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    response = client.post("/api/v1/tickets", data='{"service_id": 1, "priority": ' + nested + "}",
                           headers={**KIOSK, "Content-Type": "application/json"})
    assert response.status_code == 422 and "priority" in response.json["fields"]  # parsed, then refused as a type


def test_json_constants_that_are_not_json_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/tickets", data='{"service_id": NaN}', headers={**KIOSK, "Content-Type": "application/json"})
    assert response.status_code == 400


def test_a_body_larger_than_the_limit_is_413(client) -> None:  # type: ignore[no-untyped-def]
    body = b'{"token": "' + b"x" * (3 * 1024 * 1024) + b'", "score": 5}'
    response = client.post("/api/v1/ratings", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json["error"] == "too_large"


# --- control characters -------------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "role", "body", "field"), [
    ("/api/v1/auth/login", None, {"username": "admin\u0000", "password": "demo"}, "username"),
    ("/api/v1/ratings", None, {"token": "abc\u0000", "score": 5}, "token"),
    ("/api/v1/ratings", None, {"ticket_id": 1, "score": 5, "reasons": ["ok", "\u0007"]}, "reasons.1"),
    ("/api/v1/counters/1/pause", "clerk", {"reason": "Nghỉ\u0000trưa"}, "reason"),
    ("/api/v1/tickets/1/transfer", "supervisor", {"service_id": 2, "note": "\u001b[31m"}, "note"),
    ("/api/v1/admin/services", "admin", '{"code": "X", "name": "\\ud800"}', "name"),  # a lone surrogate
    ("/api/v1/admin/settings", "admin", {"rating": {"reasons": [{"code": "a\u0000", "label": "x"}]}}, "rating.reasons.0.code"),
])
def test_control_characters_in_json_text_are_refused_in_vietnamese(client, callers, path, role, body, field) -> None:  # type: ignore[no-untyped-def]
    headers = {**(callers[role] if role else {}), "Content-Type": "application/json"}
    response = client.open(path, method="PATCH" if path.endswith("settings") else "POST",
                           data=body if isinstance(body, str) else json.dumps(body), headers=headers)
    assert response.status_code == 422, response.json
    assert response.json["fields"] == {field: CONTROL_VI}
    assert CONTROL_VI in response.json["message"]


def test_control_characters_in_paths_query_strings_and_forms_are_refused(client, callers) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/public/tickets/abc%00def").status_code == 404
    assert client.get("/t/abc%00def").status_code == 404
    audit = client.get("/api/v1/admin/audit?entity=staff%00", headers=callers["admin"])
    assert audit.status_code == 422 and audit.json["fields"] == {"entity": CONTROL_VI}
    english = client.get("/api/v1/services?lang=en&site_id=1%00")
    assert english.status_code == 422 and english.json["fields"] == {"site_id": CONTROL}
    form = client.post("/login", data={"username": "admin\x00", "password": "demo"},
                       headers={"Accept": "application/json"})
    assert form.status_code == 422 and form.json["fields"] == {"username": CONTROL_VI}


def test_text_with_tabs_and_line_breaks_is_kept(client, login, app) -> None:  # type: ignore[no-untyped-def]
    clerk = login("canbo1")
    ticket = client.post("/api/v1/tickets", json={"service_id": 1}, headers=KIOSK).json
    client.post("/api/v1/counters/1/call-next", headers=clerk)
    moved = client.post(f"/api/v1/tickets/{ticket['id']}/transfer", json={"service_id": 2, "note": "Thiếu:\n\t- CCCD"},
                        headers=clerk)
    assert moved.status_code == 200 and moved.json["transfer_note"] == "Thiếu:\n\t- CCCD"


# --- the catalogue import ----------------------------------------------------------------------------

def import_csv(client, admin, text: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/admin/services/import", json={"csv": text}, headers=admin)


def test_a_catalogue_with_bare_carriage_returns_imports_line_by_line(client, callers, app) -> None:  # type: ignore[no-untyped-def]
    response = import_csv(client, callers["admin"], "code,name\rQH,Quốc tịch\rXK,Xuất khẩu\r")
    assert response.status_code == 200 and response.json == {"created": 2, "updated": 0}
    session = app.extensions["hangcho"].session_factory()
    assert session.scalar(select(Service.name).where(Service.code == "QH")) == "Quốc tịch"
    session.close()


def test_a_bad_line_after_a_bare_carriage_return_is_422_naming_the_line(client, callers) -> None:  # type: ignore[no-untyped-def]
    response = import_csv(client, callers["admin"], "code,name\r\nQH,Quốc tịch\rXK\r\n")
    assert response.status_code == 422
    assert response.json["fields"] == {"line 3.name": "bắt buộc nhập"}


def test_an_unreadable_catalogue_line_is_422_naming_the_line(client, callers) -> None:  # type: ignore[no-untyped-def]
    response = import_csv(client, callers["admin"], 'code,name\nQH,"' + "x" * 200_000 + '"\n')
    assert response.status_code == 422
    assert response.json["fields"] == {"line 2": "không đọc được dòng này theo định dạng CSV"}


def test_catalogue_numbers_beyond_the_database_range_are_422(client, callers) -> None:  # type: ignore[no-untyped-def]
    response = import_csv(client, callers["admin"], "code,name,end\nQH,Quốc tịch,99999999999\n")
    assert response.status_code == 422 and list(response.json["fields"]) == ["line 2"]


# --- strict types ------------------------------------------------------------------------------------

def finished_ticket(client, login) -> int:  # type: ignore[no-untyped-def]
    clerk = login("canbo1")
    ticket = client.post("/api/v1/tickets", json={"service_id": 1}, headers=KIOSK).json
    client.post("/api/v1/counters/1/call-next", headers=clerk)
    assert client.post(f"/api/v1/tickets/{ticket['id']}/finish", headers=clerk).status_code == 200
    return ticket["id"]


@pytest.mark.parametrize("score", [True, "5", 5.0, "một"])
def test_a_score_that_is_not_an_integer_is_refused(client, login, app, score) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import rating_terminal

    ticket_id = finished_ticket(client, login)
    response = client.post("/api/v1/ratings", json={"ticket_id": ticket_id, "score": score}, headers=rating_terminal(1))
    assert response.status_code == 422 and response.json["fields"] == {"score": "phải là số nguyên"}
    session = app.extensions["hangcho"].session_factory()
    assert session.scalar(select(func.count()).select_from(Rating)) == 0  # true was stored as 1 before
    session.close()
    assert client.post("/api/v1/ratings", json={"ticket_id": ticket_id, "score": 5},
                       headers=rating_terminal(1)).status_code == 201


def _wrong_type(schema: dict[str, Any], components: dict[str, Any]) -> tuple[Any, str] | None:
    """A value of the wrong JSON type for an integer or boolean property, and the expected problem."""
    options = schema.get("anyOf", [schema])
    types = {option.get("type") for option in options}
    if "integer" in types:
        return "1", "phải là số nguyên"
    if "boolean" in types:
        return 1, "phải là có hoặc không"
    return None


def test_every_integer_and_boolean_of_every_body_model_is_strict(app, client, callers) -> None:  # type: ignore[no-untyped-def]
    document = client.get("/api/v1/openapi.json").json
    components = document["components"]["schemas"]
    checked = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            reference = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if not reference:
                continue
            model = components[reference["$ref"].rsplit("/", 1)[1]]
            headers = caller_for(frozenset(operation["x-access"]) - {PUBLIC}, callers)
            for name, schema in model.get("properties", {}).items():
                wrong = _wrong_type(schema, components)
                if wrong is None:
                    continue
                value, problem = wrong
                url = "/api/v1" + re.sub(r"\{[^}]+\}", "1", path)
                response = client.open(url, method=method.upper(), json={name: value}, headers=headers)
                assert response.status_code == 422, (method, path, name, response.status_code)
                assert response.json["fields"].get(name) == problem, (method, path, name, response.json)
                checked += 1
    assert checked >= 30


def test_nested_settings_are_strict_too(client, callers) -> None:  # type: ignore[no-untyped-def]
    response = client.patch("/api/v1/admin/settings", json={"rating": {"window_s": "30"}, "voice": {"chime": 1}},
                            headers=callers["admin"])
    assert response.status_code == 422
    assert response.json["fields"] == {"rating.window_s": "phải là số nguyên", "voice.chime": "phải là có hoặc không"}
    kiosk = client.patch("/api/v1/admin/devices/1", json={"settings": {"printer": "true"}}, headers=callers["admin"])
    assert kiosk.status_code == 422 and kiosk.json["fields"] == {"settings.printer": "phải là có hoặc không"}


def test_dates_and_times_are_iso_text_not_numbers(client, callers) -> None:  # type: ignore[no-untyped-def]
    holiday = client.post("/api/v1/admin/holidays", json={"date": 0}, headers=callers["admin"])
    assert holiday.status_code == 422 and "date" in holiday.json["fields"]
    hours = client.put("/api/v1/admin/hours", json={"periods": [{"weekday": 0, "opens_at": 0, "closes_at": "17:00"}]},
                       headers=callers["admin"])
    assert hours.status_code == 422 and "periods.0.opens_at" in hours.json["fields"]
    report = client.get("/api/v1/reports/summary?to=0", headers=callers["supervisor"])
    assert report.status_code == 422 and "to" in report.json["fields"]


# --- Socket.IO ---------------------------------------------------------------------------------------

def test_socket_events_with_huge_ids_or_control_characters_are_refused(app) -> None:  # type: ignore[no-untyped-def]
    from server.realtime import socketio

    bridge = socketio.test_client(app, auth={"token": "demo-bridge-1"})
    assert bridge.is_connected()
    hello = bridge.emit("bridge_hello", {"devices": [f"printer:{2**63}", f"led:{2**31}", "led:1"]}, callback=True)
    assert hello["ok"] and hello["accepted"] == ["led:1"] and len(hello["rejected"]) == 2
    printed = bridge.emit("print_result", {"job_id": 2**63, "ok": True}, callback=True)
    assert printed["ok"] is False and printed["error"] == "validation_failed"
    pressed = bridge.emit("key_press", {"action": "call_next", "press_id": "p1", "counter_id": 2**63}, callback=True)
    assert pressed["ok"] is False and pressed["error"] == "validation_failed"
    status = bridge.emit("device_status", {"device": "led:1", "status": "error", "message": "hỏng\u0000"}, callback=True)
    assert status["ok"] is False and status["fields"] == {"message": CONTROL_VI}
    rated = bridge.emit("keypad_rating", {"counter_id": 2**63, "ticket_id": 2**63, "score": 5, "press_id": "k"},
                        callback=True)
    assert rated["ok"] is False and rated["error"] != "internal_error"
    bridge.disconnect()

    clerk_token = app.test_client().post("/api/v1/auth/login", json={"username": "canbo1", "password": "demo"}).json["token"]
    console = socketio.test_client(app, auth={"token": clerk_token})
    joined = console.emit("join_counter", {"counter_id": 2**63}, callback=True)
    assert joined["ok"] is False and joined["error"] == "forbidden"
    assert console.emit("join_counter", ["not", "a", "dict"], callback=True)["ok"] is False
    console.disconnect()
    refused = socketio.test_client(app, auth={"ticket_token": "abc\u0000"})
    assert not refused.is_connected()


def test_the_fields_own_bounds_hold_beside_the_database_range(client, callers) -> None:  # type: ignore[no-untyped-def]
    """The shared bounded types must not replace a field's narrower bounds (score 1–5, offset ≥ 0)."""
    for score, problem in ((0, "phải từ 1 trở lên"), (6, "không được quá 5")):
        response = client.post("/api/v1/ratings", json={"ticket_id": 1, "score": score})
        assert response.status_code == 422 and response.json["fields"] == {"score": problem}
    negative = client.get("/api/v1/admin/audit?offset=-1", headers=callers["admin"])  # PostgreSQL refuses OFFSET -1
    assert negative.status_code == 422 and negative.json["fields"] == {"offset": "phải từ 0 trở lên"}
    level = client.post("/api/v1/admin/priorities", json={"code": "x", "name": "X", "level": 10}, headers=callers["admin"])
    assert level.status_code == 422 and level.json["fields"] == {"level": "không được quá 9"}


def test_a_ranking_period_that_ends_before_it_starts_is_422(client, callers) -> None:  # type: ignore[no-untyped-def]
    """Found by the long fuzz run: this answered 500 (the summary already refused it)."""
    response = client.get("/api/v1/reports/ranking?from=2026-11-02&to=2026-11-01", headers=callers["supervisor"])
    assert response.status_code == 422 and response.json["error"] == "validation_failed"
    summary = client.get("/api/v1/reports/summary?from=2026-11-02&to=2026-11-01", headers=callers["supervisor"])
    assert response.json["message"] == summary.json["message"]


@pytest.mark.parametrize("query", ["to=0001-01-01", "from=9999-12-31", "from=1899-12-31&to=1900-01-01"])
def test_report_dates_outside_any_plausible_period_are_422(client, callers, query) -> None:  # type: ignore[no-untyped-def]
    """Found by the fuzzer: year 1 in Hà Nội's zone overflowed Python's dates (500)."""
    for path in ("/api/v1/reports/ranking", "/api/v1/reports/summary"):
        response = client.get(f"{path}?{query}", headers=callers["supervisor"])
        assert response.status_code == 422, (path, query, response.status_code)
