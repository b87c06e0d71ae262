"""The leader's board (trách nhiệm người đứng đầu): a site's red items per week and what the head of the
centre did about them (docs/leader-board.md).

Once a week is complete, `review_week` reads its figures (the summary report, the rating flags, the
alerts left open) against the site's targets (`leader_board` settings) and raises one red item per figure
past its target. The head of the centre (role `leader`) records an action and its due date on each; an
item stays red until it is cleared, and is cleared only with a note, after an action was recorded. Every
step is an event in the hash-chained log (the audit), pushed to the dashboards.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from server import errors
from server.errors import N_
from server.models import Alert, LeaderItem, LeaderReview, Site, Staff
from server.queue import events as ev
from server.queue.actors import Actor
from server.queue.rules import business_date
from server.queue.site_settings import site_settings
from server.queue.unit_of_work import Concern, verb

KINDS = ("satisfaction_low", "wait_p90_high", "repeat_rate_high", "rating_flags", "alerts_open", "response_rate_low")
# What each kind of red item is called on the site's leader's board and on the province board alike.
KIND_NAMES = {
    "satisfaction_low": N_("Satisfaction below target"),
    "wait_p90_high": N_("Waiting time (P90) above target"),
    "repeat_rate_high": N_("Repeat visits above target"),
    "rating_flags": N_("Ratings flagged as doubtful"),
    "alerts_open": N_("Alerts left open"),
    "response_rate_low": N_("Too few citizens rate"),
}
NOTE_MIN_LENGTH = 10


def week_start_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def last_complete_week(site: Site, now: dt.datetime) -> dt.date:
    """The Monday of the latest local week that has ended."""
    return week_start_of(business_date(now, site.timezone)) - dt.timedelta(weeks=1)


def check_leader(actor: Actor, site_id: int) -> None:
    if actor.kind != "staff" or actor.role != "leader" or (actor.site_id is not None and actor.site_id != site_id):
        raise errors.Forbidden()


class Leadership(Concern):
    @verb
    def review_week(self, site_id: int, week_start: dt.date) -> list[LeaderItem]:
        """Raise the red items of one complete week (once per site and week); returns the new items."""
        from server.reports.periods import Period
        from server.reports.summary import summary_report

        site = self.uow.lock_site(site_id)
        week_start = week_start_of(week_start)
        now = self.uow.now()
        if week_start + dt.timedelta(days=7) > business_date(now, site.timezone):
            raise errors.ValidationFailed(fields={"week": N_("only a complete week can be reviewed")})
        if self.session.scalar(select(LeaderReview.id).where(LeaderReview.site_id == site.id,
                                                             LeaderReview.week_start == week_start)) is not None:
            return []
        period = Period(week_start, week_start + dt.timedelta(days=6))
        totals = summary_report(self.session, [site.id], period, "site")["totals"]
        targets = site_settings(site.settings).leader_board
        found: list[tuple[str, float | None, float | None, dict[str, Any]]] = []
        if totals["ratings"] >= targets.min_ratings and totals["satisfaction_rate"] is not None \
                and totals["satisfaction_rate"] < targets.satisfaction_target:
            found.append(("satisfaction_low", totals["satisfaction_rate"], targets.satisfaction_target,
                          {"ratings": totals["ratings"], "satisfaction_rate_unflagged": totals["satisfaction_rate_unflagged"]}))
        if totals["wait_p90_s"] is not None and totals["wait_p90_s"] > targets.wait_p90_target_s:
            found.append(("wait_p90_high", totals["wait_p90_s"], float(targets.wait_p90_target_s),
                          {"issued": totals["issued"], "wait_p50_s": totals["wait_p50_s"]}))
        if totals["visits_known"] >= targets.min_visits and totals["repeat_visit_rate"] is not None \
                and totals["repeat_visit_rate"] > targets.repeat_rate_target:
            found.append(("repeat_rate_high", totals["repeat_visit_rate"], targets.repeat_rate_target,
                          {"visits_known": totals["visits_known"], "repeat_visits": totals["repeat_visits"],
                           "guidance_breaches": totals["guidance_breaches"]}))
        if totals["flagged_ratings"]:
            found.append(("rating_flags", float(totals["flagged_ratings"]), 0.0, {"ratings": totals["ratings"]}))
        start, end = period.utc_bounds(site.timezone)
        open_alerts = self.session.scalar(select(func.count(Alert.id)).where(
            Alert.site_id == site.id, Alert.created_at >= start, Alert.created_at < end,
            Alert.acknowledged_at.is_(None), Alert.resolved_at.is_(None))) or 0
        if open_alerts:
            found.append(("alerts_open", float(open_alerts), 0.0, {}))
        if totals["served"] >= targets.min_served and totals["response_rate"] is not None \
                and totals["response_rate"] < targets.response_rate_target:
            found.append(("response_rate_low", totals["response_rate"], targets.response_rate_target,
                          {"served": totals["served"], "ratings": totals["ratings"]}))
        self.session.add(LeaderReview(site_id=site.id, week_start=week_start, created_at=now))
        items = [LeaderItem(site_id=site.id, week_start=week_start, kind=kind, figure=figure, target=target,
                            evidence=evidence, created_at=now) for kind, figure, target, evidence in found]
        self.session.add_all(items)
        self.session.flush()
        self.uow.record(ev.LEADER_ITEMS_RAISED, site.id,
                        {"week_start": week_start.isoformat(),
                         "items": [{"item_id": item.id, "kind": item.kind, "figure": item.figure, "target": item.target}
                                   for item in items]},
                        (ev.dashboard_room(site.id),))
        return items

    def _open_item(self, item_id: int, actor: Actor) -> tuple[LeaderItem, Site]:
        """The red item and its site (locked) for the head of the centre; a cleared item changes no more."""
        self.uow.actor = actor
        item = self._item(item_id, actor)
        site = self.uow.lock_site(item.site_id)
        check_leader(actor, site.id)
        if item.cleared_at is not None:
            raise errors.Conflict(message=N_("This item is already cleared."))
        return item, site

    @verb
    def record_action(self, item_id: int, actor: Actor, action: str, due: dt.date) -> LeaderItem:
        """The head of the centre says what will be done, and by when; a later action replaces it (the log
        keeps every one)."""
        item, site = self._open_item(item_id, actor)
        action = action.strip()
        if len(action) < NOTE_MIN_LENGTH:
            raise errors.ValidationFailed(fields={"action": N_("say what will be done (at least 10 characters)")})
        today = business_date(self.uow.now(), site.timezone)
        if due < today:
            raise errors.ValidationFailed(fields={"due": N_("the due date cannot be in the past")})
        item.action, item.action_due = action[:1000], due
        item.action_by_id, item.action_at = actor.id, self.uow.now()
        self.uow.record(ev.LEADER_ACTION_RECORDED, site.id,
                        {"item_id": item.id, "kind": item.kind, "week_start": item.week_start.isoformat(),
                         "action": item.action, "due": due.isoformat(), "by": actor.id},
                        (ev.dashboard_room(site.id),))
        return item

    @verb
    def clear_item(self, item_id: int, actor: Actor, note: str) -> LeaderItem:
        """Clear a red item: only after an action was recorded, and never without a note."""
        item, site = self._open_item(item_id, actor)
        note = note.strip()
        if len(note) < NOTE_MIN_LENGTH:
            raise errors.ValidationFailed(fields={"note": N_("a note is needed to clear an item (at least 10 characters)")})
        if not item.action:
            raise errors.Conflict(message=N_("Record an action and its due date before clearing this item."))
        item.cleared_note, item.cleared_by_id, item.cleared_at = note[:1000], actor.id, self.uow.now()
        self.uow.record(ev.LEADER_ITEM_CLEARED, site.id,
                        {"item_id": item.id, "kind": item.kind, "week_start": item.week_start.isoformat(),
                         "note": item.cleared_note, "by": actor.id},
                        (ev.dashboard_room(site.id),))
        return item

    def _item(self, item_id: int, actor: Actor) -> LeaderItem:
        item = self.session.get(LeaderItem, item_id)
        if item is None or (actor.site_id is not None and item.site_id != actor.site_id):
            raise errors.NotFound()
        return item


def item_view(item: LeaderItem, today: dt.date, names: dict[int, str]) -> dict[str, Any]:
    overdue = item.cleared_at is None and item.action_due is not None and item.action_due < today
    return {
        "id": item.id, "week_start": item.week_start.isoformat(), "kind": item.kind,
        "figure": item.figure, "target": item.target, "evidence": item.evidence,
        "action": item.action or None, "action_due": item.action_due.isoformat() if item.action_due else None,
        "action_by": names.get(item.action_by_id) if item.action_by_id else None,
        "action_at": item.action_at.isoformat() if item.action_at else None,
        "cleared": item.cleared_at is not None, "cleared_note": item.cleared_note or None,
        "cleared_by": names.get(item.cleared_by_id) if item.cleared_by_id else None,
        "cleared_at": item.cleared_at.isoformat() if item.cleared_at else None,
        # Red until cleared; an action past its due date keeps it red and says so.
        "red": item.cleared_at is None, "needs_action": item.cleared_at is None and not item.action,
        "overdue": overdue,
    }


def leader_board(session: Any, site: Site, now: dt.datetime, weeks: int = 8) -> dict[str, Any]:
    today = business_date(now, site.timezone)
    since = last_complete_week(site, now) - dt.timedelta(weeks=weeks - 1)
    items = list(session.scalars(select(LeaderItem).where(LeaderItem.site_id == site.id)
                                 .where((LeaderItem.week_start >= since) | LeaderItem.cleared_at.is_(None))
                                 .order_by(LeaderItem.week_start.desc(), LeaderItem.id)))
    staff_ids = {i for item in items for i in (item.action_by_id, item.cleared_by_id) if i}
    names = {staff.id: staff.full_name or staff.username
             for staff in session.scalars(select(Staff).where(Staff.id.in_(staff_ids)))} if staff_ids else {}
    views = [item_view(item, today, names) for item in items]
    reviewed = [row.isoformat() for row in session.scalars(
        select(LeaderReview.week_start).where(LeaderReview.site_id == site.id, LeaderReview.week_start >= since)
        .order_by(LeaderReview.week_start.desc()))]
    return {"site_id": site.id, "today": today.isoformat(), "last_week": last_complete_week(site, now).isoformat(),
            "reviewed_weeks": reviewed, "open": sum(1 for view in views if view["red"]),
            "overdue": sum(1 for view in views if view["overdue"]), "items": views,
            "targets": site_settings(site.settings).leader_board.model_dump()}
