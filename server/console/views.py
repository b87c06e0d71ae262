"""The counter console (`/counter`): the clerk's screen for calling and serving citizens at one counter.

The page is a shell rendered for a logged-in clerk, supervisor or admin; everything live comes over
Socket.IO (the staff token) and every action is one call to the existing REST API, so the console
holds no rules of its own. It never subscribes to ratings: a clerk does not see a rating live.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from server.auth.access import allow, presented_credential, require_actor
from server.errors import N_
from server.models import Site, Staff
from server.queue.site_settings import site_settings
from server.runtime import db_session

blueprint = Blueprint(
    "console",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/console/static",
)

# Reasons a clerk most often steps away; the clerk may also type another one.
PAUSE_REASONS = (
    N_("Short break"),
    N_("Lunch break"),
    N_("Meeting"),
    N_("Helping a citizen away from the counter"),
    N_("Computer or network problem"),
    N_("Fetching documents"),
)


def _page_strings() -> dict[str, str]:
    """Strings the console script shows, as English msgids (the page gets both languages)."""
    return {
        "title": N_("Counter console"),
        "counter_no": N_("Counter no."),
        "offline": N_("Connection lost"),
        "connecting": N_("Connecting…"),
        "current": N_("Current citizen"),
        "no_current": N_("No citizen at the counter. Press “Call next”."),
        "number": N_("Number"),
        "field": N_("Field"),
        "waited": N_("Waited"),
        "served": N_("Being served"),
        "since_call": N_("Since the call"),
        "calls": N_("Calls"),
        "status_called": N_("Called, waiting for the citizen"),
        "status_serving": N_("Serving"),
        "call_next": N_("Call next"),
        "recall": N_("Call again"),
        "skip": N_("No-show"),
        "start": N_("Start serving"),
        "finish": N_("Finish"),
        "transfer": N_("Transfer"),
        "pause": N_("Pause"),
        "resume": N_("Resume"),
        "close_counter": N_("Close counter"),
        "change_counter": N_("Change counter"),
        "log_out": N_("Log out"),
        "waiting_list": N_("Waiting for this counter"),
        "waiting_empty": N_("Nobody is waiting."),
        "no_shows": N_("No-shows today"),
        "no_shows_empty": N_("No no-shows today."),
        "priority": N_("Priority"),
        "reserved": N_("Sent to this counter"),
        "recall_no_show": N_("Call back"),
        "counter_open": N_("Open"),
        "counter_paused": N_("Paused"),
        "counter_closed": N_("Closed"),
        "paused_banner": N_("The counter is paused: {reason}"),
        "closed_banner": N_("The counter is closed. Open it to call citizens."),
        "open_counter": N_("Open the counter"),
        "choose_counter": N_("Choose the counter you work at"),
        "choose_hint": N_("You are not assigned to a counter yet. Choose one to open it."),
        "choose_hint_supervisor": N_("Choose the counter to work at; a closed counter is opened for its clerk."),
        "counter_taken": N_("Worked by {name}"),
        "counter_free": N_("Free"),
        "transfer_title": N_("Transfer the citizen"),
        "transfer_to_field": N_("To another field"),
        "transfer_to_counter": N_("To another counter"),
        "transfer_note": N_("Note for the next clerk (optional)"),
        "transfer_note_label": N_("Note from the previous counter"),
        "transfer_confirm": N_("Transfer"),
        "cancel": N_("Cancel"),
        "pause_title": N_("Pause the counter"),
        "pause_reason": N_("Reason"),
        "pause_other": N_("Another reason"),
        "pause_confirm": N_("Pause"),
        "pause_reason_needed": N_("Please choose or type a reason."),
        "done_called": N_("Called number {number}."),
        "done_recalled": N_("Called number {number} again."),
        "done_skipped": N_("Number {number} marked as no-show."),
        "done_started": N_("Serving number {number}."),
        "done_finished": N_("Number {number} finished."),
        "done_transferred": N_("Number {number} transferred."),
        "done_paused": N_("The counter is paused."),
        "done_resumed": N_("The counter is open again."),
        "done_opened": N_("Counter {counter} is open."),
        "done_closed": N_("The counter is closed."),
        "network_error": N_("The server cannot be reached. Please try again."),
        "refused": N_("Not done"),
        "dismiss": N_("Close"),
        "language": N_("Language"),
        "minutes_short": N_("min"),
        "shortcut_hint": N_("Keyboard: F1–F8 or the letter shown on each button."),
        "confirm_close": N_("Close this counter now?"),
        "taken_elsewhere": N_("Another clerk or counter has already acted on this ticket."),
        "dossier_label": N_("Dossier code (type or scan, then Enter)"),
        "dossier_save": N_("Record the dossier"),
        "outcome_received": N_("Received"),
        "outcome_returned": N_("Returned for more papers"),
        "outcome_result": N_("Result handed over"),
        "outcome_guidance": N_("Guidance only"),
        "outcome_legend": N_("Outcome of the visit"),
        "missing_title": N_("Papers to bring"),
        "missing_needed": N_("Choose the missing papers, then press Enter."),
        "dossier_saved": N_("Dossier {code}: {outcome}."),
        "dossier_repeat": N_("Visit no. {n} for this dossier."),
        "dossier_breach": N_("A paper not asked for the first time: the one-time complete guidance rule is broken."),
        "dossier_attached_label": N_("Dossier"),
        "key_phone": N_("Phone number (optional, kept only as a code)"),
        "key_citizen_id": N_("Citizen ID number (optional, kept only as a code)"),
        "my_week": N_("My weeks"),
        "trend_title": N_("My service, week by week"),
        "trend_note": N_("Your own figures for the last four complete weeks, beside the site's median clerk. Satisfaction is shown only from {min} ratings in a week; never a single citizen's rating."),
        "trend_week": N_("Week"),
        "trend_served": N_("Served"),
        "trend_service": N_("Typical service time"),
        "trend_satisfied": N_("Satisfied"),
        "trend_reasons": N_("Most given reasons"),
        "trend_site": N_("site: {value}"),
        "trend_not_enough": N_("fewer than {min} ratings"),
        "trend_none": N_("–"),
    }


@blueprint.get("/counter")
@allow("clerk", "supervisor", "admin")
def console():  # type: ignore[no-untyped-def]
    """The console page; its script finds the clerk's counter (or lets them choose one)."""
    actor = require_actor()
    staff = db_session().get(Staff, actor.id)
    site = db_session().get(Site, actor.site_id) if actor.site_id is not None else None
    dossier_settings = site_settings(site.settings if site else None).dossiers
    missing_items = [item.model_dump() for item in dossier_settings.missing_items]
    user: dict[str, Any] = {
        "id": actor.id,
        "role": actor.role,
        "full_name": staff.full_name if staff else actor.name,
        "title": staff.title if staff else "",
        "username": staff.username if staff else "",
    }
    return render_template(
        "console/console.html",
        strings=_page_strings(),
        pause_reasons=[{"key": f"reason_{index}", "msgid": reason} for index, reason in enumerate(PAUSE_REASONS)],
        user=user,
        # The socket needs the token: the log-in page keeps it in sessionStorage; a console opened
        # later in a new tab with only the session cookie gets it from the session here.
        staff_token=presented_credential(),
        missing_items=missing_items,
        citizen_key=dossier_settings.citizen_key,
    )
