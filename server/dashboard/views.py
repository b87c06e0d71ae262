"""Pages of the dashboard blueprint. The pages are shells: live data arrives over Socket.IO (snapshot +
events), reports through GET /api/v1/reports/summary; strings for the scripts come from the catalogue."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import select

from server.auth.access import allow, presented_credential, require_actor
from server.errors import N_
from server.queue import leadership

blueprint = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates",
                      static_folder="static", static_url_path="/static")

READERS = ("supervisor", "admin", "inspector")
ACTORS = ("supervisor", "admin")

# The alert texts the core raises (English msgids with %(name)s parameters), translated at display time.
ALERT_TEMPLATES = (
    N_("A citizen has waited %(minutes)s minutes in field %(service_id)s"),
    N_("A citizen has waited %(minutes)s minutes in field %(service_name)s"),
    N_("Counter %(counter_number)s has been idle %(minutes)s minutes while %(waiting)s citizens wait"),
    N_("Low rating %(score)s for ticket %(number)s at counter %(counter_number)s"),
    N_("Printer of kiosk %(kiosk_id)s failed (%(error)s) on ticket %(number)s"),
    N_("Device %(device)s is %(status)s"),
)

BOARD_MESSAGES = {
    "offline": N_("Connection lost"),
    "waiting": N_("Waiting"),
    "issued_today": N_("Issued today"),
    "served_today": N_("Served today"),
    "average_wait_today": N_("Average wait today"),
    "ratings_today": N_("Ratings today"),
    "no_one_waiting": N_("No one waiting"),
    "minutes_short": N_("%(minutes)s min"),
    "counter": N_("Counter %(number)s"),
    "status_open": N_("Open"),
    "status_paused": N_("Paused"),
    "status_closed": N_("Closed"),
    "no_clerk": N_("No clerk"),
    "calling": N_("Calling %(number)s"),
    "serving": N_("Serving %(number)s"),
    "idle": N_("Free"),
    "served_count": N_("Served: %(count)s"),
    "acknowledge": N_("Acknowledge"),
    "acknowledged": N_("Acknowledged"),
    "device_online": N_("Online"),
    "device_offline": N_("Offline"),
    "device_unknown": N_("Never connected"),
    "device_paper_out": N_("Paper out"),
    "device_error": N_("Error"),
    "device_revoked": N_("Key revoked"),
    "kind_kiosk": N_("Kiosk"),
    "kind_display": N_("Display"),
    "kind_rating_terminal": N_("Rating terminal"),
    "kind_bridge": N_("Device bridge"),
    "role_printer": N_("Printer of kiosk %(id)s"),
    "role_led": N_("LED display of counter %(id)s"),
    "role_rating-keypad": N_("Rating keypad of counter %(id)s"),
    "role_call-keypad": N_("Call keypad of counter %(id)s"),
    "role_sound": N_("Speaker of this screen"),
    "sound_blocked": N_("Sound blocked"),
    "sound_on": N_("Sound on"),
    "error_timeout": N_("no answer"),
    "error_paper_out": N_("paper out"),
    "error_error": N_("error"),
    "state_offline": N_("offline"),
    "state_paper_out": N_("out of paper"),
    "state_error": N_("in error"),
    "state_online": N_("online"),
    "tickets_per_hour": N_("Tickets issued per hour"),
    "wait_per_hour": N_("Average wait (minutes) by hour of call"),
    "rating_mix": N_("Ratings today"),
    "tickets": N_("Tickets"),
    "minutes": N_("Minutes"),
    "score_5": N_("Very satisfied"),
    "score_4": N_("Satisfied"),
    "score_3": N_("Neutral"),
    "score_2": N_("Dissatisfied"),
    "score_1": N_("Very dissatisfied"),
    "official_summary": N_("Official scale: very satisfied %(rat)s · satisfied %(hai)s · not satisfied %(khong)s"),
    "notice_saved": N_("The notice line is shown on the hall displays."),
    "notice_cleared": N_("The notice line was removed."),
    "failed": N_("Not saved: %(message)s"),
    "field": N_("Field"),
    "unknown_field": N_("Field %(id)s"),
    "alert_long_wait": N_("Long wait"),
    "alert_idle_counter": N_("Idle counter"),
    "alert_low_rating": N_("Low rating"),
    "alert_printer_problem": N_("Printer problem"),
    "alert_device_offline": N_("Device offline"),
    "session_expired": N_("Your log-in has expired. Please log in again."),
    "comment_ticket": N_("Ticket %(number)s"),
    "comment_counter": N_("Counter %(number)s"),
    "comment_no_counter": N_("No counter"),
    "comment_score": N_("%(score)s/5 · %(label)s"),
    "comments_failed": N_("The comments could not be loaded: %(message)s"),
    "flagged_today": N_("%(count)s flagged · without them %(average)s"),
}

REPORT_MESSAGES = {
    "loading": N_("Loading…"),
    "empty": N_("No tickets in this period."),
    "total": N_("Total"),
    "field": N_("Field"),
    "counter": N_("Counter"),
    "clerk": N_("Clerk"),
    "site": N_("Site"),
    "rank": N_("Rank"),
    "failed": N_("The report could not be made: %(message)s"),
    "period_label": N_("%(start)s to %(end)s"),
    "download_failed": N_("The file could not be downloaded: %(message)s"),
}


def _template_context() -> dict[str, object]:
    actor = require_actor()
    return {"actor": actor, "role": actor.role, "can_act": actor.role in ACTORS}


@blueprint.get("")
@allow(*READERS)
def board():  # type: ignore[no-untyped-def]
    """The live board."""
    messages = {**BOARD_MESSAGES, **{f"alert:{template}": template for template in ALERT_TEMPLATES}}
    from server.uplink.health import UPLINK_MESSAGES

    return render_template("dashboard/board.html", messages=messages, uplink_messages=UPLINK_MESSAGES, page="board",
                           **_template_context())


@blueprint.get("/reports")
@allow(*READERS)
def reports():  # type: ignore[no-untyped-def]
    """Pick a period and a grouping, read the figures, download CSV or XLSX."""
    return render_template("dashboard/reports.html", messages=REPORT_MESSAGES, page="reports", **_template_context())


OUTCOME_NAMES = {"received": N_("Received"), "returned": N_("Returned for more papers"),
                 "result": N_("Result handed over"), "guidance": N_("Guidance only")}


@blueprint.get("/dossiers")
@allow("staff")
def dossier_page():  # type: ignore[no-untyped-def]
    """A dossier's custody trail: its visits in order with field, counter, clerk and outcome (any staff
    member; a clerk finds where a citizen's papers went). Rendered on the server: no script needed."""
    from flask import request

    from server import errors
    from server.models import Service, Site
    from server.queue.dossiers import dossier_trail
    from server.queue.site_settings import site_settings
    from server.runtime import db_session

    actor = require_actor()
    session = db_session()
    site_id = actor.site_id or session.scalar(select(Site.id).order_by(Site.id).limit(1))
    code = (request.args.get("code") or "").strip()[:64]
    trail, not_found = None, False
    if code and site_id is not None:
        try:
            trail = dossier_trail(session, site_id, code)
        except errors.DossierNotFound:
            not_found = True
    site = session.get(Site, site_id) if site_id is not None else None
    if trail is not None:
        from zoneinfo import ZoneInfo
        import datetime as dt

        zone = ZoneInfo(site.timezone if site else "Asia/Ho_Chi_Minh")
        for visit in trail["visits"]:
            visit["at_local"] = dt.datetime.fromisoformat(visit["at"]).astimezone(zone).strftime("%d/%m/%Y %H:%M")
    services = {service.id: service for service in session.scalars(select(Service).where(Service.site_id == site_id))}
    papers = {item.code: item for item in site_settings(site.settings if site else None).dossiers.missing_items}
    return render_template("dashboard/dossier.html", page="dossiers", code=code, trail=trail, not_found=not_found,
                           services=services, papers=papers, outcome_names=OUTCOME_NAMES, **_template_context())


LEADER_MESSAGES = {
    **{f"kind_{kind}": name for kind, name in leadership.KIND_NAMES.items()},
    "week_of": N_("Week %(start)s – %(end)s"),
    "figure_target": N_("%(figure)s (target %(target)s)"),
    "needs_action": N_("Action needed"),
    "overdue": N_("Overdue since %(date)s"),
    "in_progress": N_("Action due %(date)s"),
    "cleared": N_("Cleared"),
    "action_label": N_("What will be done"),
    "due_label": N_("Due date"),
    "save_action": N_("Record the action"),
    "note_label": N_("Note on what was done (required to clear)"),
    "clear": N_("Clear this item"),
    "action_by": N_("Action by %(name)s: %(action)s"),
    "cleared_by": N_("Cleared by %(name)s: %(note)s"),
    "no_items": N_("No red items in the recent weeks."),
    "review_now": N_("Review last week now"),
    "summary": N_("%(open)s red item(s) open, %(overdue)s overdue"),
    "failed": N_("Not saved: %(message)s"),
    "saved": N_("Saved."),
}


@blueprint.get("/leader")
@allow("leader", "supervisor", "admin", "inspector")
def leader_page():  # type: ignore[no-untyped-def]
    """The leader's board: red items of each week and what the head of the centre did about them."""
    return render_template("dashboard/leader.html", messages=LEADER_MESSAGES, page="leader", **_template_context())


@blueprint.get("/token")
@allow(*READERS, "leader")
def live_token():  # type: ignore[no-untyped-def]
    """The staff token of this browser's log-in, for the Socket.IO connection (a tab opened without
    going through /login has the session cookie but nothing in sessionStorage)."""
    return jsonify({"token": presented_credential()})
