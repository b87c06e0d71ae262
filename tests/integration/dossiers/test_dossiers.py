"""Dossiers behind visits and repeat visits, on SQLite and PostgreSQL (docs/dossiers.md)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from server import errors
from server.models import DossierVisit, Event, Ticket
from server.queue import events as ev
from server.queue.actors import Actor

KIOSK = Actor(kind="device", id=1, site_id=1, role="kiosk")
SUPERVISOR = Actor(kind="staff", id=5, site_id=1, role="supervisor")
TPHT = 1  # Tư pháp – Hộ tịch, served at counter 1


def clerk(counter_number: int) -> Actor:
    return Actor(kind="staff", id=counter_number, site_id=1, role="clerk")


def serve(queue, service_id: int = TPHT, counter: int = 1) -> int:  # type: ignore[no-untyped-def]
    """Issue a ticket and call it to the counter; returns its id."""
    queue().issue_ticket(service_id, KIOSK)
    return queue().call_next(counter, clerk(counter)).id


def test_a_clerk_attaches_a_dossier_and_its_outcome_to_the_ticket_at_the_counter(queue, publisher) -> None:  # type: ignore[no-untyped-def]
    ticket_id = serve(queue)
    visit = queue().attach_dossier(ticket_id, clerk(1), " 000.00.12.h26-250101-0001 ", "received")
    assert visit.code == "000.00.12.H26-250101-0001" and visit.visit_number == 1 and not visit.repeat
    event = publisher.events[-1]
    assert event.type == ev.DOSSIER_ATTACHED and event.payload["code"] == visit.code
    assert event.rooms == (ev.dashboard_room(1),)  # never the counter display's room


def test_a_clerk_of_another_counter_cannot_attach(queue) -> None:  # type: ignore[no-untyped-def]
    ticket_id = serve(queue)
    with pytest.raises(errors.NotClerkOfCounter):
        queue().attach_dossier(ticket_id, clerk(2), "HS-1", "received")


def test_only_a_ticket_being_served_takes_a_dossier(queue) -> None:  # type: ignore[no-untyped-def]
    waiting = queue().issue_ticket(TPHT, KIOSK).ticket.id
    with pytest.raises(errors.TicketNotAtCounter):
        queue().attach_dossier(waiting, SUPERVISOR, "HS-1", "received")
    ticket_id = serve(queue)
    queue().finish(ticket_id, clerk(1))
    with pytest.raises(errors.TicketNotAtCounter):
        queue().attach_dossier(ticket_id, clerk(1), "HS-1", "received")


def test_returned_needs_missing_papers_from_the_sites_list(queue) -> None:  # type: ignore[no-untyped-def]
    ticket_id = serve(queue)
    with pytest.raises(errors.ValidationFailed):
        queue().attach_dossier(ticket_id, clerk(1), "HS-1", "returned", [])
    with pytest.raises(errors.ValidationFailed):
        queue().attach_dossier(ticket_id, clerk(1), "HS-1", "returned", ["not_a_paper"])
    with pytest.raises(errors.ValidationFailed):
        queue().attach_dossier(ticket_id, clerk(1), "HS-1", "received", ["don"])
    with pytest.raises(errors.ValidationFailed):
        queue().attach_dossier(ticket_id, clerk(1), "HS 1 <script>", "received")
    visit = queue().attach_dossier(ticket_id, clerk(1), "HS-1", "returned", ["don", "cccd", "don"])
    assert visit.missing == ["don", "cccd"]


def test_a_second_visit_is_a_repeat_and_a_new_missing_paper_is_a_breach(queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    first = serve(queue)
    queue().attach_dossier(first, clerk(1), "HS-7", "returned", ["don"])
    queue().finish(first, clerk(1))
    clock.advance(hours=1)
    second = serve(queue)
    visit = queue().attach_dossier(second, clerk(1), "hs-7", "returned", ["don", "ban_ve"])
    assert (visit.visit_number, visit.repeat, visit.breach, visit.new_missing) == (2, True, True, ["ban_ve"])
    # A correction of the same visit replaces it (the log keeps both).
    visit = queue().attach_dossier(second, clerk(1), "HS-7", "returned", ["don"])
    assert (visit.visit_number, visit.repeat, visit.breach) == (2, True, False)
    session = session_factory()
    assert session.query(DossierVisit).count() == 2
    assert session.scalar(select(Ticket.dossier_code).where(Ticket.id == second)) == "HS-7"
    assert len(session.scalars(select(Event).where(Event.type == ev.DOSSIER_ATTACHED)).all()) == 3
    session.close()


def test_a_visit_outside_the_repeat_window_is_a_first_visit_again(queue, clock) -> None:  # type: ignore[no-untyped-def]
    first = serve(queue)
    queue().attach_dossier(first, clerk(1), "HS-8", "received")
    queue().finish(first, clerk(1))
    clock.advance(days=91)  # the default window is 90 days
    second = serve(queue)
    visit = queue().attach_dossier(second, clerk(1), "HS-8", "result")
    assert (visit.visit_number, visit.repeat) == (1, False)


# --- the HTTP API -------------------------------------------------------------------------------

def test_the_dossier_api_attaches_and_shows_the_custody_trail(client, login) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import KIOSK as KIOSK_HEADERS

    canbo1, giamsat = login("canbo1"), login("giamsat")
    client.post("/api/v1/tickets", json={"service_id": TPHT}, headers=KIOSK_HEADERS)
    ticket = client.post("/api/v1/counters/1/call-next", headers=canbo1).json
    answer = client.post(f"/api/v1/tickets/{ticket['id']}/dossier", headers=canbo1,
                         json={"code": "HS-42", "outcome": "returned", "missing": ["le_phi"]})
    assert answer.status_code == 200, answer.json
    assert answer.json["code"] == "HS-42" and answer.json["missing"] == ["le_phi"]
    assert client.post(f"/api/v1/tickets/{ticket['id']}/dossier", headers=login("canbo2"),
                       json={"code": "HS-42", "outcome": "received"}).status_code == 403
    assert client.post(f"/api/v1/tickets/{ticket['id']}/dossier", headers=canbo1,
                       json={"code": "HS-42", "outcome": "lost"}).status_code == 422
    trail = client.get("/api/v1/dossiers/hs-42", headers=giamsat)
    assert trail.status_code == 200
    assert trail.json["code"] == "HS-42"
    (visit,) = trail.json["visits"]
    assert visit["number"] == ticket["number"] and visit["counter_id"] == 1 and visit["outcome"] == "returned"
    assert visit["clerk"]["id"] == 1 and visit["missing"] == ["le_phi"]
    assert client.get("/api/v1/dossiers/HS-404", headers=canbo1).status_code == 404
    assert client.get("/api/v1/dossiers/HS-42", headers=KIOSK_HEADERS).status_code == 403


# --- repeat visits in the reports ---------------------------------------------------------------

def test_reports_count_repeat_visits_and_returned_dossiers_per_counter(queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    from server import administration
    from server.models import Site
    from server.reports.periods import Period
    from server.reports.summary import summary_report

    session = session_factory()
    administration.update_site_settings(session, session.get(Site, 1), {"dossiers": {"ask_visit_at_kiosk": True}}, clock.now())
    session.commit()
    session.close()
    # Counter 1: HS-1 returned, then HS-1 again (a repeat, a breach), then HS-2 received.
    for code, outcome, missing in (("HS-1", "returned", ["don"]), ("HS-1", "returned", ["cccd"]), ("HS-2", "received", [])):
        ticket_id = serve(queue)
        queue().attach_dossier(ticket_id, clerk(1), code, outcome, missing)
        queue().finish(ticket_id, clerk(1))
        clock.advance(minutes=10)
    # Two kiosk answers without a dossier: a first visit and a third; one ticket says nothing.
    queue().issue_ticket(TPHT, KIOSK, declared_visit=1)
    queue().issue_ticket(TPHT, KIOSK, declared_visit=3)
    queue().issue_ticket(TPHT, KIOSK)

    session = session_factory()
    day = clock.now().astimezone(__import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh")).date()
    report = summary_report(session, [1], Period(day, day), "counter")
    session.close()
    counter_1 = next(row for row in report["rows"] if row["key"] == 1)
    assert (counter_1["dossier_visits"], counter_1["returned"], counter_1["guidance_breaches"]) == (3, 2, 1)
    assert counter_1["repeat_visits"] == 1 and counter_1["repeat_visit_rate"] == round(1 / 3, 4)
    assert counter_1["returned_rate"] == round(2 / 3, 4)
    totals = report["totals"]
    # Known visits: 3 with a dossier + 2 kiosk answers; repeats: the second HS-1 and the "3rd time".
    assert (totals["visits_known"], totals["repeat_visits"]) == (5, 2)
    assert totals["repeat_visit_rate"] == 0.4


def test_the_kiosk_answer_is_kept_only_where_the_site_asks(queue, session_factory) -> None:  # type: ignore[no-untyped-def]
    ticket = queue().issue_ticket(TPHT, KIOSK, declared_visit=2).ticket
    session = session_factory()
    assert session.get(Ticket, ticket.id).declared_visit is None  # off by default: nothing collected
    session.close()


# --- a phone number or citizen ID as a keyed-hash repeat key -------------------------------------

def test_a_phone_number_is_kept_only_as_a_keyed_hash_makes_repeats_and_is_forgotten(queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    from server import administration
    from server.models import CitizenKey, Site
    from server.queue.dossiers import citizen_key_hash

    session = session_factory()
    administration.update_site_settings(session, session.get(Site, 1),
                                        {"dossiers": {"citizen_key": "phone", "key_retention_days": 30}}, clock.now())
    session.commit()
    session.close()
    secret = b"centre-secret"
    key = citizen_key_hash(secret, 1, "phone", "0912 345 678")
    assert key == citizen_key_hash(secret, 1, "phone", "+84 912 345 678")  # the same number, written otherwise
    assert key != citizen_key_hash(secret, 2, "phone", "0912345678")  # another centre cannot match it
    assert key != citizen_key_hash(b"other", 1, "phone", "0912345678")
    with pytest.raises(errors.ValidationFailed):
        citizen_key_hash(secret, 1, "phone", "12")

    first = serve(queue)
    queue().attach_dossier(first, clerk(1), "HS-A", "guidance", citizen_key_hash=key)
    queue().finish(first, clerk(1))
    clock.advance(days=2)
    second = serve(queue)
    visit = queue().attach_dossier(second, clerk(1), "HS-B", "received", citizen_key_hash=key)
    assert (visit.visit_number, visit.repeat) == (2, True)  # another code, the same citizen and field

    session = session_factory()
    stored = session.scalars(select(CitizenKey)).all()
    assert {row.key_hash for row in stored} == {key} and len(stored) == 2
    logged = " ".join(str(event.payload) for event in session.scalars(select(Event)))
    assert key not in logged and "0912" not in logged  # never in the log (nor in exports made from it)
    session.close()
    clock.advance(days=31)
    assert queue().forget_expired_citizen_keys(1) == 2
    session = session_factory()
    assert session.scalars(select(CitizenKey)).all() == []
    session.close()


def test_the_api_hashes_the_number_and_keeps_nothing_where_the_site_does_not_use_it(client, login, app) -> None:  # type: ignore[no-untyped-def]
    from server.models import CitizenKey
    from tests.conftest import KIOSK as KIOSK_HEADERS

    canbo1 = login("canbo1")
    client.post("/api/v1/tickets", json={"service_id": TPHT}, headers=KIOSK_HEADERS)
    ticket = client.post("/api/v1/counters/1/call-next", headers=canbo1).json
    answer = client.post(f"/api/v1/tickets/{ticket['id']}/dossier", headers=canbo1,
                         json={"code": "HS-K", "outcome": "received", "citizen_key": "0912345678"})
    assert answer.status_code == 200
    session = app.extensions["hangcho"].session_factory()
    assert session.scalars(select(CitizenKey)).all() == []  # off by default: nothing collected
    session.close()


def test_a_week_read_from_the_roll_ups_keeps_the_repeat_visits_and_the_flags(queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    """A report of two days or more reads the roll-ups: it must show the visits and the flags the tickets
    give (found when the two branches met: the week's report said 0 repeat visits). The roll-ups now carry
    the visits (issue 14 at the province); the flags are the period's, computed afresh."""
    from server import administration
    from server.models import Site
    from server.reports.periods import Period
    from server.reports.summary import summary_report
    from server.rollups.site import catch_up

    session = session_factory()
    administration.update_site_settings(session, session.get(Site, 1), {"dossiers": {"ask_visit_at_kiosk": True}}, clock.now())
    session.commit()
    session.close()
    for code, outcome, missing in (("HS-1", "returned", ["don"]), ("HS-1", "returned", ["cccd"]), ("HS-2", "received", [])):
        ticket_id = serve(queue)
        queue().attach_dossier(ticket_id, clerk(1), code, outcome, missing)
        queue().finish(ticket_id, clerk(1))
        clock.advance(minutes=10)
    queue().issue_ticket(TPHT, KIOSK, declared_visit=3)

    session = session_factory()
    catch_up(session, 1)
    session.commit()
    day = clock.now().astimezone(__import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh")).date()
    week = Period(day - __import__("datetime").timedelta(days=6), day)
    from_tickets = summary_report(session, [1], week, "counter", use_rollups=False)
    from_rollups = summary_report(session, [1], week, "counter", use_rollups=True)
    session.close()
    names = ("visits_known", "repeat_visits", "repeat_visit_rate", "dossier_visits", "returned", "returned_rate",
             "guidance_breaches", "flagged_ratings", "ratings_unflagged")
    assert [from_rollups["totals"][name] for name in names] == [from_tickets["totals"][name] for name in names]
    assert (from_rollups["totals"]["repeat_visits"], from_rollups["totals"]["dossier_visits"]) == (2, 3)
    by_counter = {row["key"]: [row[name] for name in names] for row in from_tickets["rows"]}
    assert {row["key"]: [row[name] for name in names] for row in from_rollups["rows"]} == by_counter
