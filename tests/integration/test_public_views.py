"""The uplink's phone views (many tickets at once, `queries.public_views`) are exactly what the site's own
phone page shows for each ticket (`queries.ticket_public_view`): people ahead with priorities and equal
issue times, a ticket reserved for a counter, called, served and rated tickets, in several fields."""
from __future__ import annotations

from sqlalchemy import select

from server.models import Ticket
from server.queue import queries
from server.queue.actors import Actor
from server.queue.service import RatingRequest
from tests.integration.test_queue_service import KIOSK, TPHT, CT, DD, clerk


def test_views_of_many_tickets_at_once_equal_each_tickets_own_view(queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    for field, priority in ((TPHT, None), (TPHT, None), (TPHT, "nguoi_cao_tuoi"), (CT, None), (TPHT, None),
                            (DD, "nguoi_khuyet_tat"), (DD, None), (TPHT, "nguoi_cao_tuoi"), (CT, None), (DD, None)):
        queue().issue_ticket(field, KIOSK, priority_code=priority)
    served = queue().call_next(1, clerk(1))
    queue().finish(served.id, clerk(1))
    queue().rate(RatingRequest(score=4, ticket_id=served.id),
                 Actor(kind="device", id=3, site_id=1, role="rating_terminal", counter_id=1))
    queue().call_next(3, clerk(3))
    sent_on = queue().call_next(1, clerk(1))
    queue().transfer(sent_on.id, clerk(1), to_counter_id=2)  # waits for counter 2: in nobody's line
    clock.advance(seconds=90)
    session = session_factory()
    try:
        tickets = list(session.scalars(select(Ticket).order_by(Ticket.id)))
        one_by_one = [{key: value for key, value in queries.ticket_public_view(session, ticket).items()
                       if key not in ("seq", "room")} for ticket in tickets]
        assert queries.public_views(session, tickets) == one_by_one
        assert sorted(view["ahead"] for view in one_by_one if view["status"] == "waiting")[-1] > 1
        assert any(view["rated"] for view in one_by_one)
    finally:
        session.close()
