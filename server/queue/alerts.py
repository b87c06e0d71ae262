"""Alerts for supervisors: one open alert per situation, and the alert describes the present.

A situation has a dedupe key ("device:3", "printer:1", "long_wait:2:2026-11-25"). While an alert of that
key is unresolved (acknowledged or not), the same situation raises nothing new; when the situation is
over by itself (the device is back, the wait is short again) the alert is resolved, with how long it
lasted, and leaves the dashboard.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from sqlalchemy import select

from server import errors
from server.models import Alert
from server.queue import events as ev
from server.queue.actors import Actor
from server.queue.unit_of_work import Concern, verb

CRITICAL_KINDS = ("printer_problem", "device_offline")


class Alerts(Concern):
    def raise_(self, site_id: int, kind: str, dedupe_key: str, message: str, params: dict[str, Any]) -> Alert | None:
        """Raise an alert unless one of the same situation is still unresolved."""
        if self.unresolved(site_id, dedupe_key) is not None:
            return None
        alert = Alert(site_id=site_id, kind=kind, severity="critical" if kind in CRITICAL_KINDS else "warning",
                      message=message % params, dedupe_key=dedupe_key, payload={"template": message, "params": params},
                      created_at=self.uow.now())
        self.session.add(alert)
        self.session.flush()
        self.uow.record(
            ev.ALERT, site_id,
            {"alert_id": alert.id, "kind": kind, "severity": alert.severity, "message": alert.message,
             "template": message, "params": params, "created_at": alert.created_at.isoformat()},
            (ev.dashboard_room(site_id),),
        )
        return alert

    def unresolved(self, site_id: int, dedupe_key: str) -> Alert | None:
        return self.session.scalar(select(Alert).where(Alert.site_id == site_id, Alert.dedupe_key == dedupe_key,
                                                       Alert.resolved_at.is_(None)).limit(1))

    def resolve(self, site_id: int, dedupe_key: str) -> Alert | None:
        """The situation is over: the alert leaves the dashboard, keeping how long it lasted."""
        alert = self.unresolved(site_id, dedupe_key)
        if alert is None:
            return None
        now = self.uow.now()
        alert.resolved_at = now
        lasted_s = round((now - alert.created_at).total_seconds())
        since = alert.payload.get("params", {}).get("since")
        out_s = round((now - dt.datetime.fromisoformat(since)).total_seconds()) if since else lasted_s
        alert.payload = {**alert.payload, "lasted_s": lasted_s, "out_s": out_s}
        self.uow.record(ev.ALERT_RESOLVED, site_id,
                        {"alert_id": alert.id, "kind": alert.kind, "resolved_at": now.isoformat(), "out_s": out_s},
                        (ev.dashboard_room(site_id),))
        return alert

    def resolve_all_but(self, site_id: int, kinds: Iterable[str], still_true: set[str]) -> int:
        """Resolve the alerts of these kinds whose situation no longer holds."""
        stale = list(self.session.scalars(select(Alert.dedupe_key).where(
            Alert.site_id == site_id, Alert.kind.in_(list(kinds)), Alert.resolved_at.is_(None))))
        for key in stale:
            if key not in still_true:
                self.resolve(site_id, key)
        return len([key for key in stale if key not in still_true])

    @verb
    def acknowledge(self, alert_id: int, actor: Actor) -> Alert:
        self.uow.actor = actor
        if not actor.is_supervisor:
            raise errors.Forbidden()
        alert = self.session.get(Alert, alert_id)
        if alert is None or (actor.site_id is not None and alert.site_id != actor.site_id):
            raise errors.NotFound()
        self.uow.lock_site(alert.site_id)
        self.session.refresh(alert)
        if alert.acknowledged_at is None:
            alert.acknowledged_at = self.uow.now()
            alert.acknowledged_by_id = actor.id
            self.uow.record(ev.ALERT_ACKNOWLEDGED, alert.site_id, {"alert_id": alert.id, "acknowledged_by": actor.id},
                            (ev.dashboard_room(alert.site_id),))
        return alert

    @verb
    def raise_checked(self, site_id: int, kind: str, dedupe_key: str, message: str, params: dict[str, Any]) -> None:
        """For periodic checks (long waits, idle counters): one open alert per situation."""
        self.uow.lock_site(site_id)
        self.raise_(site_id, kind, dedupe_key, message, params)

    @verb
    def settle_checked(self, site_id: int, kinds: tuple[str, ...], still_true: set[str]) -> int:
        """For periodic checks: resolve the alerts of `kinds` whose situation is over."""
        self.uow.lock_site(site_id)
        return self.resolve_all_but(site_id, kinds, still_true)

