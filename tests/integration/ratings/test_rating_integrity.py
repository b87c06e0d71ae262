"""Ratings that can be trusted: every refusal of POST /api/v1/ratings, each recorded in rating_attempts.

Each test runs on SQLite and on PostgreSQL (the `client` fixture is parametrized over both).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from server.models import Rating, RatingAttempt, Site

KIOSK = {"Authorization": "Bearer demo-kiosk-1"}
TPHT = 1


def terminal(counter_id: int) -> dict[str, str]:
    return {"Authorization": f"Bearer demo-rating-{counter_id}"}


@dataclass
class Served:
    """A ticket served at a counter: its id, number and the token printed in its QR code."""

    id: int
    number: str
    token: str


@pytest.fixture
def clerk(login):  # type: ignore[no-untyped-def]
    """Bearer headers of canbo<N>, who works counter N in the demo."""
    cache: dict[int, dict[str, str]] = {}

    def headers(counter_number: int) -> dict[str, str]:
        if counter_number not in cache:
            cache[counter_number] = login(f"canbo{counter_number}")
        return cache[counter_number]

    return headers


@pytest.fixture
def serve(client, clerk):  # type: ignore[no-untyped-def]
    """`serve(counter, finish=True)`: issue a ticket at the kiosk, call it to the counter, finish it."""

    def run(counter_number: int = 1, finish: bool = True) -> Served:
        issued = client.post("/api/v1/tickets", json={"service_id": TPHT}, headers=KIOSK)
        assert issued.status_code == 201, issued.json
        token = issued.json["public_url"].rsplit("/", 1)[1]
        called = client.post(f"/api/v1/counters/{counter_number}/call-next", headers=clerk(counter_number))
        assert called.status_code == 200, called.json
        assert called.json["id"] == issued.json["id"], "the test expects an empty queue for this counter"
        if finish:
            finished = client.post(f"/api/v1/tickets/{issued.json['id']}/finish", headers=clerk(counter_number))
            assert finished.status_code == 200, finished.json
        return Served(issued.json["id"], issued.json["number"], token)

    return run


class Rows:
    """Reads rows in short transactions (SQLite's BEGIN IMMEDIATE would otherwise hold the write lock)."""

    def __init__(self, session_factory) -> None:  # type: ignore[no-untyped-def]
        self.session_factory = session_factory

    def all(self, statement) -> list:  # type: ignore[no-untyped-def]
        session = self.session_factory()
        try:
            return list(session.scalars(statement))
        finally:
            session.close()

    def one(self, statement):  # type: ignore[no-untyped-def]
        found = self.all(statement)
        assert len(found) == 1, found
        return found[0]


@pytest.fixture
def database(app) -> Rows:  # type: ignore[no-untyped-def]
    return Rows(app.extensions["hangcho"].session_factory)


def refused_attempts(database: Rows, error: str) -> list[RatingAttempt]:
    return database.all(select(RatingAttempt).where(RatingAttempt.error == error, RatingAttempt.accepted.is_(False)))


def ratings_of(database: Rows, ticket_id: int) -> int:
    return database.one(select(func.count(Rating.id)).where(Rating.ticket_id == ticket_id))


# --- accepted ratings ---------------------------------------------------------------------------

def test_the_counters_terminal_rates_the_ticket_just_finished_there(client, serve, database) -> None:  # type: ignore[no-untyped-def]
    served = serve(1)
    answer = client.post("/api/v1/ratings", json={"ticket_id": served.id, "score": 2, "reasons": ["cho_lau"]},
                         headers=terminal(1))
    assert answer.status_code == 201, answer.json
    assert answer.json["channel"] == "terminal" and answer.json["reasons"] == ["cho_lau"]
    rating = database.one(select(Rating).where(Rating.ticket_id == served.id))
    assert (rating.counter_id, rating.clerk_id, rating.score, rating.device_id) == (1, 1, 2, 3)


def test_a_phone_rates_with_the_tickets_token(client, serve) -> None:  # type: ignore[no-untyped-def]
    served = serve(1)
    answer = client.post("/api/v1/ratings", json={"token": served.token, "score": 5})
    assert answer.status_code == 201, answer.json
    assert answer.json["ticket_id"] == served.id and answer.json["channel"] == "phone"


# --- refusals: each one answered with its code and recorded -------------------------------------

def test_staff_credentials_cannot_rate(client, serve, clerk, login, database) -> None:  # type: ignore[no-untyped-def]
    served = serve(1)
    for headers in (clerk(1), login("giamsat"), login("admin")):
        answer = client.post("/api/v1/ratings", json={"ticket_id": served.id, "token": served.token, "score": 5},
                             headers=headers)
        assert answer.status_code == 403 and answer.json["error"] == "staff_cannot_rate"
        assert answer.json["message"].startswith("Tài khoản cán bộ không được đánh giá")
    attempts = refused_attempts(database, "staff_cannot_rate")
    assert len(attempts) == 3 and all(a.staff_id is not None and a.ticket_id == served.id for a in attempts)
    assert ratings_of(database, served.id) == 0


def test_a_staff_session_cookie_cannot_rate_either(client, serve, database) -> None:  # type: ignore[no-untyped-def]
    served = serve(1)
    assert client.post("/api/v1/auth/login", json={"username": "canbo1", "password": "demo"}).status_code == 200
    answer = client.post("/api/v1/ratings", json={"token": served.token, "score": 5})
    assert answer.status_code == 403 and answer.json["error"] == "staff_cannot_rate"
    assert len(refused_attempts(database, "staff_cannot_rate")) == 1


def test_a_ticket_not_yet_served_cannot_be_rated(client, serve, database) -> None:  # type: ignore[no-untyped-def]
    called = serve(1, finish=False)
    by_terminal = client.post("/api/v1/ratings", json={"ticket_id": called.id, "score": 5}, headers=terminal(1))
    by_phone = client.post("/api/v1/ratings", json={"token": called.token, "score": 5})
    for answer in (by_terminal, by_phone):
        assert answer.status_code == 409 and answer.json["error"] == "ticket_not_served"
    assert {a.channel for a in refused_attempts(database, "ticket_not_served")} == {"terminal", "phone"}
    assert ratings_of(database, called.id) == 0


def test_a_ticket_is_rated_only_once(client, serve, database) -> None:  # type: ignore[no-untyped-def]
    served = serve(1)
    assert client.post("/api/v1/ratings", json={"ticket_id": served.id, "score": 4}, headers=terminal(1)).status_code == 201
    again = client.post("/api/v1/ratings", json={"ticket_id": served.id, "score": 1}, headers=terminal(1))
    by_phone = client.post("/api/v1/ratings", json={"token": served.token, "score": 1})
    for answer in (again, by_phone):
        assert answer.status_code == 409 and answer.json["error"] == "already_rated"
    assert len(refused_attempts(database, "already_rated")) == 2
    assert ratings_of(database, served.id) == 1


def test_the_phone_token_is_single_use(client, serve, database) -> None:  # type: ignore[no-untyped-def]
    served = serve(1)
    assert client.post("/api/v1/ratings", json={"token": served.token, "score": 5}).status_code == 201
    reused = client.post("/api/v1/ratings", json={"token": served.token, "score": 5})
    assert reused.status_code == 409 and reused.json["error"] == "already_rated"
    assert ratings_of(database, served.id) == 1


def test_a_terminal_cannot_rate_another_counters_ticket(client, serve, database) -> None:  # type: ignore[no-untyped-def]
    served = serve(1)
    answer = client.post("/api/v1/ratings", json={"ticket_id": served.id, "score": 5}, headers=terminal(2))
    assert answer.status_code == 403 and answer.json["error"] == "not_this_counter"
    attempt, = refused_attempts(database, "not_this_counter")
    assert attempt.device_id == 4 and attempt.ticket_id == served.id and attempt.channel == "terminal"


def test_a_terminal_cannot_rate_after_its_window(client, serve, clock, database) -> None:  # type: ignore[no-untyped-def]
    served = serve(1)
    clock.advance(seconds=30)  # the default window is 30 s
    answer = client.post("/api/v1/ratings", json={"ticket_id": served.id, "score": 5}, headers=terminal(1))
    assert answer.status_code == 409 and answer.json["error"] == "rating_window_closed"
    assert len(refused_attempts(database, "rating_window_closed")) == 1


def test_a_terminal_rates_only_the_latest_ticket_finished_at_its_counter(client, serve, clock, database) -> None:  # type: ignore[no-untyped-def]
    earlier = serve(1)
    clock.advance(seconds=5)
    latest = serve(1)
    stale = client.post("/api/v1/ratings", json={"ticket_id": earlier.id, "score": 5}, headers=terminal(1))
    assert stale.status_code == 409 and stale.json["error"] == "rating_window_closed"
    assert client.post("/api/v1/ratings", json={"ticket_id": latest.id, "score": 5}, headers=terminal(1)).status_code == 201
    # The earlier citizen can still rate later with the QR code on the paper ticket.
    assert client.post("/api/v1/ratings", json={"token": earlier.token, "score": 3}).status_code == 201
    assert len(refused_attempts(database, "rating_window_closed")) == 1


def test_a_ticket_finished_by_calling_the_next_one_opens_its_own_window(client, serve, clerk) -> None:  # type: ignore[no-untyped-def]
    first = serve(1, finish=False)
    second = serve(1, finish=False)  # calling the next citizen finished the first one
    assert client.post("/api/v1/ratings", json={"ticket_id": first.id, "score": 4}, headers=terminal(1)).status_code == 201
    unserved = client.post("/api/v1/ratings", json={"ticket_id": second.id, "score": 4}, headers=terminal(1))
    assert unserved.json["error"] == "ticket_not_served"


@pytest.mark.parametrize("token", [pytest.param("not-a-real-token-at-all", id="unknown token"),
                                   pytest.param(None, id="ticket id without a token")])
def test_a_phone_needs_the_tickets_real_token(client, serve, token, database) -> None:  # type: ignore[no-untyped-def]
    served = serve(1)
    body = {"token": token, "score": 5} if token else {"ticket_id": served.id, "score": 5}
    answer = client.post("/api/v1/ratings", json=body)
    assert answer.status_code == 403 and answer.json["error"] == "invalid_rating_token"
    assert len(refused_attempts(database, "invalid_rating_token")) == 1
    assert ratings_of(database, served.id) == 0


def test_a_token_cannot_rate_a_different_ticket(client, serve, database) -> None:  # type: ignore[no-untyped-def]
    mine = serve(1)
    other = serve(1)
    answer = client.post("/api/v1/ratings", json={"token": mine.token, "ticket_id": other.id, "score": 1})
    assert answer.status_code == 403 and answer.json["error"] == "invalid_rating_token"
    assert ratings_of(database, other.id) == 0 and ratings_of(database, mine.id) == 0


def test_a_printed_token_stops_rating_after_the_phone_window(client, serve, clock, database) -> None:  # type: ignore[no-untyped-def]
    served = serve(1)
    clock.advance(hours=48, seconds=1)  # default phone_window_hours
    answer = client.post("/api/v1/ratings", json={"token": served.token, "score": 5})
    assert answer.status_code == 409 and answer.json["error"] == "rating_window_closed"
    assert answer.json["message"] == "Đã hết thời gian đánh giá lượt phục vụ này."
    assert ratings_of(database, served.id) == 0


def test_other_devices_cannot_rate(client, serve, database) -> None:  # type: ignore[no-untyped-def]
    served = serve(1)
    for key in ("demo-kiosk-1", "demo-display-1"):
        answer = client.post("/api/v1/ratings", json={"ticket_id": served.id, "score": 5},
                             headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 403 and answer.json["error"] == "forbidden"
    assert len(refused_attempts(database, "forbidden")) == 2


def test_unknown_reasons_are_refused(client, serve, database) -> None:  # type: ignore[no-untyped-def]
    served = serve(1)
    answer = client.post("/api/v1/ratings", json={"ticket_id": served.id, "score": 2, "reasons": ["made_up"]},
                         headers=terminal(1))
    assert answer.status_code == 422 and answer.json["error"] == "validation_failed"
    assert len(refused_attempts(database, "validation_failed")) == 1
    assert ratings_of(database, served.id) == 0


def test_rating_attempts_are_rate_limited_per_device(client, serve, database) -> None:  # type: ignore[no-untyped-def]
    served = serve(1)
    limit = 20  # RatingSettings.attempts_per_minute
    for _ in range(limit):
        answer = client.post("/api/v1/ratings", json={"ticket_id": served.id + 1000, "score": 5}, headers=terminal(1))
        assert answer.json["error"] == "ticket_not_found"
    blocked = client.post("/api/v1/ratings", json={"ticket_id": served.id, "score": 5}, headers=terminal(1))
    assert blocked.status_code == 429 and blocked.json["error"] == "rate_limited"
    assert len(refused_attempts(database, "rate_limited")) == 1
    # Another counter's terminal is not affected.
    other = serve(2)
    assert client.post("/api/v1/ratings", json={"ticket_id": other.id, "score": 5}, headers=terminal(2)).status_code == 201


def test_guessing_tokens_never_locks_out_a_citizen_on_the_same_address(client, serve) -> None:  # type: ignore[no-untyped-def]
    """Every phone on the centre's Wi-Fi shares one address: 25 wrong tokens from it, then a real citizen
    from the same address rates (issue "Hostile input": throttles that cannot be turned against users)."""
    served = serve(1)
    for attempt in range(25):
        answer = client.post("/api/v1/ratings", json={"token": f"{attempt:04d}-wrong-token-guess", "score": 5})
        assert answer.json["error"] == "invalid_rating_token"
    real = client.post("/api/v1/ratings", json={"token": served.token, "score": 5})
    assert real.status_code == 201, real.json


def test_guessing_one_token_pattern_is_rate_limited(client, serve, database) -> None:  # type: ignore[no-untyped-def]
    served = serve(1)
    limit = 20  # rating.attempts_per_minute
    answers = [client.post("/api/v1/ratings", json={"token": f"AbCd-guess-{attempt}", "score": 5}).json["error"]
               for attempt in range(limit + 2)]
    assert answers[:limit] == ["invalid_rating_token"] * limit
    assert answers[limit:] == ["rate_limited", "rate_limited"]
    # Other patterns, and real tokens, go on.
    assert client.post("/api/v1/ratings", json={"token": "zzzz-other", "score": 5}).json["error"] == "invalid_rating_token"
    assert client.post("/api/v1/ratings", json={"token": served.token, "score": 5}).status_code == 201


def test_one_ticket_token_is_limited_on_its_own(client, serve) -> None:  # type: ignore[no-untyped-def]
    served = serve(1, finish=False)  # called, not served: every attempt is refused as not served
    errors_seen = {client.post("/api/v1/ratings", json={"token": served.token, "score": 5}).json["error"]
                   for _ in range(21)}
    assert errors_seen == {"ticket_not_served", "rate_limited"}
    other = serve(2)
    assert client.post("/api/v1/ratings", json={"token": other.token, "score": 5}).status_code == 201


def test_a_refusal_links_the_attempt_to_its_site_and_ticket(client, serve, database) -> None:  # type: ignore[no-untyped-def]
    served = serve(1)
    client.post("/api/v1/ratings", json={"token": served.token, "score": 5})
    client.post("/api/v1/ratings", json={"token": served.token, "score": 5})
    attempts = database.all(select(RatingAttempt).where(RatingAttempt.ticket_id == served.id).order_by(RatingAttempt.id))
    site_id = database.one(select(Site.id))
    assert [(a.accepted, a.error, a.channel, a.site_id) for a in attempts] == [
        (True, "", "phone", site_id), (False, "already_rated", "phone", site_id)]


# --- the race: the database decides -------------------------------------------------------------

def test_two_concurrent_ratings_of_one_ticket_give_one_201_and_one_409(app, serve, database) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        served = serve(1)
        bodies = [({"ticket_id": served.id, "score": 5}, terminal(1)), ({"token": served.token, "score": 1}, {})]
        barrier = threading.Barrier(len(bodies))
        answers: list[tuple[int, str | None]] = []
        lock = threading.Lock()

        def rate(body: dict, headers: dict) -> None:
            client = app.test_client()
            barrier.wait(timeout=10)
            answer = client.post("/api/v1/ratings", json=body, headers=headers)
            with lock:
                answers.append((answer.status_code, (answer.json or {}).get("error")))

        threads = [threading.Thread(target=rate, args=pair) for pair in bodies]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(answers) == [(201, None), (409, "already_rated")]
        assert ratings_of(database, served.id) == 1
