"""The counter's rating terminal (`/rating/<counter id>`): the tablet facing the citizen at a counter.

The page is a public shell; the terminal's device key (`?key=` once, then remembered by the browser)
authenticates its Socket.IO connection and its POST /api/v1/ratings. Idle it greets the citizen with
the counter and the clerk; when the clerk finishes a ticket the server sends `rating_requested` and the
page shows the configured buttons for the configured time.
"""
from __future__ import annotations

from flask import Blueprint, render_template

from server.auth.access import public
from server.errors import N_

blueprint = Blueprint(
    "rating",
    __name__,
    url_prefix="/rating",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def _page_strings() -> dict[str, str]:
    """Strings the terminal script shows, as English msgids (the page gets both languages)."""
    return {
        "title": N_("Rating terminal"),
        "offline": N_("Connection lost"),
        "connecting": N_("Connecting…"),
        "counter_no": N_("Counter no."),
        "welcome": N_("Welcome"),
        "served_by": N_("Serving you today"),
        "idle_hint": N_("When your visit is finished, please tell us how satisfied you are."),
        "no_clerk": N_("No clerk is working at this counter right now."),
        "counter_paused": N_("The counter is paused for a moment."),
        "counter_closed": N_("This counter is closed."),
        "question": N_("How satisfied are you with the service?"),
        "question_clerk": N_("How satisfied are you with {name}?"),
        "number": N_("Number"),
        "seconds_left": N_("{seconds} s left"),
        "reasons_title": N_("We are sorry. What was not right?"),
        "reasons_hint": N_("Choose one or more reasons, then press “Send”."),
        "send": N_("Send the rating"),
        "thanks": N_("Thank you!"),
        "thanks_detail": N_("Your rating helps the centre serve citizens better."),
        "sending": N_("Sending…"),
        "not_sent": N_("The rating was not recorded"),
        "network_error": N_("The server cannot be reached. Please try again."),
        "no_key": N_("This screen has no device key yet. Open it once with ?key=<rating terminal key>."),
        "bad_key": N_("The device key of this screen was not accepted. Ask the administrator for a rating terminal key."),
        "other_counter": N_("This terminal belongs to counter {counter}."),
    }


@blueprint.get("/<int:counter_id>")
@public
def terminal(counter_id: int):  # type: ignore[no-untyped-def]
    """The rating screen shell (10" tablet, 1280×800); the counter shown is the one of the device key."""
    return render_template("rating/terminal.html", strings=_page_strings(), counter_id=counter_id)
