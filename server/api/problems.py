"""The problems of a refused request, field by field, in the reader's language.

Every 422 answer carries `fields` {location: problem} and a message that lists them with the fields'
names ("Vui lòng kiểm tra lại: Mã: đã tồn tại"). Problems come from pydantic (request bodies) or from
the domain and administration code, which names them with English catalogue msgids.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext
from pydantic import ValidationError

from server.errors import N_

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

# The problems administration.py and the models report, as catalogue msgids.
KNOWN_PROBLEMS = (
    N_("letters, digits, . and _ only"), N_("admin, supervisor, clerk or inspector"), N_("already taken"),
    N_("too short"), N_("kiosk, display, rating_terminal or bridge"), N_("a rating terminal belongs to a counter"),
    N_("required, at most 32 characters"), N_("required"), N_("the range must not be empty"), N_("0–8"),
    N_("ASCII letters only, at most 8"), N_("at least 1, or empty for none"), N_("header must include code,name"),
    N_("numbers expected in start/end/width/quota"), N_("a field is listed twice"), N_("at least 1"),
    N_("close the counter before taking it out of use"), N_("the last administrator must stay"),
    N_("you cannot deactivate your own account"), N_("this day is already a holiday"), N_("already exists"),
    N_("unknown field"), N_("unknown counter"), N_("unknown staff member"), N_("the closing time must be after the opening time"),
    N_("only kiosks have settings of their own"),
)

# pydantic error types → a short problem in the reader's language.
PYDANTIC_PROBLEMS = {
    "missing": N_("required"),
    "string_too_short": N_("must not be empty"),
    "string_too_long": N_("too long (at most %(max_length)s characters)"),
    "greater_than": N_("must be greater than %(gt)s"),
    "greater_than_equal": N_("must be at least %(ge)s"),
    "less_than_equal": N_("must be at most %(le)s"),
    "int_parsing": N_("must be a whole number"),
    "int_type": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "bool_parsing": N_("must be yes or no"),
    "bool_type": N_("must be yes or no"),
    "literal_error": N_("must be one of: %(expected)s"),
    "enum": N_("must be one of: %(expected)s"),
    "extra_forbidden": N_("is not an accepted field"),
    "time_parsing": N_("must be a time such as 07:30"),
    "time_type": N_("must be a time such as 07:30"),
    "date_parsing": N_("must be a date such as 2026-09-02"),
    "date_from_datetime_parsing": N_("must be a date such as 2026-09-02"),
    "date_type": N_("must be a date such as 2026-09-02"),
    "list_type": N_("must be a list"),
    "too_short": N_("needs at least %(min_length)s entries"),
    "too_long": N_("at most %(max_length)s entries"),
    "string_type": N_("must be text"),
    "dict_type": N_("must be an object"),
    "model_type": N_("must be an object"),
}
INVALID = N_("invalid value")
OR = N_("or")
CHECK_MESSAGE = N_("Please check: %(problems)s")


def field_label(location: str) -> str:
    parts = [part for part in location.split(".") if not part.isdigit()]
    name = parts[-1] if parts else location
    return gettext(FIELD_LABELS[name]) if name in FIELD_LABELS else name


def translated(fields: dict[str, Any]) -> dict[str, str]:
    """Each problem in the reader's language (msgids are translated; other text is kept)."""
    return {location: gettext(str(problem)) for location, problem in fields.items()}


def check_message(problems: dict[str, str]) -> str:
    """One sentence naming every field and its problem."""
    summary = "; ".join(f"{field_label(location)}: {problem}" for location, problem in problems.items())
    return gettext(CHECK_MESSAGE) % {"problems": summary}


def field_problems(error: ValidationError) -> dict[str, str]:
    """pydantic's findings as short problems in the reader's language."""
    fields: dict[str, str] = {}
    for problem in error.errors():
        location = ".".join(str(part) for part in problem["loc"]) or "body"
        template = PYDANTIC_PROBLEMS.get(problem["type"])
        if template is None:
            # A validator's own ValueError text is an English msgid of ours; anything else is "invalid".
            message = str(problem.get("ctx", {}).get("error", "")) or ""
            fields[location] = message if message in KNOWN_PROBLEMS else INVALID
            continue
        context = {key: (value if not isinstance(value, (list, tuple)) else ", ".join(map(str, value)))
                   for key, value in (problem.get("ctx") or {}).items()}
        if isinstance(context.get("expected"), str):
            # pydantic lists the choices in English ("58 or 80").
            context["expected"] = context["expected"].replace(" or ", f" {gettext(OR)} ")
        try:
            fields[location] = gettext(template) % context
        except (KeyError, TypeError, ValueError):
            fields[location] = gettext(template)
    return fields
