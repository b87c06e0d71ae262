"""The promises of the core that broke when two features touched the same data (issue "The core keeps its
promises under any sequence of actions"). Each test reproduces one reported symptom; every test runs on
SQLite and on PostgreSQL.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server import errors
from server.models import Alert, Device, RatingWindow, Service, Ticket
from server.queue import queries
from server.queue.actors import Actor
from tests.conftest import KIOSK as KIOSK_HEADERS
from tests.conftest import rating_terminal

KIOSK = Actor(kind="device", id=1, site_id=1, role="kiosk")
SUPERVISOR = Actor(kind="staff", id=5, site_id=1, role="supervisor")
TPHT, CT, DD, XD, HKD, BTXH, LDVL = 1, 2, 3, 4, 5, 6, 7


def clerk(counter_number: int) -> Actor:
    return Actor(kind="staff", id=counter_number, site_id=1, role="clerk")


def reload(session_factory, model, row_id):  # type: ignore[no-untyped-def]
    session = session_factory()
    try:
        return session.get(model, row_id)
    finally:
        session.close()


# --- one number, one citizen -----------------------------------------------------------------------

def test_a_transferred_ticket_keeps_its_number_and_never_blocks_the_target_field(queue, session_factory) -> None:  # type: ignore[no-untyped-def]
    first = queue().issue_ticket(TPHT, KIOSK).ticket
    called = queue().call_next(1, clerk(1))
    assert called.id == first.id
    queue().transfer(called.id, clerk(1), to_service_id=CT)
    numbers = [queue().issue_ticket(CT, KIOSK).ticket.number for _ in range(3)]
    assert numbers == ["2001", "2002", "2003"]
    moved = reload(session_factory, Ticket, first.id)
    assert moved.number == "1001" and moved.service_id == CT


def test_a_transfer_into_a_field_whose_first_numbers_are_taken_succeeds(queue, session_factory) -> None:  # type: ignore[no-untyped-def]
    certification = queue().issue_ticket(CT, KIOSK).ticket  # 2001: sequence 1 of CT
    queue().issue_ticket(TPHT, KIOSK)  # 1001: sequence 1 of TPHT
    called = queue().call_next(2, clerk(2))  # counter 2 serves CT first
    assert called.id == certification.id
    queue().transfer(called.id, clerk(2), to_service_id=TPHT)
    assert reload(session_factory, Ticket, certification.id).number == "2001"
    assert queue().issue_ticket(TPHT, KIOSK).ticket.number == "1002"


def test_the_database_refuses_a_second_citizen_with_the_same_number(queue, session_factory) -> None:  # type: ignore[no-untyped-def]
    issued = queue().issue_ticket(TPHT, KIOSK).ticket
    session = session_factory()
    try:
        twin = Ticket(site_id=1, service_id=CT, issued_service_id=CT, business_date=issued.business_date, sequence=99,
                      number=issued.number, issued_at=issued.issued_at, public_token="twin-token")
        session.add(twin)
        with pytest.raises(IntegrityError):
            session.flush()
    finally:
        session.rollback()
        session.close()


def test_an_edited_range_never_hands_out_a_number_already_held_today(queue, session_factory) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        queue().issue_ticket(TPHT, KIOSK)  # 1001, 1002, 1003
    session = session_factory()
    session.get(Service, TPHT).number_start = 999  # sequence 4 would now be 1002
    session.commit()
    session.close()
    assert queue().issue_ticket(TPHT, KIOSK).ticket.number == "1004"


# --- overlapping fields ----------------------------------------------------------------------------

def test_a_new_field_overlapping_another_is_refused_naming_it(client, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    answer = client.post("/api/v1/admin/services", headers=admin,
                         json={"code": "GD", "name": "Giáo dục", "number_start": 1, "number_end": 9999})
    assert answer.status_code == 422, answer.json
    assert "Tư pháp – Hộ tịch" in answer.json["message"]
    assert "number_start" in answer.json["fields"]
    fields = client.get("/api/v1/admin/services", headers=admin).json
    assert "GD" not in [field["code"] for field in fields]


def test_the_new_field_form_proposes_the_next_free_range(client, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    unnumbered = client.post("/api/v1/admin/services", json={"code": "YT", "name": "Y tế"}, headers=admin)
    assert unnumbered.status_code == 201, unnumbered.json
    assert (unnumbered.json["number_start"], unnumbered.json["number_end"]) == (6001, 6999)
    proposal = client.get("/api/v1/admin/services/free-range", headers=admin)
    assert proposal.status_code == 200, proposal.json
    assert (proposal.json["number_start"], proposal.json["number_end"]) == (7001, 7999)
    created = client.post("/api/v1/admin/services", json={"code": "GD", "name": "Giáo dục", **proposal.json}, headers=admin)
    assert created.status_code == 201, created.json
    with_prefix = client.get("/api/v1/admin/services/free-range?number_prefix=A&number_width=3", headers=admin).json
    # Prefix A is taken by Bảo trợ xã hội for A001–A999: the next block of the same prefix is free.
    assert (with_prefix["number_prefix"], with_prefix["number_start"], with_prefix["number_end"]) == ("A", 1001, 1999)


def test_editing_or_reactivating_a_field_into_an_overlap_is_refused(client, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    moved = client.patch(f"/api/v1/admin/services/{CT}", json={"number_start": 1500, "number_end": 2500}, headers=admin)
    assert moved.status_code == 422 and "Tư pháp – Hộ tịch" in moved.json["message"]
    # An inactive field may share a range; taking it back into use may not.
    assert client.patch(f"/api/v1/admin/services/{XD}", json={"active": False}, headers=admin).status_code == 200
    created = client.post("/api/v1/admin/services", headers=admin,
                          json={"code": "GD", "name": "Giáo dục", "number_start": 4001, "number_end": 4999})
    assert created.status_code == 201, created.json
    reactivated = client.patch(f"/api/v1/admin/services/{XD}", json={"active": True}, headers=admin)
    assert reactivated.status_code == 422 and "Giáo dục" in reactivated.json["message"]


def test_same_digits_with_other_prefix_or_width_do_not_collide(client, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    other_prefix = client.post("/api/v1/admin/services", headers=admin,
                               json={"code": "GD", "name": "Giáo dục", "number_prefix": "C", "number_start": 1,
                                     "number_end": 999, "number_width": 3})
    assert other_prefix.status_code == 201, other_prefix.json
    # "A1".."A99" never equal "A001".."A099"; from 100 up they would ("A100").
    short = client.post("/api/v1/admin/services", headers=admin,
                        json={"code": "YT", "name": "Y tế", "number_prefix": "A", "number_start": 1, "number_end": 99})
    assert short.status_code == 201, short.json
    long = client.post("/api/v1/admin/services", headers=admin,
                       json={"code": "NN", "name": "Nông nghiệp", "number_prefix": "A", "number_start": 100,
                             "number_end": 200})
    assert long.status_code == 422 and "Bảo trợ xã hội" in long.json["message"]


# --- nothing offered that nobody serves ------------------------------------------------------------

def test_a_field_no_open_counter_serves_is_not_offered_and_not_issued(client, login) -> None:  # type: ignore[no-untyped-def]
    supervisor = login("giamsat")
    assert client.post("/api/v1/counters/3/close", headers=supervisor).status_code == 200  # only counter 3 serves DD, XD
    fields = {field["id"]: field for field in client.get("/api/v1/services").json}
    assert fields[DD]["availability"] == "not_served" and fields[XD]["availability"] == "not_served"
    assert fields[TPHT]["availability"] == "open"
    refused = client.post("/api/v1/tickets", json={"service_id": DD}, headers=KIOSK_HEADERS)
    assert refused.status_code == 409 and refused.json["error"] == "service_not_served"
    assert "quầy" in refused.json["message"]


def test_a_field_served_only_by_paused_counters_is_offered_with_a_warning(client, login) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/v1/counters/3/pause", json={"reason": "Nghỉ giữa giờ"},
                       headers=login("canbo3")).status_code == 200
    fields = {field["id"]: field for field in client.get("/api/v1/services").json}
    assert fields[DD]["availability"] == "paused"
    assert client.post("/api/v1/tickets", json={"service_id": DD}, headers=KIOSK_HEADERS).status_code == 201


def test_a_new_field_without_counters_is_not_offered(client, login) -> None:  # type: ignore[no-untyped-def]
    admin = login("admin")
    created = client.post("/api/v1/admin/services", headers=admin,
                          json={"code": "GD", "name": "Giáo dục", "number_start": 6001, "number_end": 6999})
    assert created.status_code == 201, created.json
    fields = {field["code"]: field for field in client.get("/api/v1/services").json}
    assert fields["GD"]["availability"] == "not_served"
    refused = client.post("/api/v1/tickets", json={"service_id": created.json["id"]}, headers=KIOSK_HEADERS)
    assert refused.status_code == 409 and refused.json["error"] == "service_not_served"


def test_a_transfer_to_a_field_nobody_serves_is_refused(queue) -> None:  # type: ignore[no-untyped-def]
    queue().close_counter(3, SUPERVISOR)
    queue().issue_ticket(TPHT, KIOSK)
    called = queue().call_next(1, clerk(1))
    with pytest.raises(errors.ServiceNotServed):
        queue().transfer(called.id, clerk(1), to_service_id=DD)


# --- ratings stay hidden from clerks ---------------------------------------------------------------

def test_a_clerk_reading_a_rated_tickets_history_sees_no_rating(client, login, session_factory) -> None:  # type: ignore[no-untyped-def]
    issued = client.post("/api/v1/tickets", json={"service_id": TPHT}, headers=KIOSK_HEADERS).json
    canbo1 = login("canbo1")
    client.post("/api/v1/counters/1/call-next", headers=canbo1)
    client.post(f"/api/v1/tickets/{issued['id']}/finish", headers=canbo1)
    token = issued["public_url"].rsplit("/", 1)[1]
    rated = client.post("/api/v1/ratings", json={"token": token, "score": 2, "reasons": ["thai_do"],
                                                  "comment": "Cán bộ nói chuyện điện thoại"})
    assert rated.status_code == 201, rated.json
    for reader in ("canbo1", "canbo2"):
        history = client.get(f"/api/v1/tickets/{issued['id']}", headers=login(reader))
        assert history.status_code == 200
        text = history.get_data(as_text=True)
        assert "rating_received" not in text and "thai_do" not in text and "score" not in text
        assert "điện thoại" not in text
    supervisor_view = client.get(f"/api/v1/tickets/{issued['id']}", headers=login("giamsat")).json
    assert any(entry["type"] == "rating_received" for entry in supervisor_view["history"])


# --- one calling order -----------------------------------------------------------------------------

def test_the_consoles_list_is_the_order_call_next_takes(queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    issued = []
    for service, priority in ((CT, None), (TPHT, None), (CT, "nguoi_cao_tuoi"), (TPHT, None), (CT, None)):
        clock.advance(seconds=30)
        issued.append(queue().issue_ticket(service, KIOSK, priority_code=priority).ticket.number)
    session = session_factory()
    listed = [ticket["number"] for ticket in queries.counter_snapshot(session, 1, clock)["waiting"]]
    session.close()
    called = []
    for _ in issued:
        clock.advance(seconds=30)
        called.append(queue().call_next(1, clerk(1)).number)
    assert listed == called


def test_the_hall_hint_names_the_ticket_call_next_takes(queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    queue().issue_ticket(CT, KIOSK)
    clock.advance(seconds=30)
    queue().issue_ticket(TPHT, KIOSK)
    session = session_factory()
    hints = {counter["id"]: counter["next"] for counter in queries.hall_snapshot(session, 1, clock)["counters"]}
    session.close()
    assert hints[1]["number"] == queue().call_next(1, clerk(1)).number


# --- one wait estimate -----------------------------------------------------------------------------

def test_screen_paper_and_phone_show_the_same_wait(client, session_factory, publisher) -> None:  # type: ignore[no-untyped-def]
    session = session_factory()
    session.get(Service, DD).average_service_s = 75  # two ahead → 150 s, between two minutes
    session.commit()
    session.close()
    for _ in range(2):
        client.post("/api/v1/tickets", json={"service_id": DD}, headers=KIOSK_HEADERS)
    issued = client.post("/api/v1/tickets", json={"service_id": DD}, headers=KIOSK_HEADERS).json
    token = issued["public_url"].rsplit("/", 1)[1]
    phone = client.get(f"/api/v1/public/tickets/{token}").json
    from hardware.printing.ticket import describe_wait

    assert issued["estimated_wait_s"] == phone["estimated_wait_s"] == 180
    assert issued["estimated_wait_s"] % 60 == 0
    assert describe_wait(issued["estimated_wait_s"]) == "khoảng 3 phút"


def test_the_print_job_carries_the_wait_the_kiosk_shows(queue, publisher) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        queue().issue_ticket(DD, KIOSK)
    issued = queue().issue_ticket(DD, KIOSK)
    job = [event for event in publisher.events if event.type == "print_job"][-1]
    assert job.payload["ticket"]["estimated_wait_s"] == issued.estimated_wait_s
    assert job.payload["ticket"]["ahead"] == issued.ahead


# --- alerts describe the present ------------------------------------------------------------------

def _open_alerts(session_factory) -> list[Alert]:  # type: ignore[no-untyped-def]
    session = session_factory()
    try:
        return list(session.scalars(select(Alert).where(Alert.resolved_at.is_(None), Alert.acknowledged_at.is_(None))))
    finally:
        session.close()


def test_a_reload_does_not_raise_a_device_alert(queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    for _ in range(6):
        queue().report_device_status(1, "offline", "disconnected")
        clock.advance(seconds=2)
        queue().report_device_status(1, "online")
        clock.advance(minutes=3)
        queue().raise_overdue_device_alerts(1)
    assert _open_alerts(session_factory) == []


def test_a_device_away_past_the_grace_period_raises_one_alert_that_resolves_itself(queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    queue().report_device_status(1, "offline", "disconnected")
    clock.advance(seconds=10)
    queue().raise_overdue_device_alerts(1)
    assert _open_alerts(session_factory) == []
    clock.advance(minutes=2)
    queue().raise_overdue_device_alerts(1)
    queue().raise_overdue_device_alerts(1)
    alerts = _open_alerts(session_factory)
    assert [alert.kind for alert in alerts] == ["device_offline"]
    clock.advance(minutes=5)
    queue().report_device_status(1, "online")
    assert _open_alerts(session_factory) == []
    resolved = reload(session_factory, Alert, alerts[0].id)
    assert resolved.resolved_at is not None
    assert resolved.payload["out_s"] == pytest.approx(430, abs=1)
    session = session_factory()
    try:
        assert queries.dashboard_snapshot(session, 1, clock)["alerts"] == []
        assert reload(session_factory, Device, 1).status == "online"
    finally:
        session.close()


def test_a_printer_problem_clears_when_the_printer_is_back(queue, session_factory) -> None:  # type: ignore[no-untyped-def]
    bridge = 7  # demo-bridge-1
    queue().report_device_status(bridge, "paper_out", "Hết giấy", hardware="printer:1")
    assert [alert.kind for alert in _open_alerts(session_factory)] == ["printer_problem"]
    queue().report_device_status(bridge, "online", "", hardware="printer:1")
    assert _open_alerts(session_factory) == []


# --- the rating contract ---------------------------------------------------------------------------

def _finished_at_counter_1(client, login, session_factory) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """A ticket served and finished at counter 1: its id and the token of its rating window."""
    issued = client.post("/api/v1/tickets", json={"service_id": TPHT}, headers=KIOSK_HEADERS).json
    canbo1 = login("canbo1")
    client.post("/api/v1/counters/1/call-next", headers=canbo1)
    client.post(f"/api/v1/tickets/{issued['id']}/finish", headers=canbo1)
    session = session_factory()
    window_token = session.scalar(select(RatingWindow.token).where(RatingWindow.ticket_id == issued["id"]))
    session.close()
    return issued["id"], window_token


def test_a_rating_terminal_rates_with_the_token_of_rating_requested(client, login, session_factory) -> None:  # type: ignore[no-untyped-def]
    ticket_id, window_token = _finished_at_counter_1(client, login, session_factory)
    rated = client.post("/api/v1/ratings", json={"token": window_token, "score": 4}, headers=rating_terminal(1))
    assert rated.status_code == 201, rated.json
    assert rated.json["ticket_id"] == ticket_id and rated.json["channel"] == "terminal"
    again = client.post("/api/v1/ratings", json={"token": window_token, "score": 5}, headers=rating_terminal(1))
    assert again.status_code == 409


def test_a_rating_terminal_cannot_use_another_counters_token(client, login, session_factory) -> None:  # type: ignore[no-untyped-def]
    _ticket_id, window_token = _finished_at_counter_1(client, login, session_factory)
    refused = client.post("/api/v1/ratings", json={"token": window_token, "score": 4}, headers=rating_terminal(2))
    assert refused.status_code == 403
