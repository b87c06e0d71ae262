"""Throttles that cannot be turned against users (issue 11): log-in guessing is slowed without letting a
third party lock a named account out, and proxy headers count only from a configured trusted proxy."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server import create_app
from server.auth import throttle
from server.models import RatingAttempt
from server.settings import load_settings

WRONG = {"username": "canbo1", "password": "sai-mat-khau"}
RIGHT = {"username": "canbo1", "password": "demo"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock_s(monkeypatch):  # type: ignore[no-untyped-def]
    """A fresh throttle on a clock the test moves by hand."""
    fake = FakeClock()
    monkeypatch.setattr(throttle, "login_throttle", throttle.LoginThrottle(clock=fake))
    return fake


def attempt(client, body, address: str = "198.51.100.20", **headers: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/auth/login", json=body, headers=headers, environ_base={"REMOTE_ADDR": address})


def test_guessing_is_slowed_with_a_doubling_delay(client, clock_s) -> None:  # type: ignore[no-untyped-def]
    for _ in range(throttle.FREE_FAILURES):
        assert attempt(client, WRONG).status_code == 401
    delays = []
    for _ in range(4):
        refused = attempt(client, WRONG)
        assert refused.status_code == 429 and refused.json["error"] == "too_many_attempts"
        assert refused.json["message"].startswith("Đăng nhập sai quá nhiều lần. Vui lòng chờ")
        delays.append(int(refused.headers["Retry-After"]))
        clock_s.now += delays[-1]
        assert attempt(client, WRONG).status_code == 401  # one more guess after the wait
    assert delays == [1, 2, 4, 8]  # each wrong guess doubles the wait


def test_the_issues_lock_out_no_longer_locks_the_real_user_out(app, clock_s) -> None:  # type: ignore[no-untyped-def]
    """Everyone on the centre's Wi-Fi (or behind nginx without trusted proxies) shares one address."""
    shared = "192.0.2.10"
    clerk_browser = app.test_client()
    assert attempt(clerk_browser, RIGHT, shared).status_code == 200  # yesterday, at the counter PC
    attacker = app.test_client()
    answers = [attempt(attacker, WRONG, shared).status_code for _ in range(25)]
    assert answers.count(401) == throttle.FREE_FAILURES and answers.count(429) == 25 - throttle.FREE_FAILURES
    assert attempt(clerk_browser, RIGHT, shared).status_code == 200  # the clerk logs in as usual
    assert attempt(app.test_client(), RIGHT, "203.0.113.5").status_code == 200  # and from any other address
    assert attempt(attacker, WRONG, shared).status_code == 429  # while the guesser still waits


def test_a_guesser_cannot_exhaust_the_known_browsers_budget(app, clock_s) -> None:  # type: ignore[no-untyped-def]
    clerk_browser = app.test_client()
    assert attempt(clerk_browser, RIGHT).status_code == 200
    forged = app.test_client()
    forged.set_cookie(throttle.DEVICE_COOKIE, "forged-value")  # an unsigned cookie is no known browser
    for _ in range(throttle.FREE_FAILURES + 3):
        attempt(forged, WRONG)
    assert attempt(clerk_browser, RIGHT).status_code == 200


def test_the_global_guard_stops_guessing_spread_over_many_addresses(app, clock_s, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(throttle, "GLOBAL_FAILURES", 6)
    clerk_browser = app.test_client()
    assert attempt(clerk_browser, RIGHT).status_code == 200
    spread = app.test_client()
    answers = [attempt(spread, {"username": f"user{index}", "password": "x"}, f"203.0.113.{index}").status_code
               for index in range(10)]
    assert answers == [401] * 6 + [429] * 4
    assert attempt(clerk_browser, RIGHT).status_code == 200  # a known browser is not stopped
    clock_s.now += throttle.GLOBAL_WINDOW_S + 1
    assert attempt(spread, {"username": "user99", "password": "x"}, "203.0.113.99").status_code == 401


def test_the_log_in_page_shows_the_wait(client, clock_s) -> None:  # type: ignore[no-untyped-def]
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {**WRONG, "csrf_token": token, "next": "/counter"}
    for _ in range(throttle.FREE_FAILURES):
        assert client.post("/login", data=form).status_code == 401
    refused = client.post("/login", data=form)
    assert refused.status_code == 429
    assert "Vui lòng chờ 1 giây rồi thử lại." in refused.get_data(as_text=True)


# --- trusted proxies --------------------------------------------------------------------------------------

@pytest.fixture
def proxied_app(database_url, clock, demo):  # type: ignore[no-untyped-def]
    """The app behind nginx at 10.0.0.2 (trusted), with a load balancer at 10.0.0.1 in front of it."""
    settings = load_settings(database_url=database_url, secret_key="test-secret", scheduler=False,
                             public_base_url="https://hangcho.test", trusted_proxies="10.0.0.1, 10.0.0.2/32")
    application = create_app(settings, clock=clock)
    yield application
    application.extensions["hangcho"].engine.dispose()


def rating_addresses(app) -> list[str]:  # type: ignore[no-untyped-def]
    session = app.extensions["hangcho"].session_factory()
    try:
        return list(session.scalars(select(RatingAttempt.remote_addr).order_by(RatingAttempt.id)))
    finally:
        session.close()


def bad_rating(client, peer: str, forwarded: str | None):  # type: ignore[no-untyped-def]
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/api/v1/ratings", json={"token": "doan-bua", "score": 1}, headers=headers,
                       environ_base={"REMOTE_ADDR": peer})


def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(proxied_app) -> None:  # type: ignore[no-untyped-def]
    client = proxied_app.test_client()
    assert bad_rating(client, "198.51.100.7", "203.0.113.99").status_code == 403
    assert rating_addresses(proxied_app) == ["198.51.100.7"]


def test_x_forwarded_for_is_honoured_from_a_trusted_proxy(proxied_app) -> None:  # type: ignore[no-untyped-def]
    client = proxied_app.test_client()
    bad_rating(client, "10.0.0.2", "203.0.113.99")
    bad_rating(client, "10.0.0.2", "203.0.113.50, 10.0.0.1")  # the load balancer added itself: skipped too
    bad_rating(client, "10.0.0.2", "6.6.6.6, 203.0.113.51")  # whatever the client claimed before is not ours
    assert rating_addresses(proxied_app) == ["203.0.113.99", "203.0.113.50", "203.0.113.51"]


def test_rotating_x_forwarded_for_does_not_escape_the_log_in_throttle(app, clock_s) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    answers = [attempt(client, WRONG, "198.51.100.7", **{"X-Forwarded-For": f"203.0.113.{index}"}).status_code
               for index in range(throttle.FREE_FAILURES + 2)]
    assert answers[-2:] == [429, 429]


def test_a_trusted_proxy_gives_each_client_its_own_log_in_throttle(proxied_app, clock_s) -> None:  # type: ignore[no-untyped-def]
    client = proxied_app.test_client()
    for _ in range(throttle.FREE_FAILURES + 1):
        attempt(client, WRONG, "10.0.0.2", **{"X-Forwarded-For": "203.0.113.66"})
    assert attempt(client, WRONG, "10.0.0.2", **{"X-Forwarded-For": "203.0.113.66"}).status_code == 429
    other = proxied_app.test_client()
    assert attempt(other, RIGHT, "10.0.0.2", **{"X-Forwarded-For": "203.0.113.67"}).status_code == 200


def test_behind_https_the_cookies_are_secure(proxied_app) -> None:  # type: ignore[no-untyped-def]
    client = proxied_app.test_client()
    answer = client.post("/api/v1/auth/login", json=RIGHT, headers={"X-Forwarded-For": "203.0.113.8",
                                                                      "X-Forwarded-Proto": "https"},
                         environ_base={"REMOTE_ADDR": "10.0.0.2"})
    cookies = answer.headers.getlist("Set-Cookie")
    assert any(cookie.startswith("session=") and "Secure" in cookie and "HttpOnly" in cookie for cookie in cookies)
    assert any(cookie.startswith(throttle.DEVICE_COOKIE) and "Secure" in cookie and "SameSite=Strict" in cookie
               for cookie in cookies)
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    language = client.get("/language/en?next=/", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert "Secure" in language.headers["Set-Cookie"]
