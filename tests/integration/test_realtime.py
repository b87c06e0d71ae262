"""Socket.IO against the real server process: auth on connect, snapshot, events after commit, rooms, Redis."""
from __future__ import annotations

import threading
from typing import Any

import pytest
import socketio

from tests.conftest import LiveServer, start_live_server


def issue(server: LiveServer, service_id: int = 1) -> dict[str, Any]:
    response = server.api("POST", "/tickets", token="demo-kiosk-1", json={"service_id": service_id})
    assert response.status_code == 201, response.text
    return response.json()


def test_a_display_gets_ticket_called_after_call_next(live_server: LiveServer, socket_listener) -> None:  # type: ignore[no-untyped-def]
    display = socket_listener(live_server.url, {"token": "demo-display-1"})
    snapshot = display.wait_for("snapshot")
    ticket = issue(live_server)
    clerk = live_server.login("canbo1")
    assert live_server.api("POST", "/counters/1/call-next", token=clerk).status_code == 200
    called = display.wait_for("ticket_called")
    assert called["id"] == ticket["id"] and called["number"] == "1001" and called["counter_number"] == 1
    assert called["seq"] > snapshot["seq"] and called["site_id"] == 1
    # Pushed after the commit: the state it announces is already what the API reads.
    assert live_server.api("GET", f"/tickets/{ticket['id']}", token=clerk).json()["status"] == "called"


def test_events_arrive_in_seq_order_without_gaps_for_the_site_room(live_server: LiveServer, socket_listener) -> None:  # type: ignore[no-untyped-def]
    display = socket_listener(live_server.url, {"token": "demo-display-1"})
    last = display.wait_for("snapshot")["seq"]
    clerk = live_server.login("canbo1")
    for _ in range(3):
        issue(live_server)
    live_server.api("POST", "/counters/1/call-next", token=clerk)
    display.wait_for("ticket_called")
    seqs = [data["seq"] for name, data in display.seen if name != "snapshot" and not data.get("transient")]
    assert seqs == list(range(last + 1, last + 1 + len(seqs)))


def test_a_client_that_reconnects_gets_a_fresh_snapshot(live_server: LiveServer, socket_listener) -> None:  # type: ignore[no-untyped-def]
    first = socket_listener(live_server.url, {"token": "demo-display-1"})
    before = first.wait_for("snapshot")
    first.close()
    issue(live_server, 3)
    issue(live_server, 3)
    again = socket_listener(live_server.url, {"token": "demo-display-1"})
    after = again.wait_for("snapshot")
    assert after["seq"] > before["seq"]
    assert [s["waiting"] for s in after["services"] if s["id"] == 3] == [2]


def test_request_snapshot_answers_with_a_new_snapshot(live_server: LiveServer, socket_listener) -> None:  # type: ignore[no-untyped-def]
    display = socket_listener(live_server.url, {"token": "demo-display-1"})
    display.wait_for("snapshot")
    issue(live_server)
    answer = display.client.call("request_snapshot", {}, timeout=10)
    assert answer["ok"] is True
    assert display.wait_for("snapshot")["seq"] == answer["seq"]


@pytest.mark.parametrize("auth", [{}, {"token": "wrong-key"}, {"token": ""}, {"ticket_token": "nope"}])
def test_an_unauthenticated_client_is_refused(live_server: LiveServer, auth: dict[str, str]) -> None:
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(live_server.url, auth=auth, transports=["websocket"], wait_timeout=10)
    assert not client.connected


def test_ratings_reach_dashboards_and_never_the_clerk(live_server: LiveServer, socket_listener) -> None:  # type: ignore[no-untyped-def]
    clerk_token = live_server.login("canbo1")
    clerk = socket_listener(live_server.url, {"token": clerk_token})
    dashboard = socket_listener(live_server.url, {"token": live_server.login("giamsat")})
    terminal = socket_listener(live_server.url, {"token": "demo-rating-1"})
    for listener in (clerk, dashboard, terminal):
        listener.wait_for("snapshot")
    ticket = issue(live_server)
    live_server.api("POST", "/counters/1/call-next", token=clerk_token)
    live_server.api("POST", f"/tickets/{ticket['id']}/finish", token=clerk_token)
    request = terminal.wait_for("rating_requested")
    assert request["ticket_id"] == ticket["id"] and request["window_s"] == 30
    rated = live_server.api("POST", "/ratings", token="demo-rating-1", json={"ticket_id": ticket["id"], "score": 2,
                                                                          "reasons": ["cho_lau"]})
    assert rated.status_code == 201
    received = dashboard.wait_for("rating_received")
    assert received["score"] == 2 and received["clerk_id"] == 1
    dashboard.wait_for("alert", where=lambda alert: alert["kind"] == "low_rating")
    clerk.wait_for("seq_advanced", where=lambda data: data["seq"] >= received["seq"])
    names = {name for name, _ in clerk.seen}
    assert "rating_received" not in names and "rating_requested" not in names and "alert" not in names


def test_a_kiosk_is_told_when_no_bridge_prints_its_ticket(sqlite_url: str, tmp_path, socket_listener) -> None:  # type: ignore[no-untyped-def]
    server = start_live_server(sqlite_url, tmp_path, HANGCHO_PRINT_TIMEOUT_S="1")
    try:
        kiosk = socket_listener(server.url, {"token": "demo-kiosk-1"})
        kiosk.wait_for("snapshot")
        ticket = issue(server)
        result = kiosk.wait_for("print_result", timeout=15)
        assert result["ticket_id"] == ticket["id"] and result["ok"] is False and result["error"] == "timeout"
        assert server.api("GET", "/public/tickets/" + ticket["public_url"].rsplit("/", 1)[1]).json()["status"] == "waiting"
    finally:
        server.stop()


@pytest.mark.redis
@pytest.mark.postgres
def test_two_server_processes_share_events_through_redis(postgres_database: str, redis_url: str, tmp_path, socket_listener) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import _truncate_postgres

    _truncate_postgres(postgres_database)
    first = start_live_server(postgres_database, tmp_path, HANGCHO_MESSAGE_QUEUE_URL=redis_url)
    second = start_live_server(postgres_database, tmp_path, seed=False, HANGCHO_MESSAGE_QUEUE_URL=redis_url)
    try:
        display = socket_listener(second.url, {"token": "demo-display-1"})
        display.wait_for("snapshot")
        ticket = issue(first)
        clerk = first.login("canbo1")
        assert first.api("POST", "/counters/1/call-next", token=clerk).status_code == 200
        called = display.wait_for("ticket_called")
        assert called["id"] == ticket["id"]
    finally:
        first.stop()
        second.stop()


def test_many_clients_each_get_the_call(live_server: LiveServer) -> None:
    received = threading.Barrier(21, timeout=20)
    clients = []
    for _ in range(20):
        client = socketio.Client(reconnection=False)
        client.on("ticket_called", lambda data: received.wait())
        client.connect(live_server.url, auth={"token": "demo-display-1"}, transports=["websocket"], wait_timeout=10)
        clients.append(client)
    try:
        issue(live_server)
        live_server.api("POST", "/counters/1/call-next", token=live_server.login("canbo1"))
        received.wait()
    finally:
        for client in clients:
            client.disconnect()
