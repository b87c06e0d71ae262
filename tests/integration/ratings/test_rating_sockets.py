"""Who hears about ratings over Socket.IO, and keypad ratings through the bridge events.

`rating_received` goes to dashboard rooms only: the clerk's console (site and counter rooms), the
counter's rating terminal, displays and the bridge never receive it. Runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server.models import Rating, RatingAttempt
from server.realtime import socketio

KIOSK = {"Authorization": "Bearer demo-kiosk-1"}
TPHT = 1


@pytest.fixture
def sockets(app):  # type: ignore[no-untyped-def]
    """`sockets(token)` → a connected Socket.IO test client (disconnected after the test)."""
    clients = []

    def connect(token: str):  # type: ignore[no-untyped-def]
        client = socketio.test_client(app, auth={"token": token})
        assert client.is_connected()
        clients.append(client)
        return client

    yield connect
    for client in clients:
        if client.is_connected():
            client.disconnect()


def names(client) -> list[str]:  # type: ignore[no-untyped-def]
    return [message["name"] for message in client.get_received()]


def rows(app, statement) -> list:  # type: ignore[no-untyped-def]
    session = app.extensions["hangcho"].session_factory()
    try:
        return list(session.scalars(statement))
    finally:
        session.close()


def serve_ticket(client, clerk_headers) -> dict:  # type: ignore[no-untyped-def]
    issued = client.post("/api/v1/tickets", json={"service_id": TPHT}, headers=KIOSK).json
    assert client.post("/api/v1/counters/1/call-next", headers=clerk_headers).json["id"] == issued["id"]
    assert client.post(f"/api/v1/tickets/{issued['id']}/finish", headers=clerk_headers).status_code == 200
    return issued


def test_rating_received_reaches_dashboards_and_never_the_clerk(app, client, login, sockets) -> None:  # type: ignore[no-untyped-def]
    clerk_headers = login("canbo1")
    clerk_token = clerk_headers["Authorization"].split()[1]
    supervisor = sockets(login("giamsat")["Authorization"].split()[1])
    console = sockets(clerk_token)
    assert console.emit("join_counter", {"counter_id": 1}, callback=True)["ok"] is True
    terminal = sockets("demo-rating-1")
    display = sockets("demo-display-1")
    for client_ in (supervisor, console, terminal, display):
        client_.get_received()  # drop the snapshots

    issued = serve_ticket(client, clerk_headers)
    requested = [m["args"][0] for m in terminal.get_received() if m["name"] == "rating_requested"]
    assert [r["ticket_id"] for r in requested] == [issued["id"]]
    answer = client.post("/api/v1/ratings", json={"ticket_id": issued["id"], "score": 2, "reasons": ["thai_do"]},
                         headers={"Authorization": "Bearer demo-rating-1"})
    assert answer.status_code == 201

    received = [m["args"][0] for m in supervisor.get_received() if m["name"] == "rating_received"]
    assert [(r["ticket_id"], r["score"], r["reasons"], r["channel"], r["clerk_id"]) for r in received] == [
        (issued["id"], 2, ["thai_do"], "terminal", 1)]
    console_events = console.get_received()
    # The console does hear the service itself (so the silence below means something)…
    assert {"ticket_called", "ticket_finished"} <= {m["name"] for m in console_events}
    # …but never the rating.
    assert "rating_received" not in [m["name"] for m in console_events]
    # Nothing the console receives carries the score or the reasons.
    assert not any("score" in m["args"][0] or "reasons" in m["args"][0] for m in console_events if m["args"])
    terminal_events = names(terminal)
    assert "rating_closed" in terminal_events and "rating_received" not in terminal_events
    assert "rating_received" not in names(display)


def test_a_bridge_rates_only_for_the_keypads_it_announced(app, client, login, sockets) -> None:  # type: ignore[no-untyped-def]
    clerk_headers = login("canbo1")
    bridge = sockets("demo-bridge-1")
    issued = serve_ticket(client, clerk_headers)
    # Before bridge_hello names rating-keypad:1, a press for counter 1 rates for no counter.
    refused = bridge.emit("keypad_rating", {"press_id": "p-1", "device": "rating-keypad:1", "counter_id": 1,
                                            "ticket_id": issued["id"], "score": 5}, callback=True)
    assert refused["ok"] is False and refused["error"] == "not_this_counter"
    hello = bridge.emit("bridge_hello", {"devices": ["rating-keypad:1"]}, callback=True)
    assert hello["accepted"] == ["rating-keypad:1"]
    accepted = bridge.emit("keypad_rating", {"press_id": "p-2", "device": "rating-keypad:1", "counter_id": 1,
                                             "ticket_id": issued["id"], "score": 5}, callback=True)
    assert accepted["ok"] is True
    # The bridge retries until acknowledged: the same press_id is applied once.
    again = bridge.emit("keypad_rating", {"press_id": "p-2", "device": "rating-keypad:1", "counter_id": 1,
                                          "ticket_id": issued["id"], "score": 5}, callback=True)
    assert again == accepted
    rating, = rows(app, select(Rating).where(Rating.ticket_id == issued["id"]))
    assert (rating.channel.value, rating.counter_id, rating.clerk_id, rating.device_id) == ("keypad", 1, 1, 7)
    attempt, = rows(app, select(RatingAttempt).where(RatingAttempt.accepted.is_(False)))
    assert (attempt.error, attempt.channel, attempt.device_id) == ("not_this_counter", "keypad", 7)
    assert "rating_received" not in names(bridge)


def test_a_keypad_press_meant_for_an_earlier_window_does_not_rate_the_next_citizen(app, client, login, sockets) -> None:  # type: ignore[no-untyped-def]
    clerk_headers = login("canbo1")
    bridge = sockets("demo-bridge-1")
    bridge.emit("bridge_hello", {"devices": ["rating-keypad:1"]}, callback=True)
    bridge.get_received()
    first = serve_ticket(client, clerk_headers)
    first_window = [m["args"][0] for m in bridge.get_received() if m["name"] == "rating_requested"][-1]
    second = serve_ticket(client, clerk_headers)
    stale = bridge.emit("keypad_rating", {"press_id": "p-3", "device": "rating-keypad:1", "counter_id": 1,
                                          "ticket_id": second["id"], "token": first_window["token"], "score": 1},
                        callback=True)
    assert stale["ok"] is False and stale["error"] == "rating_window_closed"
    # A press outside any window the bridge knew of goes to the latest window at the counter.
    latest = bridge.emit("keypad_rating", {"press_id": "p-4", "device": "rating-keypad:1", "counter_id": 1,
                                           "ticket_id": None, "score": 4}, callback=True)
    assert latest["ok"] is True and latest["ticket_id"] == second["id"]
    assert rows(app, select(Rating.ticket_id)) == [second["id"]]
    assert first["id"] != second["id"]


def test_a_call_keypad_acts_only_for_the_counter_the_bridge_announced(app, client, login, sockets) -> None:  # type: ignore[no-untyped-def]
    bridge = sockets("demo-bridge-1")
    client.post("/api/v1/tickets", json={"service_id": TPHT}, headers=KIOSK)
    refused = bridge.emit("key_press", {"press_id": "k-1", "device": "call-keypad:1", "counter_id": 1,
                                        "action": "call_next"}, callback=True)
    assert refused["ok"] is False and refused["error"] == "forbidden"
    bridge.emit("bridge_hello", {"devices": ["call-keypad:1"]}, callback=True)
    bridge.get_received()
    called = bridge.emit("key_press", {"press_id": "k-2", "device": "call-keypad:1", "counter_id": 1,
                                       "action": "call_next"}, callback=True)
    assert called["ok"] is True and called["ticket"]["counter_id"] == 1 and called["ticket"]["clerk_id"] == 1
    assert "ticket_called" in names(bridge)
