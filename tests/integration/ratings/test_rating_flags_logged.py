"""The scheduler's `rating_flag_review` job logs each day's rating flags when they changed, so the province
can know them (server/queue/flag_reviews.py). SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import select

from server.models import Event
from server.queue import events as ev
from server.queue.actors import Actor
from server.queue.service import RatingRequest
from server.scheduler import rating_flag_review

KIOSK = Actor(kind="device", id=1, site_id=1, role="kiosk")
CLERK = Actor(kind="staff", id=1, site_id=1, role="clerk")
TERMINAL = Actor(kind="device", id=3, site_id=1, role="rating_terminal", counter_id=1)


def logged(runtime) -> list[dict]:  # type: ignore[no-untyped-def]
    session = runtime.session_factory()
    try:
        return [event.payload for event in session.scalars(
            select(Event).where(Event.type == ev.RATING_FLAGS_REVIEWED).order_by(Event.seq))]
    finally:
        session.close()


def test_the_job_logs_a_days_flags_once_and_again_only_when_they_change(app, queue, clock) -> None:  # type: ignore[no-untyped-def]
    runtime = app.extensions["hangcho"]
    queue().issue_ticket(1, KIOSK)
    ticket = queue().call_next(1, CLERK)
    clock.advance(seconds=4)
    queue().finish(ticket.id, CLERK)
    clock.advance(seconds=4)
    rating = queue().rate(RatingRequest(score=5, ticket_id=ticket.id), TERMINAL)  # 8 s after the call

    job_session = runtime.session_factory()
    rating_flag_review(runtime, runtime.service(job_session), 1)
    rating_flag_review(runtime, runtime.service(job_session), 1)  # nothing changed: nothing logged
    assert [(day["flags"], day["unflagged"]) for day in logged(runtime)] == [(
        [{"rating_id": rating.id, "ticket_id": ticket.id, "service_id": 1, "counter_id": 1, "clerk_id": 1,
          "score": 5, "kinds": ["too_soon"]}], [])]

    clock.advance(hours=30)  # the next day: the day before is read again, and a later one logs nothing
    rating_flag_review(runtime, runtime.service(job_session), 1)
    job_session.close()
    assert len(logged(runtime)) == 1
