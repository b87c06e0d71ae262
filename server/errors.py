"""Exceptions with meaning. Each carries a stable code, an HTTP status and a message template.

The templates are English msgids of the i18n catalogue (marked with `N_` for extraction) and are
translated — Vietnamese by default — only where the error is shown (server/api/errors.py), so the
domain core stays free of Flask. Parameters fill `%(name)s` placeholders after translation.
"""
from __future__ import annotations

from typing import Any


def N_(message: str) -> str:
    """Mark a string for the catalogue without translating it here."""
    return message


class HangChoError(Exception):
    """Base of every error that is answered to a user as `{"error": code, "message": text}`."""

    code = "error"
    status = 400
    message = N_("The request could not be carried out.")

    def __init__(self, message: str | None = None, **params: Any) -> None:
        if message is not None:
            self.message = message
        self.params = params
        super().__init__(f"{self.code}: {self.message % params if params else self.message}")

    # Parameters whose values are themselves catalogue entries (state and verb names).
    translated_params: tuple[str, ...] = ()

    def details(self) -> dict[str, Any]:
        """Extra JSON fields for the client (never secrets)."""
        return {}


# --- 400/422: bad input ---------------------------------------------------------------------

# Names of ticket states and verbs as they appear inside messages.
STATE_AND_VERB_NAMES = (
    N_("waiting"), N_("called"), N_("serving"), N_("done"), N_("no_show"), N_("cancelled"), N_("expired"),
    N_("open"), N_("paused"), N_("closed"), N_("none"),
    N_("call"), N_("recall"), N_("skip"), N_("start"), N_("finish"), N_("transfer"), N_("cancel"),
    N_("expire"), N_("pause"), N_("resume"),
)


class BadRequest(HangChoError):
    code = "bad_request"
    status = 400
    message = N_("The request is not valid JSON or lacks required data.")


class ValidationFailed(HangChoError):
    """Field problems: {location: msgid} or {location: (msgid, params)}, translated when answered."""

    code = "validation_failed"
    status = 422
    message = N_("Some fields are missing or invalid.")

    def __init__(self, fields: dict[str, Any] | None = None, message: str | None = None, **params: Any) -> None:
        self.fields = fields or {}
        super().__init__(message, **params)

    @classmethod
    def from_pydantic(cls, error: Any, prefix: str = "") -> "ValidationFailed":
        """pydantic's findings (a ValidationError) as short problems of our catalogue."""
        fields: dict[str, Any] = {}
        for problem in error.errors():
            location = prefix + (".".join(str(part) for part in problem["loc"]) or "body")
            template = PYDANTIC_PROBLEMS.get(problem["type"])
            if template is None:
                # A validator's own ValueError text is an English msgid of ours; anything else is "invalid".
                message = str((problem.get("ctx") or {}).get("error", ""))
                fields[location] = message if message in KNOWN_PROBLEMS else INVALID
                continue
            context = {key: (value if not isinstance(value, (list, tuple)) else ", ".join(map(str, value)))
                       for key, value in (problem.get("ctx") or {}).items()}
            fields[location] = (template, context)
        return cls(fields=fields)

    def details(self) -> dict[str, Any]:
        return {"fields": self.fields} if self.fields else {}


# Problems the domain, the administration and the models report, as catalogue msgids.
KNOWN_PROBLEMS = (
    N_("letters, digits, . and _ only"), N_("admin, supervisor, clerk or inspector"), N_("already taken"),
    N_("too short"), N_("kiosk, display, rating_terminal or bridge"), N_("a rating terminal belongs to a counter"),
    N_("required, at most 32 characters"), N_("required"), N_("the range must not be empty"), N_("0–8"),
    N_("ASCII letters only, at most 8"), N_("at least 1, or empty for none"), N_("header must include code,name"),
    N_("numbers expected in start/end/width/quota"), N_("a field is listed twice"), N_("at least 1"),
    N_("close the counter before taking it out of use"), N_("the last administrator must stay"),
    N_("you cannot deactivate your own account"), N_("this day is already a holiday"), N_("already exists"),
    N_("unknown field"), N_("unknown counter"), N_("unknown staff member"), N_("the closing time must be after the opening time"),
    N_("only kiosks have settings of their own"), N_("must be a whole number from 1 to 5"),
    N_("the numbers overlap another field"),
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

# --- 401/403: who may do it -----------------------------------------------------------------

class NotAuthenticated(HangChoError):
    code = "not_authenticated"
    status = 401
    message = N_("Please log in or present a device key.")


class InvalidCredentials(HangChoError):
    code = "invalid_credentials"
    status = 401
    message = N_("Wrong username or password.")


class Forbidden(HangChoError):
    code = "forbidden"
    status = 403
    message = N_("You are not allowed to do this.")


class NotClerkOfCounter(Forbidden):
    code = "not_clerk_of_counter"
    message = N_("Only the clerk working at counter %(counter_number)s or a supervisor may do this.")


class StaffCannotRate(Forbidden):
    code = "staff_cannot_rate"
    message = N_("Staff accounts cannot give ratings; ratings come from citizens only.")


class InvalidRatingToken(Forbidden):
    code = "invalid_rating_token"
    message = N_("This rating link is not valid.")


class CrossSiteRequest(Forbidden):
    code = "cross_site_request"
    message = N_("This request came from another website and was refused. Please use the centre's own pages.")


class CsrfTokenMissing(Forbidden):
    code = "csrf_failed"
    message = N_("This page has expired. Please reload it and try again.")


class RatingRateLimited(HangChoError):
    code = "rate_limited"
    status = 429
    message = N_("Too many rating attempts from this device. Please wait a minute.")


class TooManyLoginAttempts(HangChoError):
    code = "too_many_attempts"
    status = 429
    message = N_("Too many failed log-ins. Please wait %(seconds)s seconds and try again.")

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = max(1, int(retry_after_s))
        super().__init__(seconds=self.retry_after_s)

    def details(self) -> dict[str, Any]:
        return {"retry_after_s": self.retry_after_s}


# --- 404 -------------------------------------------------------------------------------------

class NotFound(HangChoError):
    code = "not_found"
    status = 404
    message = N_("Not found.")


class TicketNotFound(NotFound):
    code = "ticket_not_found"
    message = N_("Ticket not found.")


class ServiceNotFound(NotFound):
    code = "service_not_found"
    message = N_("This field (lĩnh vực) does not exist or is not offered.")

    def __init__(self, message: str | None = None, **params: Any) -> None:
        super().__init__(message, **params)


class CounterNotFound(NotFound):
    code = "counter_not_found"
    message = N_("Counter not found.")


class NoTicketWaiting(NotFound):
    code = "no_ticket_waiting"
    message = N_("No citizen is waiting for this counter.")


# --- 409: conflicts with the current state ----------------------------------------------------

class Conflict(HangChoError):
    code = "conflict"
    status = 409


class InvalidTransition(Conflict):
    code = "invalid_transition"
    message = N_("This ticket is “%(current)s”: “%(verb)s” is not possible now.")
    translated_params = ("current", "verb")

    def details(self) -> dict[str, Any]:
        return {"current": self.params.get("current"), "verb": self.params.get("verb")}


class TicketHandledElsewhere(Conflict):
    code = "ticket_handled_elsewhere"
    message = N_("This ticket is being handled at counter %(counter_number)s.")


class IssuingClosed(Conflict):
    code = "issuing_closed"
    message = N_("No tickets are issued now.")

    def __init__(self, reason: str, opens_at: str | None = None, message: str | None = None) -> None:
        self.reason = reason
        self.opens_at = opens_at
        super().__init__(message or CLOSED_MESSAGES.get(reason, self.message))

    def details(self) -> dict[str, Any]:
        return {"reason": self.reason, "opens_at": self.opens_at}


CLOSED_MESSAGES = {
    "holiday": N_("The centre is closed today (holiday)."),
    "outside_hours": N_("The centre is outside working hours."),
    "after_cutoff": N_("No more tickets are issued today."),
}


class ServiceInactive(Conflict):
    code = "service_inactive"
    message = N_("This field is not taking tickets now.")


class ServiceNotServed(Conflict):
    code = "service_not_served"
    message = N_("No counter serves %(service_name)s at the moment. Please choose another field or ask at the reception desk.")


class QuotaReached(Conflict):
    code = "quota_reached"
    message = N_("Today's tickets for %(service_name)s have all been given out.")


OVERLAPPING_NUMBERS = N_("These numbers overlap those of the field “%(other)s” (%(other_range)s). "
                         "Choose another range or prefix.")


class NumberRangeExhausted(QuotaReached):
    code = "quota_reached"
    message = N_("Today's ticket numbers for this field have all been used.")


class UnknownPriority(HangChoError):
    code = "unknown_priority"
    status = 422
    message = N_("Unknown priority category.")


class CounterClosed(Conflict):
    code = "counter_closed"
    message = N_("Counter %(counter_number)s is not open.")


class CounterPaused(Conflict):
    code = "counter_paused"
    message = N_("Counter %(counter_number)s is paused.")


class CounterNotServingField(Conflict):
    code = "counter_not_serving_field"
    message = N_("That counter does not serve this field.")


class KioskHasNoPrinter(Conflict):
    code = "kiosk_has_no_printer"
    message = N_("This kiosk has no printer. Please note your number.")


class AlreadyRated(Conflict):
    code = "already_rated"
    message = N_("This ticket has already been rated. Thank you!")


class TicketNotServed(Conflict):
    code = "ticket_not_served"
    message = N_("Only a ticket that has been served can be rated.")


class RatingWindowClosed(Conflict):
    code = "rating_window_closed"
    message = N_("The time to rate this visit at the counter has passed.")


class TicketNotAtCounter(Conflict):
    code = "ticket_not_at_counter"
    message = N_("A dossier can only be attached to the ticket being served at a counter.")


class DossierNotFound(NotFound):
    code = "dossier_not_found"
    message = N_("No visit has been recorded for this dossier code.")


class NotThisCounter(Forbidden):
    code = "not_this_counter"
    message = N_("This terminal can only rate the ticket just finished at its own counter.")


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    message = N_("This request key was already used for a different request.")
