"""The HTTP API of CONTRACT.md on both databases: access on every route, bad input, error shape, OpenAPI."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from server.auth.access import PUBLIC, access_of
from server.models import DailySequence, Event, Ticket
from tests.conftest import DISPLAY, KIOSK, rating_terminal

VIETNAMESE_LETTERS = re.compile(r"[ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ]", re.I)
STAFF = ("admin", "supervisor", "clerk", "inspector", "leader")
DEVICES = ("kiosk", "display", "rating_terminal", "bridge")


@pytest.fixture
def credentials(login) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """Headers for one caller of each principal."""
    users = {"admin": "admin", "supervisor": "giamsat", "clerk": "canbo1", "inspector": "thanhtra", "leader": "lanhdao"}
    headers = {role: login(username) for role, username in users.items()}
    headers.update({"device:kiosk": KIOSK, "device:display": DISPLAY, "device:rating_terminal": rating_terminal(1),
                    "device:bridge": {"Authorization": "Bearer demo-bridge-1"}})
    return headers


def routes(app):  # type: ignore[no-untyped-def]
    """Every (path, method, declared access) of the app's URL map, path parameters filled in."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        view = app.view_functions[rule.endpoint]
        path = re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield path, method, access_of(view), rule.endpoint


def test_every_route_declares_who_may_call_it(app) -> None:  # type: ignore[no-untyped-def]
    undeclared = [endpoint for _, _, access, endpoint in routes(app) if access is None]
    assert undeclared == []


def test_every_non_public_route_refuses_an_anonymous_caller(app, client) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for path, method, access, endpoint in routes(app):
        if PUBLIC in access:
            continue
        response = client.open(path, method=method, json={})
        assert response.status_code == 401, (endpoint, method, response.status_code)
        checked += 1
    assert checked >= 15  # the walk really covered the API


def test_every_non_public_route_refuses_a_caller_of_the_wrong_role(app, client, credentials) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for path, method, access, endpoint in routes(app):
        if PUBLIC in access:
            continue
        for principal, headers in credentials.items():
            if principal in access:
                continue
            response = client.open(path, method=method, json={}, headers=headers)
            assert response.status_code == 403, (endpoint, method, principal, response.status_code)
            checked += 1
    assert checked >= 50


def test_a_revoked_device_key_is_refused(app, client) -> None:  # type: ignore[no-untyped-def]
    from server.models import Device

    session = app.extensions["hangcho"].session_factory()
    session.get(Device, 1).revoked_at = app.extensions["hangcho"].clock.now()
    session.commit()
    session.close()
    assert client.post("/api/v1/tickets", json={"service_id": 1}, headers=KIOSK).status_code == 401


# --- the contract's shapes --------------------------------------------------------------------------

def test_health(client) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/health").json
    assert body["status"] == "ok" and body["database"] == "ok" and body["version"]


def test_services_lists_fields_with_waiting_counts(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/v1/tickets", json={"service_id": 3}, headers=KIOSK)
    services = client.get("/api/v1/services").json
    assert {"id", "code", "name", "waiting", "active"} <= set(services[0])
    assert [s["waiting"] for s in services if s["id"] == 3] == [1]
    assert services[0]["name"] == "Tư pháp – Hộ tịch"


def test_issue_ticket_answers_as_the_contract_says(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/tickets", json={"service_id": 1, "priority": None}, headers=KIOSK)
    assert response.status_code == 201
    body = response.json
    assert {"id", "number", "service_id", "status", "issued_at", "ahead", "estimated_wait_s", "public_url"} <= set(body)
    assert body["number"] == "1001" and body["status"] == "waiting" and body["issued_at"].endswith("+00:00")
    public = client.get("/api/v1/public/tickets/" + body["public_url"].rsplit("/", 1)[1]).json
    assert public["number"] == "1001" and public["status"] == "waiting"


def test_clerk_walks_a_ticket_through_its_life(client, login) -> None:  # type: ignore[no-untyped-def]
    clerk = login("canbo1")
    ticket = client.post("/api/v1/tickets", json={"service_id": 1}, headers=KIOSK).json
    called = client.post("/api/v1/counters/1/call-next", headers=clerk)
    assert called.status_code == 200 and called.json["id"] == ticket["id"] and called.json["counter_number"] == 1
    assert client.post(f"/api/v1/tickets/{ticket['id']}/start", headers=clerk).json["status"] == "serving"
    assert client.post(f"/api/v1/tickets/{ticket['id']}/finish", headers=clerk).json["status"] == "done"
    refused = client.post(f"/api/v1/tickets/{ticket['id']}/skip", headers=clerk)
    assert refused.status_code == 409 and refused.json["error"] == "invalid_transition"
    history = client.get(f"/api/v1/tickets/{ticket['id']}", headers=clerk).json["history"]
    assert [h["type"] for h in history] == ["ticket_issued", "ticket_called", "ticket_started", "ticket_finished"]
    nothing = client.post("/api/v1/counters/1/call-next", headers=clerk)
    assert nothing.status_code == 404 and nothing.json["error"] == "no_ticket_waiting"


def test_second_rating_is_refused_and_a_bad_token_is_403(client, login) -> None:  # type: ignore[no-untyped-def]
    clerk = login("canbo1")
    ticket = client.post("/api/v1/tickets", json={"service_id": 1}, headers=KIOSK).json
    client.post("/api/v1/counters/1/call-next", headers=clerk)
    client.post(f"/api/v1/tickets/{ticket['id']}/finish", headers=clerk)
    first = client.post("/api/v1/ratings", json={"ticket_id": ticket["id"], "score": 5}, headers=rating_terminal(1))
    assert first.status_code == 201
    again = client.post("/api/v1/ratings", json={"ticket_id": ticket["id"], "score": 1}, headers=rating_terminal(1))
    assert again.status_code == 409 and again.json["error"] == "already_rated"
    bad = client.post("/api/v1/ratings", json={"token": "not-a-token", "score": 5})
    assert bad.status_code == 403


def test_login_gives_a_session_and_a_bearer_token_and_logout_revokes_it(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/login", json={"username": "giamsat", "password": "demo"})
    assert response.status_code == 200
    assert response.json["user"] == {**response.json["user"], "username": "giamsat", "role": "supervisor"}
    assert client.get("/api/v1/auth/me").json["role"] == "supervisor"  # the session cookie
    client.delete_cookie("session")
    bearer = {"Authorization": "Bearer " + response.json["token"]}
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=bearer).status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401


def test_wrong_password_is_401_in_vietnamese(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/login", json={"username": "admin", "password": "admin"})
    assert response.status_code == 401
    assert response.json == {"error": "invalid_credentials", "message": "Sai tên đăng nhập hoặc mật khẩu."}


# --- bad input: a clear 4xx in Vietnamese, and nothing written ------------------------------------

def counts(app) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    session = app.extensions["hangcho"].session_factory()
    try:
        return tuple(session.scalar(select(func.count()).select_from(model)) or 0 for model in (Ticket, Event, DailySequence))  # type: ignore[return-value]
    finally:
        session.close()


def close_today(app) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from server.administration import set_working_hours

    session = app.extensions["hangcho"].session_factory()
    set_working_hours(session, 1, [(2, dt.time(13, 30), dt.time(17, 0))], app.extensions["hangcho"].clock.now())
    session.commit()
    session.close()


def limit_quota(app) -> None:  # type: ignore[no-untyped-def]
    from server.models import Service

    session = app.extensions["hangcho"].session_factory()
    session.get(Service, 1).daily_quota = 1
    session.commit()
    session.close()


@pytest.mark.parametrize(
    ("case", "prepare", "body", "raw", "status", "code"),
    [
        ("unknown field", None, {"service_id": 99}, None, 404, "service_not_found"),
        ("malformed JSON", None, None, b'{"service_id": 1', 400, "bad_request"),
        ("not JSON", None, None, b"service_id=1", 400, "bad_request"),
        ("wrong type", None, {"service_id": "một"}, None, 422, "validation_failed"),
        ("unknown key", None, {"service_id": 1, "vip": True}, None, 422, "validation_failed"),
        ("unknown priority", None, {"service_id": 1, "priority": "vip"}, None, 422, "unknown_priority"),
        ("closed hours", close_today, {"service_id": 1}, None, 409, "issuing_closed"),
    ],
)
def test_bad_issue_requests_get_a_4xx_and_write_nothing(app, client, case, prepare, body, raw, status, code) -> None:  # type: ignore[no-untyped-def]
    if prepare:
        prepare(app)
    before = counts(app)
    if raw is not None:
        content_type = "application/json" if raw.startswith(b"{") else "application/x-www-form-urlencoded"
        response = client.post("/api/v1/tickets", data=raw, headers={**KIOSK, "Content-Type": content_type})
    else:
        response = client.post("/api/v1/tickets", json=body, headers=KIOSK)
    assert response.status_code == status, case
    assert response.json["error"] == code
    assert VIETNAMESE_LETTERS.search(response.json["message"]), response.json["message"]
    assert counts(app) == before


def test_daily_quota_reached_gets_409_and_writes_nothing(app, client) -> None:  # type: ignore[no-untyped-def]
    limit_quota(app)
    assert client.post("/api/v1/tickets", json={"service_id": 1}, headers=KIOSK).status_code == 201
    before = counts(app)
    response = client.post("/api/v1/tickets", json={"service_id": 1}, headers=KIOSK)
    assert response.status_code == 409 and response.json["error"] == "quota_reached"
    assert "Tư pháp – Hộ tịch" in response.json["message"]
    assert counts(app) == before


def test_validation_problems_name_each_field_in_vietnamese(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/tickets", json={"service_id": "một", "vip": True}, headers=KIOSK)
    assert response.status_code == 422
    assert response.json["fields"] == {"service_id": "phải là số nguyên", "vip": "không phải trường được chấp nhận"}
    assert response.json["message"].startswith("Vui lòng kiểm tra lại: Lĩnh vực: phải là số nguyên")


def test_english_messages_on_request(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/tickets?lang=en", json={"service_id": 99}, headers=KIOSK)
    assert response.json["message"] == "This field (lĩnh vực) does not exist or is not offered."


def test_no_route_answers_500_to_garbage(app, client, credentials) -> None:  # type: ignore[no-untyped-def]
    garbage = [b"\xff\xfe", b"[]", b'{"score": 99}', b"null", b'{"service_id": -1, "counter_id": "x"}']
    for path, method, access, endpoint in routes(app):
        if method not in ("POST", "PUT", "PATCH", "DELETE") or endpoint == "api.logout":
            continue
        headers = {"Content-Type": "application/json"}
        allowed = sorted(access - {PUBLIC})
        if allowed:
            headers.update(credentials[allowed[0]])
        for body in garbage:
            response = client.open(path, method=method, data=body, headers=headers)
            assert response.status_code < 500, (endpoint, body, response.status_code, response.data[:200])
            if response.status_code >= 400 and path.startswith("/api/"):
                assert response.is_json and {"error", "message"} <= set(response.json), endpoint


def test_unknown_api_path_and_wrong_method_use_the_error_shape(client) -> None:  # type: ignore[no-untyped-def]
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json["error"] == "not_found"
    wrong = client.get("/api/v1/tickets")
    assert wrong.status_code == 405 and wrong.json["error"] == "method_not_allowed"


# --- OpenAPI ---------------------------------------------------------------------------------------

def test_openapi_document_is_valid_and_covers_every_api_route(app, client) -> None:  # type: ignore[no-untyped-def]
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").json
    validate(document)
    documented = {(path, method) for path, operations in document["paths"].items() for method in operations}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented
    issue = document["paths"]["/tickets"]["post"]
    assert issue["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("IssueTicketBody")
    assert "device:kiosk" in issue["x-access"]
