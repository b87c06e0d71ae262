"""The counter console page and the refusals it shows (SQLite and PostgreSQL)."""
from __future__ import annotations

import pytest

KIOSK = {"Authorization": "Bearer demo-kiosk-1"}
TPHT = 1


def test_anonymous_visitors_get_the_log_in_page(client) -> None:  # type: ignore[no-untyped-def]
    answer = client.get("/counter")
    assert answer.status_code == 401
    page = answer.get_data(as_text=True)
    assert 'id="login-form"' in page and "/counter" in page


@pytest.mark.parametrize("credential", ["demo-kiosk-1", "demo-rating-1", "inspector"])
def test_devices_and_inspectors_cannot_open_the_console(client, login, credential) -> None:  # type: ignore[no-untyped-def]
    headers = login("thanhtra") if credential == "inspector" else {"Authorization": f"Bearer {credential}"}
    assert client.get("/counter", headers=headers).status_code == 403


def test_a_clerk_gets_the_console_in_vietnamese_with_shortcuts(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/auth/login", json={"username": "canbo1", "password": "demo"}).status_code == 200
    answer = client.get("/counter")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    for text in ("Gọi số tiếp theo", "Gọi lại", "Vắng mặt", "Bắt đầu phục vụ", "Hoàn thành", "Chuyển", "Tạm dừng",
                 "Nguyễn Thị Lan", "<kbd>F1</kbd>", "<kbd>N</kbd>", "Nghỉ giải lao"):
        assert text in page, text
    # The socket needs the log-in token even when only the session cookie came with the page.
    assert '"staffToken": "hcs_' in page.replace("staffToken: ", '"staffToken": ')


def test_the_console_speaks_english_when_asked(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/v1/auth/login", json={"username": "giamsat", "password": "demo"})
    page = client.get("/counter?lang=en").get_data(as_text=True)
    assert "Call next" in page and "No-show" in page


def test_two_clerks_on_one_ticket_the_second_gets_a_clear_refusal(client, login) -> None:  # type: ignore[no-untyped-def]
    canbo1, canbo2, supervisor = login("canbo1"), login("canbo2"), login("giamsat")
    ticket = client.post("/api/v1/tickets", json={"service_id": TPHT}, headers=KIOSK).json
    assert client.post("/api/v1/counters/1/call-next", headers=canbo1).json["id"] == ticket["id"]

    elsewhere = client.post(f"/api/v1/tickets/{ticket['id']}/finish", headers=canbo2)
    assert elsewhere.status_code == 409 and elsewhere.json["error"] == "ticket_handled_elsewhere"
    # Vietnamese, naming the counter that holds the ticket (the console shows it in its red banner).
    assert "quầy số 1" in elsewhere.json["message"] and "counter" not in elsewhere.json["message"]

    assert client.post(f"/api/v1/tickets/{ticket['id']}/finish", headers=supervisor).status_code == 200
    late = client.post(f"/api/v1/tickets/{ticket['id']}/finish", headers=canbo1)
    assert late.status_code == 409 and late.json["error"] == "invalid_transition"
    assert "không" in late.json["message"] and "not possible" not in late.json["message"]


def test_the_counter_snapshot_carries_what_the_console_shows(client, login) -> None:  # type: ignore[no-untyped-def]
    canbo1, canbo2 = login("canbo1"), login("canbo2")
    ticket = client.post("/api/v1/tickets", json={"service_id": TPHT, "priority": "nguoi_cao_tuoi"}, headers=KIOSK).json
    client.post("/api/v1/counters/2/call-next", headers=canbo2)
    client.post(f"/api/v1/tickets/{ticket['id']}/transfer", json={"counter_id": 1, "note": "Cần công chứng bản sao"},
                headers=canbo2)
    snapshot = client.get("/api/v1/counters/1/snapshot", headers=canbo1).json
    assert [t["id"] for t in snapshot["waiting"]] == [ticket["id"]]
    assert snapshot["waiting"][0]["priority_level"] == 1 and snapshot["waiting"][0]["target_counter_id"] == 1
    client.post("/api/v1/counters/1/call-next", headers=canbo1)
    current = client.get("/api/v1/counters/1/snapshot", headers=canbo1).json["counter"]["current_ticket"]
    assert current["id"] == ticket["id"] and current["priority_level"] == 1
    assert current["transfer_note"] == "Cần công chứng bản sao" and current["call_count"] == 2
