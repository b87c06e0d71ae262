"""Device health: kiosks, displays, rating terminals, bridges and the serial devices a bridge drives.

A device that goes away is shown offline at once, but raises an alert only if it stays away past the
site's grace period (a reload or a server restart is not an outage); when it is back, its alert
resolves itself with the time it was out. A printer that reports a fault (paper out, error) raises at
once, and clears when the printer reports online again.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import errors
from server.errors import N_
from server.models import Device
from server.queue import events as ev
from server.queue.alerts import Alerts
from server.queue.site_settings import site_settings
from server.queue.unit_of_work import Concern, verb

AWAY = "offline"
FAULTS = ("paper_out", "error")
DEVICE_AWAY_MESSAGE = N_("Device %(device)s is %(status)s")


def situation_key(device: Device, hardware: str | None) -> str:
    return f"{hardware}@{device.id}" if hardware else f"device:{device.id}"


def alert_kind(hardware: str | None) -> str:
    return "printer_problem" if hardware and hardware.startswith("printer") else "device_offline"


class Devices(Concern):
    @verb
    def report_status(self, device_id: int, status: str, message: str = "", hardware: str | None = None) -> None:
        """A device came online or went offline, or a bridge reports one of its serial devices."""
        device = self.session.get(Device, device_id)
        if device is None:
            raise errors.NotFound()
        self.uow.lock_site(device.site_id)
        self.session.refresh(device)
        now = self.uow.now()
        device.last_seen_at = now
        if hardware is None:
            changed = device.status != status
            device.status = status
            device.status_message = message[:300]
            if changed:
                device.status_changed_at = now
            label = device.name
        else:
            previous = dict(device.hardware_status or {})
            before = previous.get(hardware, {})
            changed = before.get("status") != status
            since = now.isoformat() if changed else before.get("since", now.isoformat())
            previous[hardware] = {"status": status, "message": message[:300], "at": now.isoformat(), "since": since}
            device.hardware_status = previous
            label = hardware
        if not changed:
            return
        self.uow.record(
            ev.DEVICE_STATUS, device.site_id,
            {"device_id": device.id, "device": hardware or f"{device.kind.value}:{device.id}", "kind": device.kind.value,
             "name": device.name, "status": status, "message": message[:300]},
            (ev.dashboard_room(device.site_id),),
        )
        alerts = Alerts(self.uow)
        key = situation_key(device, hardware)
        if status in FAULTS:
            alerts.raise_(device.site_id, alert_kind(hardware), key, DEVICE_AWAY_MESSAGE,
                          {"device": label, "status": status, "since": now.isoformat()})
        elif status != AWAY:
            alerts.resolve(device.site_id, key)

    @verb
    def raise_overdue_alerts(self, site_id: int) -> int:
        """Devices (and bridges' serial devices) away longer than the grace period raise their alert."""
        site = self.uow.lock_site(site_id)
        grace = dt.timedelta(seconds=site_settings(site.settings).alerts.device_grace_s)
        now = self.uow.now()
        alerts = Alerts(self.uow)
        raised = 0
        for device in self.session.scalars(select(Device).where(Device.site_id == site_id, Device.revoked_at.is_(None))):
            away: list[tuple[str | None, str, dt.datetime]] = []
            if device.status == AWAY and device.status_changed_at is not None:
                away.append((None, device.name, device.status_changed_at))
            for hardware, health in (device.hardware_status or {}).items():
                if health.get("status") == AWAY and health.get("since"):
                    away.append((hardware, hardware, dt.datetime.fromisoformat(health["since"])))
            for hardware, label, since in away:
                if now - since >= grace and alerts.raise_(
                        site_id, alert_kind(hardware), situation_key(device, hardware), DEVICE_AWAY_MESSAGE,
                        {"device": label, "status": AWAY, "since": since.isoformat()}) is not None:
                    raised += 1
        return raised



def anything_away(session: Session, site_id: int) -> bool:
    """A cheap read before the periodic job takes the site's write lock: is any device (or serial
    device of a bridge) away at all? Nearly always not."""
    devices = session.scalars(select(Device).where(Device.site_id == site_id, Device.revoked_at.is_(None)))
    return any(device.status == AWAY or any(health.get("status") == AWAY for health in (device.hardware_status or {}).values())
               for device in devices)
