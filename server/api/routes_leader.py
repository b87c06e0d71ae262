"""The leader's board at the site: red items of each complete week, the head of the centre's actions and
notes (docs/leader-board.md)."""
from __future__ import annotations

from typing import Any

from flask import jsonify
from pydantic import Field

from server import errors
from server.api import api
from server.api.schemas import Answer, Id, IsoDate, Strict
from server.api.validation import documented, json_body
from server.auth.access import allow, require_actor
from server.models import Site
from server.queue.leadership import item_view, leader_board
from server.queue.rules import business_date
from server.runtime import db_session, queue_service, runtime

BOARD_READERS = ("leader", "supervisor", "admin", "inspector")


class ReviewBody(Strict):
    week_start: IsoDate


class ActionBody(Strict):
    action: str = Field(min_length=1, max_length=1000)
    due: IsoDate


class ClearBody(Strict):
    note: str = Field(min_length=1, max_length=1000)


class LeaderItemAnswer(Answer):
    id: int
    week_start: str
    kind: str
    red: bool
    overdue: bool
    needs_action: bool


class LeaderBoardAnswer(Answer):
    site_id: int
    open: int
    overdue: int
    items: list[LeaderItemAnswer]


def _site() -> Site:
    actor = require_actor()
    session = db_session()
    site = session.get(Site, actor.site_id) if actor.site_id is not None else session.query(Site).order_by(Site.id).first()
    if site is None:
        raise errors.NotFound()
    return site


def _answer(item: Any) -> Any:
    site = db_session().get(Site, item.site_id)
    today = business_date(runtime().clock.now(), site.timezone)
    return jsonify(item_view(item, today, {}))


@api.get("/leader/board")
@allow(*BOARD_READERS)
@documented("The leader's board: red items of the recent weeks (and every one still open), actions, due dates",
            responses={200: LeaderBoardAnswer}, tags=("leader",))
def get_leader_board():  # type: ignore[no-untyped-def]
    return jsonify(leader_board(db_session(), _site(), runtime().clock.now()))


@api.post("/leader/review")
@allow("leader", "admin")
@documented("Review a complete week now (the scheduler does it once a week is over); once per week",
            body=ReviewBody, responses={200: list[LeaderItemAnswer], 422: "validation_failed"}, tags=("leader",))
def review_week():  # type: ignore[no-untyped-def]
    body = json_body(ReviewBody)
    site = _site()
    items = queue_service().review_week(site.id, body.week_start)
    today = business_date(runtime().clock.now(), site.timezone)
    return jsonify([item_view(item, today, {}) for item in items])


@api.post("/leader/items/<int:item_id>/action")
@allow("leader")
@documented("The head of the centre records the action on a red item and its due date (audited)",
            body=ActionBody, responses={200: LeaderItemAnswer, 409: "already cleared", 422: "validation_failed"},
            tags=("leader",))
def record_leader_action(item_id: int):  # type: ignore[no-untyped-def]
    body = json_body(ActionBody)
    return _answer(queue_service().record_leader_action(item_id, require_actor(), body.action, body.due))


@api.post("/leader/items/<int:item_id>/clear")
@allow("leader")
@documented("Clear a red item: only after an action, never without a note (audited)", body=ClearBody,
            responses={200: LeaderItemAnswer, 409: "no action yet, or already cleared", 422: "validation_failed"},
            tags=("leader",))
def clear_leader_item(item_id: int):  # type: ignore[no-untyped-def]
    body = json_body(ClearBody)
    return _answer(queue_service().clear_leader_item(item_id, require_actor(), body.note))
