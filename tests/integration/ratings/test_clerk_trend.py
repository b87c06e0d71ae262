"""A clerk's own weekly trend on SQLite and PostgreSQL: complete weeks only, the site's median beside,
satisfaction only from the minimum of ratings (server/reports/clerk_trend.py)."""
from __future__ import annotations

import datetime as dt

from server import administration
from server.models import Site
from server.queue.actors import Actor
from server.queue.service import RatingRequest
from server.reports.clerk_trend import weekly_trend

KIOSK = Actor(kind="device", id=1, site_id=1, role="kiosk")
FIRST_FIELD = {1: 1, 2: 2}
# Wednesday 18 Nov 2026, 09:00 in Hà Nội: inside the last complete week (16–22 Nov) seen from 25 Nov.
LAST_WEEK = dt.datetime(2026, 11, 18, 2, 0, tzinfo=dt.timezone.utc)


def clerk(counter: int) -> Actor:
    return Actor(kind="staff", id=counter, site_id=1, role="clerk")


def serve_and_rate(queue, clock, counter: int, score: int, reasons: tuple[str, ...] = ()) -> None:  # type: ignore[no-untyped-def]
    queue().issue_ticket(FIRST_FIELD[counter], KIOSK)
    ticket = queue().call_next(counter, clerk(counter))
    clock.advance(seconds=240)
    queue().finish(ticket.id, clerk(counter))
    clock.advance(seconds=5)
    terminal = Actor(kind="device", id=counter + 2, site_id=1, role="rating_terminal", counter_id=counter)
    queue().rate(RatingRequest(score=score, ticket_id=ticket.id, reasons=reasons), terminal)
    clock.advance(minutes=3)


def test_the_clerk_sees_last_weeks_shares_against_the_site_median_from_the_minimum_sample(  # type: ignore[no-untyped-def]
        queue, clock, session_factory) -> None:
    now = clock.now()
    session = session_factory()
    administration.update_site_settings(session, session.get(Site, 1), {"clerk_trend": {"min_ratings": 5}}, now)
    session.commit()
    session.close()
    clock.set(LAST_WEEK)
    for _ in range(5):
        serve_and_rate(queue, clock, 1, 5)
        serve_and_rate(queue, clock, 2, 2, ("cho_lau",))
    serve_and_rate(queue, clock, 2, 2, ("thai_do",))
    clock.set(now)
    serve_and_rate(queue, clock, 1, 1, ("thai_do",))  # today: never in the trend

    session = session_factory()
    site = session.get(Site, 1)
    mine = weekly_trend(session, site, 1, clock.now())
    theirs = weekly_trend(session, site, 2, clock.now())
    session.close()
    week = mine["weeks"][0]
    assert (week["from"], week["to"]) == ("2026-11-16", "2026-11-22")
    assert week["served"] == 5 and week["service_p50_s"] == 240.0 and week["enough_ratings"]
    assert week["satisfaction_rate"] == 1.0 and week["site_median_satisfaction_rate"] == 0.5
    assert week["site_median_served"] == 5.5 and week["top_reasons"] == []
    assert [w["served"] for w in mine["weeks"][1:]] == [0, 0, 0]
    assert not mine["weeks"][1]["enough_ratings"] and mine["weeks"][1]["satisfaction_rate"] is None
    other = theirs["weeks"][0]
    assert other["satisfaction_rate"] == 0.0
    assert other["top_reasons"] == [{"label": "Chờ lâu", "label_en": "Long wait"},
                                    {"label": "Thái độ chưa đúng mực", "label_en": "Improper attitude"}]


def test_below_the_minimum_no_share_is_shown_and_only_staff_ask(client, login) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import KIOSK as KIOSK_HEADERS

    answer = client.get("/api/v1/me/weekly-summary", headers=login("canbo1"))
    assert answer.status_code == 200
    assert all(week["satisfaction_rate"] is None and not week["enough_ratings"] for week in answer.json["weeks"])
    assert len(answer.json["weeks"]) == 4
    assert client.get("/api/v1/me/weekly-summary", headers=login("thanhtra")).status_code == 403
    assert client.get("/api/v1/me/weekly-summary", headers=KIOSK_HEADERS).status_code == 403
