"""Redirects stay on the site, and every answer says how it may be cached and what the page may load."""
from __future__ import annotations

import re

import pytest

from server.headers import CONTENT_SECURITY_POLICY
from server.settings import PROJECT_ROOT

OFF_SITE = [
    "/\t/evil.example/",  # the issue's /%09/evil.example/: Location was //evil.example/
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "https://evil.example/",
    "evil.example",
    "/\n/evil.example",
    "/\u3000/evil.example",
    "",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_language_switch_never_leaves_the_site(client, target) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/language/vi", query_string={"next": target})
    assert response.status_code in (302, 422)
    if response.status_code == 302:
        assert response.headers["Location"] == "/"


def test_the_issues_open_redirect_is_closed(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/language/vi?next=/%09/evil.example/")
    assert response.headers["Location"] == "/"


def test_the_language_switch_goes_back_to_a_local_page(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/language/en?next=/dashboard/reports%3Ffrom%3D2026-11-01")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard/reports?from=2026-11-01"


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_log_in_form_never_sends_anyone_off_the_site(client, target) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login", query_string={"next": target}).get_data(as_text=True)
    assert 'name="next" value="/"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = client.post("/login", data={"username": "admin", "password": "demo", "next": target, "csrf_token": token})
    if answer.status_code == 303:
        assert answer.headers["Location"] == "/"
    else:
        assert answer.status_code == 422  # control characters are refused before anything else


def test_the_log_in_form_goes_back_to_the_page_asked_for(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/counter").get_data(as_text=True)  # the log-in page answered in place of the console
    assert 'name="next" value="/counter"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = client.post("/login", data={"username": "canbo1", "password": "demo", "next": "/counter", "csrf_token": token})
    assert answer.status_code == 303 and answer.headers["Location"] == "/counter"
    assert client.get("/counter").status_code == 200


def test_a_wrong_password_on_the_log_in_page_is_said_in_vietnamese(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    answer = client.post("/login", data={"username": "admin", "password": "sai", "csrf_token": token})
    assert answer.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in answer.get_data(as_text=True)


# --- headers ---------------------------------------------------------------------------------------

def test_pages_and_api_answers_carry_a_csp_and_no_store(client, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    for path, headers in (("/kiosk", {}), ("/display/hall", {}), ("/rating/1", {}), ("/login", {}),
                          ("/api/v1/services", {}), ("/api/v1/admin/staff", admin), ("/api/v1/nothing", {}),
                          ("/dashboard", admin), ("/admin", admin), ("/counter", admin)):
        response = client.get(path, headers=headers)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert response.headers["Cache-Control"] == "no-store", path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    policy = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert policy["script-src"] == "'self'" and "unsafe" not in CONTENT_SECURITY_POLICY


def test_static_files_keep_their_caching(client) -> None:  # type: ignore[no-untyped-def]
    script = client.get("/static/js/hangcho-live.js")
    assert script.status_code == 200 and script.headers["Cache-Control"] != "no-store"
    vendor = client.get("/vendor/socket.io-client/dist/socket.io.min.js")
    assert "max-age" in vendor.headers["Cache-Control"]


def test_the_session_cookie_is_not_secure_over_plain_http(app) -> None:  # type: ignore[no-untyped-def]
    assert app.config["SESSION_COOKIE_SECURE"] is False  # http://hangcho.test in the test settings
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_no_template_holds_an_inline_script_or_event_handler() -> None:
    inline = re.compile(r"<script(?![^>]*\b(?:src|type=\"application/json\"))[^>]*>|\son[a-z]+\s*=|javascript:", re.I)
    offenders = [f"{path.relative_to(PROJECT_ROOT)}: {match.group(0)}"
                 for package in ("server", "kiosk", "display")
                 for path in (PROJECT_ROOT / package).rglob("*.html")
                 for match in inline.finditer(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_405_answers_say_which_methods_are_allowed(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/tickets")
    assert response.status_code == 405 and response.json["error"] == "method_not_allowed"
    assert set(response.headers["Allow"].split(", ")) >= {"POST"}
