"""Domain events: an explicit wire name, the site, the payload, and the Socket.IO rooms it goes to.

Rooms: `site:<id>` (everything public about the queue: displays, kiosks, consoles, dashboards, the
bridge), `counter:<id>` (a counter's console, its counter display and LED), `rating:<counter id>` (the
counter's rating terminal and keypad only), `dashboard:<site>` (supervisors: ratings, alerts, devices),
`kiosk:<device id>`, `printer:<kiosk device id>` (the bridge driving that kiosk's printer) and
`ticket:<id>` (the citizen's phone page).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TICKET_ISSUED = "ticket_issued"
TICKET_CALLED = "ticket_called"
TICKET_RECALLED = "ticket_recalled"
TICKET_SKIPPED = "ticket_skipped"
TICKET_STARTED = "ticket_started"
TICKET_FINISHED = "ticket_finished"
TICKET_TRANSFERRED = "ticket_transferred"
TICKET_CANCELLED = "ticket_cancelled"
TICKETS_EXPIRED = "tickets_expired"
COUNTER_STATUS = "counter_status"
RATING_REQUESTED = "rating_requested"
RATING_CLOSED = "rating_closed"
RATING_RECEIVED = "rating_received"
DEVICE_STATUS = "device_status"
ALERT = "alert"
ALERT_ACKNOWLEDGED = "alert_acknowledged"
ALERT_RESOLVED = "alert_resolved"
PRINT_JOB = "print_job"
PRINT_RESULT = "print_result"
NOTICE_CHANGED = "notice_changed"
SETTINGS_CHANGED = "settings_changed"
DOSSIER_ATTACHED = "dossier_attached"
CITIZEN_KEYS_FORGOTTEN = "citizen_keys_forgotten"
LEADER_ITEMS_RAISED = "leader_items_raised"
LEADER_ACTION_RECORDED = "leader_action_recorded"
LEADER_ITEM_CLEARED = "leader_item_cleared"
RATING_FLAGS_REVIEWED = "rating_flags_reviewed"  # a day's rating flags, when they changed (flag_reviews.py)
SEQ_ADVANCED = "seq_advanced"  # to the site room when a private event (dashboard only) took a seq

# Events that carry a citizen's verdict: readable by supervisors, administrators and inspectors only,
# never by a clerk (ticket histories filter them out; Socket.IO sends them to dashboard rooms only).
RATING_EVENTS = frozenset({RATING_RECEIVED, RATING_FLAGS_REVIEWED})  # flags name scores and clerks


def site_room(site_id: int) -> str:
    return f"site:{site_id}"


def counter_room(counter_id: int) -> str:
    return f"counter:{counter_id}"


def rating_room(counter_id: int) -> str:
    return f"rating:{counter_id}"


def dashboard_room(site_id: int) -> str:
    return f"dashboard:{site_id}"


def kiosk_room(device_id: int) -> str:
    return f"kiosk:{device_id}"


def printer_room(kiosk_device_id: int) -> str:
    return f"printer:{kiosk_device_id}"


def ticket_room(ticket_id: int) -> str:
    return f"ticket:{ticket_id}"


def device_room(device_id: int) -> str:
    return f"device:{device_id}"


@dataclass(frozen=True)
class DomainEvent:
    """One change, recorded in the events table (with `seq`) and pushed after the commit."""

    type: str
    site_id: int
    payload: dict[str, Any]
    rooms: tuple[str, ...]
    ticket_id: int | None = None
    counter_id: int | None = None
    seq: int | None = None
    # Transient events (print jobs, device health) are pushed but not appended to the log.
    logged: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def wire_payload(self) -> dict[str, Any]:
        """What clients receive. Transient events repeat the latest seq instead of taking a new one."""
        wire = {**self.payload, "seq": self.seq, "site_id": self.site_id}
        if not self.logged:
            wire["transient"] = True
        return wire


def ticket_event_rooms(site_id: int, ticket_id: int, counter_id: int | None) -> tuple[str, ...]:
    rooms = [site_room(site_id), ticket_room(ticket_id)]
    if counter_id is not None:
        rooms.append(counter_room(counter_id))
    return tuple(rooms)
