"""The leader's board on SQLite and PostgreSQL: red items of a complete week, actions with due dates,
overdue items stay red, nothing cleared without a note, every step in the log (docs/leader-board.md)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from server import administration, errors
from server.models import Event, LeaderItem, Site, Staff
from server.queue import events as ev
from server.queue.actors import Actor
from server.queue.leadership import item_view, leader_board, week_start_of
from server.queue.service import RatingRequest

KIOSK = Actor(kind="device", id=1, site_id=1, role="kiosk")
SUPERVISOR = Actor(kind="staff", id=5, site_id=1, role="supervisor")
CLERK_1 = Actor(kind="staff", id=1, site_id=1, role="clerk")
# Monday 16 Nov 2026 (the week before the tests' Wednesday 25 Nov), 09:00 in Hà Nội.
LAST_MONDAY = dt.datetime(2026, 11, 16, 2, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def leader(session_factory) -> Actor:  # type: ignore[no-untyped-def]
    session = session_factory()
    staff = session.scalar(select(Staff).where(Staff.username == "lanhdao"))
    session.close()
    return Actor(kind="staff", id=staff.id, site_id=1, role="leader")


def a_bad_week(queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    """Last week: a 10-minute wait (target set to 5) and one "bình thường" rating (target 99 %)."""
    session = session_factory()
    administration.update_site_settings(session, session.get(Site, 1), {"leader_board": {
        "wait_p90_target_s": 300, "satisfaction_target": 0.99, "min_ratings": 1}}, clock.now())
    session.commit()
    session.close()
    now = clock.now()
    clock.set(LAST_MONDAY)
    queue().issue_ticket(1, KIOSK)
    clock.advance(minutes=10)
    ticket = queue().call_next(1, CLERK_1)
    clock.advance(minutes=4)
    queue().finish(ticket.id, CLERK_1)
    clock.advance(seconds=5)
    queue().rate(RatingRequest(score=3, ticket_id=ticket.id),
                 Actor(kind="device", id=3, site_id=1, role="rating_terminal", counter_id=1))
    clock.set(now)


def test_a_complete_weeks_figures_past_their_targets_become_red_items_once(queue, clock, session_factory) -> None:  # type: ignore[no-untyped-def]
    a_bad_week(queue, clock, session_factory)
    week = week_start_of(LAST_MONDAY.date())
    items = queue().review_week(1, week)
    assert sorted(item.kind for item in items) == ["satisfaction_low", "wait_p90_high"]
    wait = next(item for item in items if item.kind == "wait_p90_high")
    assert (wait.figure, wait.target) == (600.0, 300.0)
    assert queue().review_week(1, week) == []  # once per week
    with pytest.raises(errors.ValidationFailed):
        queue().review_week(1, week_start_of(clock.now().date()))  # this week is not over
    session = session_factory()
    raised = session.scalars(select(Event).where(Event.type == ev.LEADER_ITEMS_RAISED)).all()
    assert len(raised) == 1 and len(raised[0].payload["items"]) == 2
    session.close()


def test_the_leader_acts_overdue_items_stay_red_and_nothing_is_cleared_without_a_note(  # type: ignore[no-untyped-def]
        queue, clock, session_factory, leader) -> None:
    a_bad_week(queue, clock, session_factory)
    item = queue().review_week(1, week_start_of(LAST_MONDAY.date()))[0]
    today = clock.now().date()
    with pytest.raises(errors.Forbidden):
        queue().record_leader_action(item.id, SUPERVISOR, "Bố trí thêm một quầy buổi sáng", today)
    with pytest.raises(errors.ValidationFailed):
        queue().record_leader_action(item.id, leader, "ok", today)
    with pytest.raises(errors.ValidationFailed):
        queue().record_leader_action(item.id, leader, "Bố trí thêm một quầy buổi sáng", today - dt.timedelta(days=1))
    with pytest.raises(errors.Conflict):
        queue().clear_leader_item(item.id, leader, "Đã khắc phục xong việc này")  # no action yet
    queue().record_leader_action(item.id, leader, "Bố trí thêm một quầy buổi sáng", today + dt.timedelta(days=2))
    clock.advance(days=3)
    session = session_factory()
    view = item_view(session.get(LeaderItem, item.id), clock.now().date(), {})
    board = leader_board(session, session.get(Site, 1), clock.now())
    session.close()
    assert view["red"] and view["overdue"] and not view["needs_action"]
    assert board["overdue"] == 1 and board["open"] == 2
    with pytest.raises(errors.ValidationFailed):
        queue().clear_leader_item(item.id, leader, "  ")
    cleared = queue().clear_leader_item(item.id, leader, "Đã bố trí quầy số 4 từ thứ Hai, chờ số liệu tuần sau")
    assert cleared.cleared_at is not None
    with pytest.raises(errors.Conflict):
        queue().clear_leader_item(item.id, leader, "Lần thứ hai không được phép")
    session = session_factory()
    types = [event.type for event in session.scalars(select(Event).where(Event.type.like("leader_%")).order_by(Event.seq))]
    actors = [event.actor for event in session.scalars(select(Event).where(Event.type == ev.LEADER_ITEM_CLEARED))]
    session.close()
    assert types == [ev.LEADER_ITEMS_RAISED, ev.LEADER_ACTION_RECORDED, ev.LEADER_ITEM_CLEARED]
    assert actors == [f"staff:leader:{leader.id}"]


def test_the_board_api_is_read_by_the_leader_and_supervisors_and_written_by_the_leader_only(client, login) -> None:  # type: ignore[no-untyped-def]
    lanhdao = login("lanhdao")
    board = client.get("/api/v1/leader/board", headers=lanhdao)
    assert board.status_code == 200 and board.json["items"] == []
    assert client.get("/api/v1/leader/board", headers=login("giamsat")).status_code == 200
    assert client.get("/api/v1/leader/board", headers=login("canbo1")).status_code == 403
    week = board.json["last_week"]
    assert client.post("/api/v1/leader/review", json={"week_start": week}, headers=login("giamsat")).status_code == 403
    assert client.post("/api/v1/leader/review", json={"week_start": week}, headers=lanhdao).status_code == 200
    assert client.post("/api/v1/leader/items/1/action", json={"action": "Bố trí thêm quầy", "due": "2026-12-01"},
                       headers=lanhdao).status_code == 404
    assert client.post("/api/v1/leader/items/1/clear", json={"note": "x" * 20}, headers=login("admin")).status_code == 403
