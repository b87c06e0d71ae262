"""Cross-site requests (issue 11): a staff member's session cookie never acts for another site's page.

Every state-changing route the cookie can authenticate is walked from the URL map: a foreign origin
(another host, another port of the same host, `Sec-Fetch-Site: cross-site`) is refused, and so is the
cookie without the page's CSRF token; bearer tokens and device keys are not affected.
"""
from __future__ import annotations

import re

import pytest

from server.auth.access import PUBLIC, access_of
from tests.conftest import KIOSK

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
USERS = {"admin": "admin", "supervisor": "giamsat", "clerk": "canbo1"}
FORGERIES = (
    {"Origin": "http://evil.example"},
    {"Origin": "http://localhost:5001"},  # another port of the same host: the "same site" for SameSite=Lax
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # a sibling host
)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def cookie_client(app, role: str):  # type: ignore[no-untyped-def]
    """A browser-like client holding `role`'s session cookie (and no bearer token)."""
    client = app.test_client()
    answer = client.post("/api/v1/auth/login", json={"username": USERS[role], "password": "demo"})
    assert answer.status_code == 200
    return client


def csrf_token(client, page: str = "/") -> str:  # type: ignore[no-untyped-def]
    html = client.get(page).get_data(as_text=True)
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def cookie_routes(app):  # type: ignore[no-untyped-def]
    """(path, method, role) for every unsafe route a staff cookie could act on."""
    for rule in app.url_map.iter_rules():
        access = access_of(app.view_functions[rule.endpoint]) or frozenset()
        role = next((role for role in USERS if role in access), None)
        if role is None or PUBLIC in access:
            continue
        for method in sorted((rule.methods or set()) & set(UNSAFE)):
            yield re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule), method, role


@pytest.fixture
def cookies(app):  # type: ignore[no-untyped-def]
    return {role: cookie_client(app, role) for role in USERS}


def test_a_foreign_origin_with_the_staff_cookie_is_refused_on_every_state_changing_route(app, cookies) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for path, method, role in cookie_routes(app):
        token = csrf_token(cookies[role])  # even with the page's token, another origin is refused
        for forged in FORGERIES:
            response = cookies[role].open(path, method=method, data="", headers={**FORM, **forged, "X-CSRFToken": token})
            assert response.status_code == 403, (method, path, role, forged, response.status_code)
            assert response.json["error"] == "cross_site_request", (method, path)
        checked += 1
    assert checked >= 30  # counters, tickets, alerts, notice, every admin change, log-out


def test_the_staff_cookie_without_the_pages_csrf_token_is_refused_on_every_state_changing_route(app, cookies) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for path, method, role in cookie_routes(app):
        response = cookies[role].open(path, method=method, data="", headers=FORM)
        assert response.status_code == 403, (method, path, role, response.status_code)
        assert response.json["error"] == "csrf_failed"
        assert response.json["message"] == "Trang này đã hết hạn. Vui lòng tải lại trang và thử lại."
        checked += 1
    assert checked >= 30


def test_the_issues_forgeries_change_nothing(app, cookies, client, login) -> None:  # type: ignore[no-untyped-def]
    evil = {**FORM, "Origin": "http://evil.example"}
    reset = cookies["admin"].post("/api/v1/admin/staff/2/reset-password", headers=evil)
    assert reset.status_code == 403 and "password" not in reset.get_data(as_text=True)
    assert cookies["admin"].post("/api/v1/admin/devices/1/revoke", headers=evil).status_code == 403
    assert cookies["admin"].post("/api/v1/admin/devices/1/rotate-key", headers=evil).status_code == 403
    assert client.post("/api/v1/tickets", json={"service_id": 1}, headers=KIOSK).status_code == 201  # key still works
    for username in ("admin", "giamsat", "canbo1", "canbo2"):  # no password was reset
        assert client.post("/api/v1/auth/login", json={"username": username, "password": "demo"}).status_code == 200
    assert cookies["supervisor"].post("/api/v1/counters/2/close", headers=evil).status_code == 403
    assert cookies["clerk"].post("/api/v1/counters/1/call-next", headers=evil).status_code == 403
    assert cookies["clerk"].post("/api/v1/counters/1/close", headers=evil).status_code == 403
    counters = {c["id"]: c for c in client.get("/api/v1/counters", headers=login("giamsat")).json}
    assert counters[1]["status"] == counters[2]["status"] == "open"
    assert [c["waiting"] for c in client.get("/api/v1/services").json if c["id"] == 1] == [1]  # nobody was called


def test_the_pages_own_requests_with_the_cookie_and_token_go_through(app, cookies, client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/tickets", json={"service_id": 1}, headers=KIOSK).status_code == 201
    supervisor = cookies["supervisor"]
    token = csrf_token(supervisor, "/dashboard")
    same_origin = {"Origin": "http://localhost", "X-CSRFToken": token}
    notice = supervisor.put("/api/v1/notice", json={"notice": "Giờ nghỉ trưa 11:30"}, headers=same_origin)
    assert notice.status_code == 200
    fetch = supervisor.post("/api/v1/counters/1/call-next", headers={"Sec-Fetch-Site": "same-origin", "X-CSRFToken": token})
    assert fetch.status_code == 200 and fetch.json["number"] == "1001"
    configured = supervisor.post("/api/v1/auth/logout", headers={"Origin": "http://hangcho.test", "X-CSRFToken": token})
    assert configured.status_code == 200  # HANGCHO_PUBLIC_BASE_URL's origin is ours too


def test_bearer_tokens_and_device_keys_are_not_affected(client, login) -> None:  # type: ignore[no-untyped-def]
    foreign = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert client.post("/api/v1/tickets", json={"service_id": 1}, headers={**KIOSK, **foreign}).status_code == 201
    device_key = client.post("/api/v1/tickets", json={"service_id": 1}, headers={"X-Device-Key": "demo-kiosk-1", **foreign})
    assert device_key.status_code == 201
    clerk = login("canbo1")
    assert client.post("/api/v1/counters/1/call-next", headers={**clerk, **foreign}).status_code == 200


def test_log_in_from_a_foreign_page_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    api = client.post("/api/v1/auth/login", json={"username": "admin", "password": "demo"},
                      headers={"Origin": "http://evil.example"})
    assert api.status_code == 403 and api.json["error"] == "cross_site_request"
    form = client.post("/login", data={"username": "admin", "password": "demo", "next": "/admin"},
                       headers={"Origin": "http://evil.example"})
    assert form.status_code == 403
    assert client.get("/api/v1/auth/me").status_code == 401  # no session was set


def test_the_log_in_form_needs_its_csrf_token(client) -> None:  # type: ignore[no-untyped-def]
    refused = client.post("/login", data={"username": "admin", "password": "demo", "next": "/admin"})
    assert refused.status_code == 403
    page = client.get("/login?next=/admin").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    accepted = client.post("/login", data={"username": "admin", "password": "demo", "next": "/admin", "csrf_token": token})
    assert accepted.status_code == 303 and accepted.headers["Location"] == "/admin"
    assert client.get("/api/v1/auth/me").json["role"] == "admin"  # the session cookie
