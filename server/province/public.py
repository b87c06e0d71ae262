"""The central's public side: GET /api/v1/public/wait-times and the /wait page for a citizen's phone
(pick a field, see which centre has the shortest wait now; pushed over the public Socket.IO namespace
/wait, never polled). No personal data: only each centre's fields, their lines and estimates."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from pydantic import Field

from server.api.schemas import Answer, Query
from server.api.validation import documented, query_args
from server.auth.access import public
from server.errors import N_
from server.province.catalogue import catalogue_entries
from server.province.waits import wait_times
from server.runtime import db_session, runtime

blueprint = Blueprint("province_public", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/province/public-static")

WAIT_MESSAGES = {
    "minutes": N_("about %(minutes)s min"),
    "no_wait": N_("No wait"),
    "waiting": N_("%(count)s waiting"),
    "counters": N_("%(count)s counters serving"),
    "counter_one": N_("1 counter serving"),
    "no_counter": N_("No counter serving this field now"),
    "disconnected": N_("Not connected: figures of %(time)s"),
    "never": N_("No figures yet"),
    "offline": N_("Reconnecting…"),
    "choose": N_("Choose a field"),
    "shortest": N_("Shortest wait"),
}


class WaitField(Answer):
    code: str
    name: str
    waiting: int
    estimated_wait_s: int


class WaitSite(Answer):
    site_id: int
    code: str
    name: str
    connected: bool
    fields: list[WaitField]


class WaitTimesQuery(Query):
    """`field`: one field's code (the province catalogue's), to get only that field's line per centre."""

    field: str | None = Field(default=None, min_length=1, max_length=32)


def field_choices() -> list[dict[str, str]]:
    """The fields a citizen can pick: the province catalogue when there is one, else every field any centre
    reported (by code, the first name seen)."""
    entries = catalogue_entries(db_session())
    if entries:
        return [{"code": entry["code"], "name": entry["name"], "name_en": entry["name_en"]} for entry in entries]
    seen: dict[str, dict[str, str]] = {}
    for site in wait_times(db_session(), runtime().clock.now(), runtime().settings.province_stale_s):
        for field in site["fields"]:
            seen.setdefault(field["code"], {"code": field["code"], "name": field["name"], "name_en": ""})
    return sorted(seen.values(), key=lambda choice: choice["name"])


@blueprint.get("/api/v1/public/wait-times")
@public
@documented("Every centre of the province with its fields' waiting lines and the wait a citizen taking a "
            "number now is told (the centre's own estimate); no personal data", query=WaitTimesQuery,
            responses={200: list[WaitSite]}, tags=("province", "public"))
def api_wait_times():  # type: ignore[no-untyped-def]
    query = query_args(WaitTimesQuery)
    settings = runtime().settings
    return jsonify(wait_times(db_session(), runtime().clock.now(), settings.province_stale_s, field_code=query.field))


@blueprint.get("/wait")
@public
def wait_page():  # type: ignore[no-untyped-def]
    """The citizen's phone page: where is the shortest wait for my field right now."""
    return render_template("province/wait.html", choices=field_choices(), messages=WAIT_MESSAGES,
                           stale_s=runtime().settings.province_stale_s, timezone=runtime().settings.timezone)
