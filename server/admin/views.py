"""The administration pages. One page shell per section; the section's script reads and changes data
through /api/v1/admin/… (every change audited), so the pages hold no logic of their own."""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from server.auth.access import allow, require_actor
from server.errors import N_
from server.runtime import runtime

blueprint = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
                      static_folder="static", static_url_path="/static")

SECTIONS = {
    "services": N_("Fields"),
    "counters": N_("Counters"),
    "staff": N_("Staff"),
    "devices": N_("Devices"),
    "hours": N_("Hours and holidays"),
    "priorities": N_("Priority citizens"),
    "rating": N_("Rating"),
    "display": N_("Notice and voice"),
    "audit": N_("Audit log"),
}

MESSAGES = {
    "save": N_("Save"), "cancel": N_("Cancel"), "close": N_("Close"), "edit": N_("Edit"), "add": N_("Add"),
    "remove": N_("Remove"), "saved": N_("Saved."), "failed": N_("Not saved: %(message)s"), "yes": N_("Yes"), "no": N_("No"),
    "in_use": N_("In use"), "not_in_use": N_("Not in use"), "loading": N_("Loading…"), "none": N_("None"),
    "move_up": N_("Move up"), "move_down": N_("Move down"), "confirm": N_("Are you sure?"),
    "code": N_("Code"), "name": N_("Name"), "name_en": N_("English name"), "group_name": N_("Group"),
    "numbers": N_("Numbers"), "number_prefix": N_("Number prefix"), "number_start": N_("First number"),
    "number_end": N_("Last number"), "number_width": N_("Number width"), "daily_quota": N_("Daily quota"),
    "from_province": N_("Province catalogue"), "awaiting_counter": N_("Not in use yet: give it to a counter"),
    "no_quota": N_("no limit"), "average_service_s": N_("Average service time (seconds)"), "active": N_("In use"),
    "new_field": N_("New field"), "edit_field": N_("Edit field"), "import_csv": N_("Import a CSV catalogue"),
    "import_help": N_("Columns: code,name,name_en,group,prefix,start,end,width,quota,average_service_s. Existing codes are updated."),
    "import_done": N_("Imported: %(created)s new, %(updated)s updated."), "choose_file": N_("CSV file"),
    "import": N_("Import"),
    "counter": N_("Counter"), "counter_number": N_("Counter number"), "counter_name": N_("Counter name"),
    "fields_served": N_("Fields served, in calling order"), "new_counter": N_("New counter"),
    "edit_counter": N_("Edit counter"), "add_field": N_("Add a field"), "status": N_("Status"), "clerk": N_("Clerk"),
    "status_open": N_("Open"), "status_paused": N_("Paused"), "status_closed": N_("Closed"),
    "username": N_("Username"), "full_name": N_("Full name"), "title": N_("Job title"), "role": N_("Role"),
    "role_admin": N_("Administrator"), "role_supervisor": N_("Supervisor"), "role_clerk": N_("Clerk"),
    "role_inspector": N_("Inspector (read only)"), "role_leader": N_("Head of the centre"), "new_staff": N_("New staff account"), "edit_staff": N_("Edit staff account"),
    "reset_password": N_("Reset password"), "deactivate": N_("Deactivate"), "activate": N_("Activate"),
    "active_account": N_("Active"), "inactive_account": N_("Deactivated"), "last_login": N_("Last log-in"),
    "password_for": N_("Password for %(username)s"),
    "secret_once": N_("Write it down or hand it over now: it is shown only this once."),
    "device": N_("Device"), "kind": N_("Kind"), "key_hint": N_("Key ends with"), "new_device": N_("New device"),
    "new_key": N_("New key"), "revoke": N_("Revoke"), "revoked": N_("Revoked"), "key_for": N_("Key for %(name)s"),
    "kind_kiosk": N_("Kiosk"), "kind_display": N_("Display"), "kind_rating_terminal": N_("Rating terminal"),
    "kind_bridge": N_("Device bridge"), "device_online": N_("Online"), "device_offline": N_("Offline"),
    "device_unknown": N_("Never connected"), "open_with_key": N_("Open the device's screen once with ?key=… added to its address."),
    "settings": N_("Settings"), "kiosk_settings_for": N_("Kiosk settings: %(name)s"),
    "settings_apply_now": N_("The kiosk applies the new settings at once, without being restarted."),
    "printer": N_("A ticket printer is attached to this kiosk"),
    "printer_help": N_("Without a printer the kiosk asks citizens to write down or photograph their number."),
    "paper_width_mm": N_("Paper width"), "paper_site_default": N_("As the centre's setting (%(width)s mm)"),
    "confirmation_s": N_("Time the number stays on screen (seconds)"),
    "print_problem_confirmation_s": N_("Time the number stays when the ticket did not print (seconds)"),
    "print_wait_s": N_("Time to wait for the printer (seconds)"),
    "idle_reset_s": N_("Back to the start screen when left untouched after (seconds)"),
    "request_timeout_s": N_("Time to wait for the server on each try (seconds)"),
    "seconds_range": N_("From %(min)s to %(max)s seconds."),
    "weekday": N_("Weekday"), "opens_at": N_("Opens at"), "closes_at": N_("Closes at"), "add_session": N_("Add a session"),
    "save_hours": N_("Save working hours"), "working_sessions": N_("Working sessions"), "holidays": N_("Holidays"),
    "date": N_("Date"), "holiday_name": N_("Holiday name"), "add_holiday": N_("Add holiday"), "cutoff": N_("Cut-off time"),
    "cutoff_help": N_("After this time no more tickets are issued today (empty: until closing)."),
    "weekday_0": N_("Monday"), "weekday_1": N_("Tuesday"), "weekday_2": N_("Wednesday"), "weekday_3": N_("Thursday"),
    "weekday_4": N_("Friday"), "weekday_5": N_("Saturday"), "weekday_6": N_("Sunday"),
    "level": N_("Priority level"), "new_priority": N_("New priority category"), "edit_priority": N_("Edit priority category"),
    "buttons": N_("Buttons on the rating screens"), "score": N_("Score"), "label": N_("Label"), "label_en": N_("English label"),
    "reasons": N_("Reasons asked after a low rating"), "window_s": N_("Time to rate after service (seconds)"),
    "low_score_max": N_("Ask for reasons at this score or lower"), "add_button": N_("Add a button"),
    "add_reason": N_("Add a reason"), "save_rating": N_("Save rating settings"),
    "notice": N_("Notice line on the hall displays"), "guidance": N_("Guidance line printed on tickets"),
    "voice": N_("Voice calls"), "voice_enabled": N_("Call numbers by voice"), "variant": N_("Accent"),
    "variant_northern": N_("Northern (linh, nghìn)"), "variant_southern": N_("Southern (lẻ, ngàn)"),
    "number_style": N_("Reading numbers"), "number_style_cardinal": N_("As a number (một nghìn không trăm linh năm)"),
    "number_style_digits": N_("Digit by digit (một không không năm)"), "chime": N_("Chime before the call"),
    "repeat": N_("Times each call is read"), "save_display": N_("Save notice and voice"),
    "when": N_("When"), "change": N_("Change"), "more": N_("Show older entries"),
}


@blueprint.get("")
@allow("admin")
def index():  # type: ignore[no-untyped-def]
    return section("services")


@blueprint.get("/<name>")
@allow("admin")
def section(name: str):  # type: ignore[no-untyped-def]
    """One administration section; the same shell for each, the script renders the section."""
    if name not in SECTIONS:
        abort(404)
    return render_template("admin/admin.html", sections=SECTIONS, section=name, messages=MESSAGES, page="admin",
                           actor=require_actor(), timezone=runtime().settings.timezone)
