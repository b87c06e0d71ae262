"""Administrative changes announced to every screen of a site (notice line, settings, fields, counters)."""
from __future__ import annotations

from typing import Any

from server.queue import events as ev
from server.queue.unit_of_work import Concern, verb


class Announcements(Concern):
    @verb
    def record_setting_change(self, site_id: int, event_type: str, payload: dict[str, Any]) -> None:
        """Log and push the change, in the same transaction as the change itself when the caller (the
        administration) is writing one, so screens refresh and the log holds it exactly once."""
        self.uow.lock_site(site_id)
        self.uow.record(event_type, site_id, payload, (ev.site_room(site_id), ev.dashboard_room(site_id)))
