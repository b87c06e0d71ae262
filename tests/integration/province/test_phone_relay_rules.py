"""The rules behind the phone page through the province server (issue 15), on the real core and database:
a relayed rating is judged at the time the citizen gave it (and only a relayed one), is stored once
however often it is delivered, names only its own site's tickets; a site cannot claim another site's
ticket at the central."""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import func, select

from server import errors
from server.models import Rating, Ticket
from server.province.models import PhoneTicket, ProvinceSite
from server.province.phone import bind_tickets, store_views
from server.queue.actors import Actor
from server.queue.hashchain import ChainedEvent
from server.queue.ratings import RELAYED_BY_CENTRAL
from server.queue.service import RatingRequest
from server.uplink.phone import phone_views, rate_relayed

KIOSK = Actor(kind="device", id=1, site_id=1, role="kiosk")
CLERK = Actor(kind="staff", id=1, site_id=1, role="clerk")
RELAYED = Actor(kind="citizen", role=RELAYED_BY_CENTRAL, site_id=1)
PHONE_WINDOW = dt.timedelta(hours=48)  # the demo's rating.phone_window_hours


def served(queue) -> Ticket:  # type: ignore[no-untyped-def]
    ticket = queue().issue_ticket(1, KIOSK).ticket
    assert queue().call_next(1, CLERK).id == ticket.id
    return queue().finish(ticket.id, CLERK)


def relay(queue, session_factory, rating_id: int, ticket: Ticket, given_at: dt.datetime, score: int = 5):  # type: ignore[no-untyped-def]
    return rate_relayed(lambda session: queue(), session_factory, 1, {
        "rating_id": rating_id, "token_sha256": ticket.public_token_sha256, "score": score, "reasons": [],
        "comment": "", "given_at": given_at.isoformat()})


def test_the_token_digest_is_in_the_issued_event_and_never_the_token(queue, publisher) -> None:  # type: ignore[no-untyped-def]
    ticket = queue().issue_ticket(1, KIOSK).ticket
    [issued] = [event for event in publisher.events if event.type == "ticket_issued"]
    assert issued.payload["token_sha256"] == hashlib.sha256(ticket.public_token.encode()).hexdigest()
    assert ticket.public_token not in str(issued.payload)


def test_a_relayed_rating_is_judged_at_the_time_the_citizen_gave_it(queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    ticket = served(queue)
    given = clock.now() + dt.timedelta(hours=1)
    clock.advance(hours=72)  # the link was down for days: the phone window has closed since
    with pytest.raises(errors.RatingWindowClosed):  # a phone at the site now: too late
        queue().rate(RatingRequest(score=5, token=ticket.public_token, given_at=given), Actor(kind="citizen"))
    answer = relay(queue, session_factory, 7, ticket, given)
    assert answer["ok"] and answer["status"] == 201 and answer["rating"]["channel"] == "phone"
    finished = served(queue)
    given_late = clock.now() + PHONE_WINDOW + dt.timedelta(hours=1)
    clock.advance(hours=72)
    assert relay(queue, session_factory, 8, finished, given_late)["error"] == "rating_window_closed"


def test_a_relayed_rating_given_before_the_service_ended_is_refused(queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    ticket = served(queue)
    answer = relay(queue, session_factory, 9, ticket, clock.now() - dt.timedelta(minutes=30))
    assert (answer["ok"], answer["status"], answer["error"]) == (False, 409, "ticket_not_served")


def test_a_relayed_rating_is_stored_once_however_often_it_is_delivered(queue, session_factory, clock) -> None:  # type: ignore[no-untyped-def]
    ticket = served(queue)
    first = relay(queue, session_factory, 11, ticket, clock.now())
    again = relay(queue, session_factory, 11, ticket, clock.now())
    assert first["ok"] and again["ok"] and first["rating"]["id"] == again["rating"]["id"]
    other = relay(queue, session_factory, 12, ticket, clock.now(), score=1)
    assert other["status"] == 409 and other["error"] == "already_rated"
    with session_factory() as session:
        assert session.scalar(select(func.count(Rating.id)).where(Rating.ticket_id == ticket.id)) == 1


def test_a_relayed_rating_names_only_a_ticket_of_this_site(queue, session_factory, clock) -> None:  # type: ignore[no-untyped-def]
    served(queue)
    answer = rate_relayed(lambda session: queue(), session_factory, 1, {
        "rating_id": 13, "token_sha256": "ab" * 32, "score": 5, "reasons": [], "comment": "",
        "given_at": clock.now().isoformat()})
    assert (answer["status"], answer["error"]) == (403, "invalid_rating_token")
    malformed = rate_relayed(lambda session: queue(), session_factory, 1, {"rating_id": "1", "score": 5})
    assert malformed["error"] == "validation_failed"


def test_a_site_cannot_claim_another_sites_ticket_at_the_central(queue, session_factory, clock) -> None:  # type: ignore[no-untyped-def]
    ticket = queue().issue_ticket(1, KIOSK).ticket
    session = session_factory()
    now = clock.now()
    for site_id, code in ((101, "XA-A"), (102, "XA-B")):
        session.add(ProvinceSite(id=site_id, code=code, name=code, key_hash=code * 10, created_at=now))
    session.flush()
    payload = {"id": ticket.id, "number": ticket.number, "status": "waiting", "service_id": 1,
               "token_sha256": ticket.public_token_sha256}
    bind_tickets(session, 101, [ChainedEvent(1, 1, "ticket_issued", payload, now, "0" * 64)], "Asia/Ho_Chi_Minh", now)
    # Site B replays A's event and then sends a view for A's digest: the ticket stays A's, untouched.
    bind_tickets(session, 102, [ChainedEvent(1, 1, "ticket_issued", payload, now, "0" * 64)], "Asia/Ho_Chi_Minh", now)
    session.commit()
    [view] = phone_views(session, 1, now, None)
    assert view["token_sha256"] == ticket.public_token_sha256 and "room" not in view["view"]
    assert store_views(session, 102, [{**view, "view": {**view["view"], "status": "done"}}], now) == []
    assert store_views(session, 101, [view], now) == [ticket.public_token_sha256]
    row = session.scalar(select(PhoneTicket).where(PhoneTicket.token_sha256 == ticket.public_token_sha256))
    assert (row.site_id, row.view["status"]) == (101, "waiting")
    session.close()


def test_the_central_announces_a_url_a_phone_can_open_or_none() -> None:
    from server.province.phone import announced_base_url
    from server.settings import load_settings

    assert announced_base_url(load_settings(role="central", public_base_url="https://tinh.example.vn/",
                                            host="0.0.0.0")) == "https://tinh.example.vn"
    assert announced_base_url(load_settings(role="central", host="10.0.0.5", port=5001, public_base_url="")) == "http://10.0.0.5:5001"
    # Bound to every address with no public URL configured: the sites keep printing their own.
    assert announced_base_url(load_settings(role="central", host="0.0.0.0", public_base_url="")) == ""
