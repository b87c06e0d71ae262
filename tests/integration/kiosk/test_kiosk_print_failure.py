"""Printing never blocks issuing, against the real server with real Socket.IO clients: with no bridge
connected, a kiosk ticket's print job times out; the kiosk hears print_result ok=false, the dashboard gets
a printer_problem alert, and the ticket stays valid. A late success from a slow printer still counts."""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.conftest import LiveServer, start_live_server

KIOSK_KEY = "demo-kiosk-1"


@pytest.fixture
def server(sqlite_url: str, tmp_path) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """The real server; unanswered print jobs fail after 2 s (HANGCHO_PRINT_TIMEOUT_S)."""
    live = start_live_server(sqlite_url, tmp_path, HANGCHO_PRINT_TIMEOUT_S="2")
    yield live
    live.stop()


def test_an_unanswered_print_job_fails_to_the_kiosk_and_alerts_the_dashboard(server, socket_listener) -> None:  # type: ignore[no-untyped-def]
    kiosk = socket_listener(server.url, {"token": KIOSK_KEY})
    supervisor_token = server.login("giamsat")
    dashboard = socket_listener(server.url, {"token": supervisor_token})
    kiosk.wait_for("snapshot")
    dashboard.wait_for("snapshot")

    issued = server.api("POST", "/tickets", token=KIOSK_KEY, json={"service_id": 1},
                        headers={"Idempotency-Key": "print-failure-1"})
    assert issued.status_code == 201
    ticket = issued.json()
    assert ticket["number"] == "1001" and ticket["print_job_id"]  # the number exists before any printing

    result = kiosk.wait_for("print_result", lambda data: data["job_id"] == ticket["print_job_id"])
    assert result["ok"] is False and result["error"] == "timeout"
    assert result["ticket_id"] == ticket["id"] and result["number"] == "1001" and result["transient"] is True
    alert = dashboard.wait_for("alert", lambda data: data["kind"] == "printer_problem")
    assert alert["severity"] == "critical" and alert["params"]["number"] == "1001"
    dashboard.wait_for("print_result", lambda data: data["job_id"] == ticket["print_job_id"])

    # The ticket is as valid as ever: its phone page works and a clerk calls it.
    token = ticket["public_url"].rsplit("/t/", 1)[1]
    assert server.api("GET", f"/public/tickets/{token}").json()["status"] == "waiting"
    called = server.api("POST", "/counters/1/call-next", token=server.login("canbo1")).json()
    assert called["id"] == ticket["id"]
    open_alerts = server.api("GET", "/alerts", token=supervisor_token).json()
    assert [a["kind"] for a in open_alerts].count("printer_problem") == 1


def test_a_reprint_is_a_new_job_for_the_same_ticket(server, socket_listener) -> None:  # type: ignore[no-untyped-def]
    kiosk = socket_listener(server.url, {"token": KIOSK_KEY})
    kiosk.wait_for("snapshot")
    ticket = server.api("POST", "/tickets", token=KIOSK_KEY, json={"service_id": 6}).json()
    kiosk.wait_for("print_result", lambda data: data["job_id"] == ticket["print_job_id"])
    reprint = server.api("POST", f"/tickets/{ticket['id']}/reprint", token=KIOSK_KEY)
    assert reprint.status_code == 202
    job_id = reprint.json()["print_job_id"]
    assert job_id != ticket["print_job_id"]
    again = kiosk.wait_for("print_result", lambda data: data["job_id"] == job_id)
    assert again["ticket_id"] == ticket["id"] and again["number"] == "A001" and again["ok"] is False


def test_a_kiosk_cannot_reprint_a_ticket_it_did_not_issue(server) -> None:  # type: ignore[no-untyped-def]
    staff_ticket = server.api("POST", "/tickets", token=server.login("canbo1"), json={"service_id": 1}).json()
    refused = server.api("POST", f"/tickets/{staff_ticket['id']}/reprint", token=KIOSK_KEY)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"


def test_a_slow_printer_that_finishes_after_the_time_out_still_counts_as_printed(server, socket_listener) -> None:  # type: ignore[no-untyped-def]
    kiosk = socket_listener(server.url, {"token": KIOSK_KEY})
    bridge = socket_listener(server.url, {"token": "demo-bridge-1"})
    kiosk.wait_for("snapshot")
    bridge.wait_for("snapshot")
    assert bridge.client.call("bridge_hello", {"devices": ["printer:1"]}, timeout=10)["accepted"] == ["printer:1"]
    ticket = server.api("POST", "/tickets", token=KIOSK_KEY, json={"service_id": 2}).json()
    job = bridge.wait_for("print_job", lambda data: data["job_id"] == ticket["print_job_id"])
    assert job["ticket"]["number"] == "2001"
    failed = kiosk.wait_for("print_result", lambda data: data["job_id"] == job["job_id"])
    assert failed["ok"] is False and failed["error"] == "timeout"

    answer = bridge.client.call("print_result", {"job_id": job["job_id"], "ok": True}, timeout=10)
    assert answer == {"ok": True, "job_id": job["job_id"], "status": "printed"}
    printed = kiosk.wait_for("print_result", lambda data: data["job_id"] == job["job_id"])
    assert printed["ok"] is True
    # The bridge retries until acknowledged: a repeat changes nothing.
    assert bridge.client.call("print_result", {"job_id": job["job_id"], "ok": True}, timeout=10)["status"] == "printed"
