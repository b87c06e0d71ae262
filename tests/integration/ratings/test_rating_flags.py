"""Rating flags on SQLite and PostgreSQL: each flag names its evidence, no rating is ever removed, the
reports show scores with and without flagged ratings, and a clerk never reads them (docs/ratings.md)."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from server import administration
from server.models import Rating, Site
from server.queue.actors import Actor
from server.queue.service import RatingRequest
from server.reports.periods import Period
from server.reports.rating_flags import rating_flags
from server.reports.summary import summary_report

KIOSK = Actor(kind="device", id=1, site_id=1, role="kiosk")
SUPERVISOR = Actor(kind="staff", id=5, site_id=1, role="supervisor")
# Fields served first at counters 1, 2, 3 in the demo: Tư pháp – Hộ tịch, Chứng thực, Đất đai.
FIRST_FIELD = {1: 1, 2: 2, 3: 3}


def clerk(counter: int) -> Actor:
    return Actor(kind="staff", id=counter, site_id=1, role="clerk")


def terminal(counter: int) -> Actor:
    return Actor(kind="device", id=counter + 2, site_id=1, role="rating_terminal", counter_id=counter)


def serve_and_rate(queue, clock, counter: int, score: int, service_s: int = 120, rate_after_s: int = 5) -> int:  # type: ignore[no-untyped-def]
    queue().issue_ticket(FIRST_FIELD[counter], KIOSK)
    ticket = queue().call_next(counter, clerk(counter))
    clock.advance(seconds=service_s)
    queue().finish(ticket.id, clerk(counter))
    clock.advance(seconds=rate_after_s)
    return queue().rate(RatingRequest(score=score, ticket_id=ticket.id), terminal(counter)).id


def today(clock) -> Period:  # type: ignore[no-untyped-def]
    day = clock.now().astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    return Period(day, day)


def kinds(flags, rating_id: int) -> set[str]:  # type: ignore[no-untyped-def]
    return {entry["kind"] for entry in flags.entries if entry["rating_id"] == rating_id}


def test_each_flag_names_its_evidence_and_no_rating_is_removed(queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    honest = serve_and_rate(queue, clock, 2, 4)
    clock.advance(minutes=5)
    # Rated 8 s after the call: no service can have happened.
    hasty = serve_and_rate(queue, clock, 1, 5, service_s=3, rate_after_s=5)
    clock.advance(minutes=5)
    # Four ratings from counter 1's terminal within a minute (the default allows 3 per 60 s).
    burst = [serve_and_rate(queue, clock, 1, 5, service_s=12, rate_after_s=1) for _ in range(4)]
    clock.advance(minutes=5)
    # Counter 3 finishes, pauses, and its terminal still rates.
    queue().issue_ticket(FIRST_FIELD[3], KIOSK)
    ticket = queue().call_next(3, clerk(3))
    clock.advance(minutes=3)
    queue().finish(ticket.id, clerk(3))
    queue().pause_counter(3, clerk(3), "Nghỉ giữa giờ")
    clock.advance(seconds=5)
    paused = queue().rate(RatingRequest(score=5, ticket_id=ticket.id), terminal(3)).id

    session = session_factory()
    before = session.scalar(select(func.count(Rating.id)))
    flags = rating_flags(session, [1], today(clock))
    assert session.scalar(select(func.count(Rating.id))) == before == 7  # flags never delete ratings
    session.close()
    assert kinds(flags, honest) == set()
    assert "too_soon" in kinds(flags, hasty)
    (evidence,) = [e["evidence"] for e in flags.entries if e["rating_id"] == hasty and e["kind"] == "too_soon"]
    assert evidence == {"seconds_after_call": 8.0, "threshold_s": 20}
    for rating_id in burst:
        assert "burst" in kinds(flags, rating_id)
    burst_evidence = next(e["evidence"] for e in flags.entries if e["kind"] == "burst")
    assert burst_evidence["ratings_in_window"] == 4 and burst_evidence["threshold"] == 3 and burst_evidence["counter_id"] == 1
    assert kinds(flags, paused) == {"counter_not_open"}
    assert next(e for e in flags.entries if e["rating_id"] == paused)["evidence"]["counter_status"] == "paused"


def test_a_clerk_far_above_the_median_at_the_same_hours_is_flagged_and_reports_show_both_scores(  # type: ignore[no-untyped-def]
        queue, clock, session_factory) -> None:
    session = session_factory()
    administration.update_site_settings(session, session.get(Site, 1), {"rating_flags": {"outlier_min_ratings": 3}},
                                        clock.now())
    session.commit()
    session.close()
    for _ in range(3):
        for counter, score in ((1, 5), (2, 3), (3, 2)):
            serve_and_rate(queue, clock, counter, score)
            clock.advance(minutes=2)
    session = session_factory()
    flags = rating_flags(session, [1], today(clock))
    report = summary_report(session, [1], today(clock), "clerk")
    session.close()
    outliers = [entry for entry in flags.entries if entry["kind"] == "clerk_above_median"]
    assert {entry["clerk_id"] for entry in outliers} == {1} and len(outliers) == 3
    evidence = outliers[0]["evidence"]
    assert evidence["score_avg"] == 5.0 and evidence["site_median_score"] == 2.5 and evidence["peers"] == 2
    row = next(row for row in report["rows"] if row["key"] == 1)
    assert (row["ratings"], row["score_avg"], row["flagged_ratings"], row["score_avg_unflagged"]) == (3, 5.0, 3, None)
    totals = report["totals"]
    assert totals["ratings"] == 9 and totals["flagged_ratings"] == 3
    assert totals["score_avg"] == round((15 + 9 + 6) / 9, 2) and totals["score_avg_unflagged"] == 2.5
    assert totals["satisfaction_rate_unflagged"] == 0.0


def test_flags_are_read_by_supervisors_and_inspectors_never_by_a_clerk(client, login) -> None:  # type: ignore[no-untyped-def]
    for username in ("giamsat", "thanhtra", "admin"):
        answer = client.get("/api/v1/ratings/flags", headers=login(username))
        assert answer.status_code == 200 and answer.json == []
    assert client.get("/api/v1/ratings/flags", headers=login("canbo1")).status_code == 403
    assert client.get("/api/v1/ratings/flags?from=2026-11-30&to=2026-11-01", headers=login("giamsat")).status_code == 422
