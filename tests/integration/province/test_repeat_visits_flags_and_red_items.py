"""Issue 14 at the province: a site's repeat visits, rating flags and open red items reach the central's
rankings, a site's page and the board, through the event log and the real ingest. SQLite and PostgreSQL.

The site (the demo centre, site 1) works one day through its real core; its event log is then ingested
by the central (province site 14, as the uplink would send it). Figures by hand, day D = 25 Nov 2026:

- counter 1, clerk 1, field 1: ticket A, dossier HS-1 returned for `don`, rated 5 (after a real service);
  ticket B, HS-1 again returned for `cccd` (a repeat, and a breach: `cccd` was not on the first list),
  rated 4 eight seconds after its call (flag `too_soon`); ticket C, HS-2 received, rated 2;
- ticket K issued at the kiosk with the answer "3rd visit or more", never called.
→ visits_known 4, repeat_visits 2 (B, K), repeat_visit_rate 0.5; dossier_visits 3, returned 2, breaches 1;
  ratings 3 (5, 4, 2) → satisfaction index 66.7; flagged 1 (the 4) → without it 1 of 2 → 50.0.
The week of D reviewed with strict targets raises satisfaction_low, repeat_rate_high, rating_flags and
alerts_open (the score 2 raised a low-rating alert nobody acknowledged); the head of the centre gives
satisfaction_low an action due Wednesday and clears repeat_rate_high: on the Thursday, 3 items are open,
1 overdue, satisfaction_low (overdue) first, then rating_flags before alerts_open (the more serious).
"""
from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select

from server import administration
from server.auth.secrets import hash_password
from server.models import Event, LeaderItem, Site, Staff, StaffRole
from server.province import ingest as province_ingest
from server.province.models import ProvinceSite
from server.queue import events as ev
from server.queue.actors import Actor
from server.queue.service import RatingRequest
from server.reports.periods import Period
from server.reports.summary import summary_report

KIOSK = Actor(kind="device", id=1, site_id=1, role="kiosk")
CLERK = Actor(kind="staff", id=1, site_id=1, role="clerk")
TERMINAL = Actor(kind="device", id=3, site_id=1, role="rating_terminal", counter_id=1)
LEADER = Actor(kind="staff", id=8, site_id=1, role="leader")
DAY = dt.date(2026, 11, 25)  # a Wednesday (the clock fixture's local morning)
MONDAY = dt.date(2026, 11, 30)
PROVINCE_SITE = 14
VISIT_FIGURES = ("visits_known", "repeat_visits", "repeat_visit_rate", "dossier_visits", "returned",
                 "guidance_breaches", "flagged_ratings", "ratings_unflagged", "satisfaction_rate_unflagged")


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.timezone.utc) - dt.timedelta(hours=7)


def serve(queue, clock, code: str, outcome: str, missing: list[str], score: int, service_s: int) -> int:  # type: ignore[no-untyped-def]
    queue().issue_ticket(1, KIOSK)
    ticket = queue().call_next(1, CLERK)
    queue().attach_dossier(ticket.id, CLERK, code, outcome, missing)
    clock.advance(seconds=service_s)
    queue().finish(ticket.id, CLERK)
    clock.advance(seconds=5)
    queue().rate(RatingRequest(score=score, ticket_id=ticket.id), TERMINAL)
    clock.advance(minutes=10)
    return ticket.id


def ingest_site_log(session_factory, clock) -> None:  # type: ignore[no-untyped-def]
    """Send the site's whole log to the central as its uplink would (events after what it holds)."""
    session = session_factory()
    held = session.scalar(select(ProvinceSite.last_seq).where(ProvinceSite.id == PROVINCE_SITE))
    rows = session.scalars(select(Event).where(Event.site_id == 1, Event.seq > held).order_by(Event.seq)).all()
    batch = [{"site_id": row.site_id, "seq": row.seq, "type": row.type, "payload": row.payload,
              "created_at": row.created_at.isoformat(), "hash": row.hash} for row in rows]
    result = province_ingest.ingest(session, PROVINCE_SITE, batch, clock.now(), timezone="Asia/Ho_Chi_Minh")
    session.close()
    assert result.error is None and result.stored == len(batch), result


@pytest.fixture
def central(database_url, clock, queue, session_factory):  # type: ignore[no-untyped-def]
    """The demo site's day and week as above, and a central (same database, its own tables) holding it."""
    from tests.integration.province.conftest import province_app

    session = session_factory()
    administration.update_site_settings(session, session.get(Site, 1), {
        "dossiers": {"ask_visit_at_kiosk": True},
        "leader_board": {"min_ratings": 1, "min_served": 1, "min_visits": 1, "satisfaction_target": 0.9,
                         "repeat_rate_target": 0.1, "wait_p90_target_s": 3600, "response_rate_target": 0.5}},
        clock.now())
    session.add(ProvinceSite(id=PROVINCE_SITE, code="XA-DEMO", name="Phường Trung Tâm",
                             key_hash=hashlib.sha256(b"xa-demo").hexdigest(), created_at=clock.now(),
                             origin_site_id=1, connected=True, last_seen_at=clock.now()))
    session.add(Staff(site_id=None, username="tinh", full_name="Cán bộ tỉnh", role=StaffRole.LEADER,
                      password_hash=hash_password("demo"), created_at=clock.now()))
    session.commit()
    session.close()

    serve(queue, clock, "HS-1", "returned", ["don"], 5, service_s=300)
    serve(queue, clock, "HS-1", "returned", ["cccd"], 4, service_s=3)  # rated 8 s after its call
    serve(queue, clock, "HS-2", "received", [], 2, service_s=240)
    queue().issue_ticket(1, KIOSK, declared_visit=3)
    assert queue().review_rating_flags(1, DAY) is True
    assert queue().review_rating_flags(1, DAY) is False  # nothing changed: nothing logged

    clock.set(local(MONDAY, 8))
    items = {item.kind: item.id for item in queue().review_week(1, MONDAY - dt.timedelta(days=7))}
    assert set(items) == {"satisfaction_low", "repeat_rate_high", "rating_flags", "alerts_open"}
    queue().record_leader_action(items["satisfaction_low"], LEADER, "Họp rút kinh nghiệm với cán bộ quầy 1",
                                 MONDAY + dt.timedelta(days=2))
    queue().record_leader_action(items["repeat_rate_high"], LEADER, "Niêm yết đủ danh mục giấy tờ",
                                 MONDAY + dt.timedelta(days=1))
    queue().clear_leader_item(items["repeat_rate_high"], LEADER, "Đã niêm yết tại quầy 1")
    clock.set(local(MONDAY + dt.timedelta(days=3), 9))  # Thursday: the Wednesday action is overdue

    ingest_site_log(session_factory, clock)
    application = province_app(database_url, clock)
    yield application
    application.extensions["hangcho"].engine.dispose()


def login(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    answer = client.post("/api/v1/auth/login", json={"username": "tinh", "password": "demo"})
    assert answer.status_code == 200, answer.get_json()
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def test_the_rating_flags_reach_the_log_without_personal_data(central, session_factory) -> None:  # type: ignore[no-untyped-def]
    session = session_factory()
    logged = session.scalars(select(Event).where(Event.type == ev.RATING_FLAGS_REVIEWED)).all()
    assert len(logged) == 1
    payload = logged[0].payload
    assert payload["business_date"] == DAY.isoformat() and payload["unflagged"] == []
    assert [(flag["score"], flag["kinds"], flag["counter_id"], flag["clerk_id"]) for flag in payload["flags"]] == [
        (4, ["too_soon"], 1, 1)]
    assert set(payload["flags"][0]) == {"rating_id", "ticket_id", "service_id", "counter_id", "clerk_id", "score",
                                        "kinds"}
    session.close()


def test_rankings_carry_the_repeat_visit_rate_and_the_unflagged_index(central) -> None:  # type: ignore[no-untyped-def]
    client = central.test_client()
    rows = client.get(f"/api/v1/province/rankings?from={DAY}&to={DAY}&min_ratings=1", headers=login(client)).get_json()
    row = next(row for row in rows if row["site_id"] == PROVINCE_SITE)
    assert (row["issued"], row["served"], row["ratings"], row["satisfaction_index"]) == (4, 3, 3, 66.7)
    assert (row["visits_known"], row["repeat_visits"], row["repeat_visit_rate"], row["returned"]) == (4, 2, 0.5, 2)
    assert (row["flagged_ratings"], row["satisfaction_index_unflagged"]) == (1, 50.0)
    ranked = client.get(f"/api/v1/province/rankings?from={DAY}&to={DAY}&min_ratings=0&metric=repeat_visit_rate",
                        headers=login(client)).get_json()
    assert ranked[0]["site_id"] == PROVINCE_SITE and ranked[0]["rank"] == 1
    assert all(other["repeat_visit_rate"] is None for other in ranked[1:])  # no known visits rank after


def test_ranking_downloads_name_the_new_columns(central) -> None:  # type: ignore[no-untyped-def]
    client = central.test_client()
    answer = client.get(f"/api/v1/province/rankings?from={DAY}&to={DAY}&min_ratings=1&format=csv",
                        headers=login(client))
    lines = answer.data.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["Hạng", "Mã", "Trung tâm"]
    assert "Tỷ lệ phải đi lại (%)" in header and "Đánh giá bị gắn cờ" in header
    line = next(line.split(",") for line in lines[1:] if ",XA-DEMO," in line)
    assert line[header.index("Tỷ lệ phải đi lại (%)")] == "50.0" and line[header.index("Đánh giá bị gắn cờ")] == "1"


def test_the_sites_summary_at_the_central_equals_its_own_report(central, session_factory) -> None:  # type: ignore[no-untyped-def]
    client = central.test_client()
    session = session_factory()
    own = summary_report(session, [1], Period(DAY, DAY), "counter", use_rollups=False)
    session.close()
    report = client.get(f"/api/v1/province/sites/{PROVINCE_SITE}/summary?from={DAY}&to={DAY}&group_by=counter",
                        headers=login(client)).get_json()
    assert [report["totals"][name] for name in VISIT_FIGURES] == [own["totals"][name] for name in VISIT_FIGURES]
    assert [report["totals"][name] for name in VISIT_FIGURES] == [4, 2, 0.5, 3, 2, 1, 1, 2, 0.5]
    assert {row["key"]: [row[name] for name in VISIT_FIGURES] for row in report["rows"]} == {
        row["key"]: [row[name] for name in VISIT_FIGURES] for row in own["rows"]}
    page = client.get(f"/province/sites/{PROVINCE_SITE}?from={DAY}&to={DAY}", headers=login(client))
    text = page.get_data(as_text=True)
    assert 'id="total-repeat-rate">50%' in text.replace("50,0%", "50%") and 'id="total-flagged">1<' in text


def test_the_sites_own_roll_ups_hold_the_same_figures(central, session_factory) -> None:  # type: ignore[no-untyped-def]
    """The site builds its roll-ups from its tables (the flags from what its log said), the central from the
    events: one code, the same figures."""
    from server.rollups.report import rollup_figures
    from server.rollups.site import catch_up

    session = session_factory()
    catch_up(session, 1)
    session.commit()
    period = Period(DAY, DAY)
    _, at_site = rollup_figures(session, [1], period, "site")
    _, at_central = rollup_figures(session, [PROVINCE_SITE], period, "site")
    session.close()
    assert at_site.as_row() == at_central.as_row()
    assert (at_site.visits_known, at_site.repeat_visits, sum(at_site.flagged_scores.values())) == (4, 2, 1)


def test_a_flag_that_goes_away_is_taken_out_at_the_central(central, queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    session = session_factory()
    administration.update_site_settings(session, session.get(Site, 1), {"rating_flags": {"too_soon_s": 5}}, clock.now())
    session.commit()
    session.close()
    assert queue().review_rating_flags(1, DAY) is True
    ingest_site_log(session_factory, clock)
    session = session_factory()
    last = session.scalars(select(Event).where(Event.type == ev.RATING_FLAGS_REVIEWED).order_by(Event.seq.desc())).first()
    session.close()
    assert last.payload["flags"] == [] and len(last.payload["unflagged"]) == 1
    client = central.test_client()
    rows = client.get(f"/api/v1/province/rankings?from={DAY}&to={DAY}&min_ratings=1", headers=login(client)).get_json()
    row = next(row for row in rows if row["site_id"] == PROVINCE_SITE)
    assert (row["flagged_ratings"], row["satisfaction_index_unflagged"], row["satisfaction_index"]) == (0, 66.7, 66.7)


def test_the_board_shows_the_open_red_items_worst_first(central, session_factory) -> None:  # type: ignore[no-untyped-def]
    client = central.test_client()
    rows = client.get("/api/v1/province/sites", headers=login(client)).get_json()
    row = next(row for row in rows if row["id"] == PROVINCE_SITE)
    assert (row["red_items_open"], row["red_items_overdue"]) == (3, 1)
    assert [(item["kind"], item["due"], item["overdue"]) for item in row["red_items"]] == [
        ("satisfaction_low", (MONDAY + dt.timedelta(days=2)).isoformat(), True), ("rating_flags", None, False),
        ("alerts_open", None, False)]
    session = session_factory()
    open_at_site = session.scalars(select(LeaderItem.kind).where(LeaderItem.cleared_at.is_(None))).all()
    session.close()
    assert sorted(open_at_site) == sorted(item["kind"] for item in row["red_items"])
