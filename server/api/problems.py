"""The problems of a refused request, field by field, in the reader's language.

Every 422 answer carries `fields` {location: problem} and a message that lists them with the fields'
names ("Vui lòng kiểm tra lại: Mã: đã tồn tại"). Problems come from pydantic (`ValidationFailed.from_pydantic`,
as (msgid, params)) or from the domain and administration code, which names them with English
catalogue msgids; they are translated here, when the answer is written.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext

from server.errors import N_, OR

# How each field of a form is called on the admin pages (for messages such as "Tên đăng nhập: …").
FIELD_LABELS = {
    # the public API's own fields
    "service_id": N_("Field"), "priority": N_("Priority category"), "ticket_id": N_("Ticket"),
    "token": N_("Rating link"), "comment": N_("Comment"), "reason": N_("Reason"), "note": N_("Note"),
    "kiosk_id": N_("Kiosk"), "site_id": N_("Site"), "password": N_("Password"), "from": N_("From"), "to": N_("To"),
    # the administration's forms
    "code": N_("Code"), "name": N_("Name"), "name_en": N_("English name"), "group_name": N_("Group"),
    "number_prefix": N_("Number prefix"), "number_start": N_("First number"), "number_end": N_("Last number"),
    "number_width": N_("Number width"), "daily_quota": N_("Daily quota"), "average_service_s": N_("Average service time"),
    "number": N_("Counter number"), "service_ids": N_("Fields served"), "username": N_("Username"),
    "role": N_("Role"), "full_name": N_("Full name"), "title": N_("Job title"), "kind": N_("Device kind"),
    "counter_id": N_("Counter"), "periods": N_("Working hours"), "hours": N_("Working hours"), "date": N_("Date"),
    "level": N_("Priority level"), "notice": N_("Notice line"), "csv": N_("CSV file"), "active": N_("In use"),
    "rating": N_("Rating"), "voice": N_("Voice"), "alerts": N_("Alerts"), "cutoff": N_("Cut-off time"),
    "guidance": N_("Guidance line"), "buttons": N_("Rating buttons"), "reasons": N_("Reasons for low ratings"),
    "window_s": N_("Rating time"), "low_score_max": N_("Ask reasons up to score"), "variant": N_("Accent"),
    "number_style": N_("Reading numbers"), "chime": N_("Chime"), "repeat": N_("Repeat"), "score": N_("Score"),
    "label": N_("Label"), "label_en": N_("English label"), "opens_at": N_("Opens at"), "closes_at": N_("Closes at"),
    "weekday": N_("Weekday"), "position": N_("Order"), "max_priority_in_row": N_("Priority tickets in a row"),
    "long_wait_s": N_("Long wait alert after"), "idle_counter_s": N_("Idle counter alert after"),
    "idle_counter_queue": N_("Idle counter alert from queue length"), "low_rating_max": N_("Low rating alert up to"),
    "paper_width_mm": N_("Paper width"), "recent_calls": N_("Recent calls shown"), "field_order": N_("Field order"),
    # a kiosk's own settings
    "settings": N_("Settings"), "printer": N_("Printer"), "confirmation_s": N_("Time the number stays on screen"),
    "print_problem_confirmation_s": N_("Time the number stays when the ticket did not print"),
    "print_wait_s": N_("Time to wait for the printer"), "idle_reset_s": N_("Time before going back to the start"),
    "request_timeout_s": N_("Time to wait for the server"),
}

CHECK_MESSAGE = N_("Please check: %(problems)s")


def field_label(location: str) -> str:
    parts = [part for part in location.split(".") if not part.isdigit()]
    name = parts[-1] if parts else location
    return gettext(FIELD_LABELS[name]) if name in FIELD_LABELS else name


def translated(fields: dict[str, Any]) -> dict[str, str]:
    """Each problem in the reader's language: a msgid, or (msgid, params) from pydantic."""
    return {location: _translate(problem) for location, problem in fields.items()}


def _translate(problem: Any) -> str:
    if not isinstance(problem, (tuple, list)):
        return gettext(str(problem))  # msgids are translated; other text is kept
    msgid, params = problem
    params = dict(params)
    if isinstance(params.get("expected"), str):
        # pydantic lists the choices in English ("58 or 80").
        params["expected"] = params["expected"].replace(" or ", f" {gettext(OR)} ")
    try:
        return gettext(msgid) % params
    except (KeyError, TypeError, ValueError):
        return gettext(msgid)


def check_message(problems: dict[str, str]) -> str:
    """One sentence naming every field and its problem."""
    summary = "; ".join(f"{field_label(location)}: {problem}" for location, problem in problems.items())
    return gettext(CHECK_MESSAGE) % {"problems": summary}
