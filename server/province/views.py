"""The central's screens and API: the live board of every site (pushed over Socket.IO namespace
/province), GET /api/v1/province/sites and the inspector's re-check of a site's stored chain."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template
from pydantic import Field

from server.api.schemas import Answer, Strict
from server.api.validation import documented, json_body
from server.auth.access import allow, presented_credential, require_actor
from server.errors import N_
from server.queue import leadership
from server.province.catalogue import published, replace_catalogue
from server.province.ingest import sites_overview, verify_stored
from server.runtime import db_session, runtime

blueprint = Blueprint("province", __name__, template_folder="templates", static_folder="static",
                      static_url_path="/province/static")
api = Blueprint("province_api", __name__, url_prefix="/api/v1/province")

READERS = ("leader", "inspector", "admin")
VERIFIERS = ("inspector", "admin")

BOARD_MESSAGES = {
    "connected": N_("Connected"),
    "disconnected": N_("Disconnected"),
    "never_seen": N_("Never connected"),
    "last_seen_now": N_("last seen just now"),
    "last_seen_minutes": N_("last seen %(minutes)s minutes ago"),
    "last_seen_hours": N_("last seen %(hours)s hours ago"),
    "last_seen_days": N_("last seen %(days)s days ago"),
    "minutes_short": N_("%(minutes)s min"),
    "no_sites": N_("No site is registered yet."),
    "offline": N_("Connection to the province server lost"),
    "demo": N_("demo data"),
    "lag": N_("%(count)s events behind"),
    "sites_summary": N_("%(total)s sites · %(connected)s connected · %(waiting)s citizens waiting"),
    "session_expired": N_("Your log-in has expired. Please log in again."),
    "red_overdue": N_("%(count)s overdue"),
    "red_due": N_("action due %(date)s"),
    "red_no_action": N_("no action recorded yet"),
    "red_week": N_("week of %(date)s"),
    "red_more": N_("and %(count)s more"),
    # The leader's red items, named as the site's own board names them.
    **{f"kind_{kind}": name for kind, name in leadership.KIND_NAMES.items()},
    "own_name": N_("The site calls itself: %(name)s"),
}


class RedItem(Answer):
    """An open red item of the site's leader's board, worst first (overdue, oldest week, most serious)."""

    item_id: int
    kind: str
    week_start: str | None
    due: str | None
    overdue: bool


class ProvinceSiteRow(Answer):
    id: int
    code: str
    name: str
    site_name: str
    connected: bool
    last_seen_at: str | None
    last_seq: int
    waiting: int
    longest_wait_s: int
    counters_open: int
    issued_today: int
    served_today: int
    ratings_today: int
    satisfaction_today: float | None
    open_alerts: int
    red_items_open: int
    red_items_overdue: int
    red_items: list[RedItem]


class CatalogueEntry(Strict):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)
    prefix: str = Field(default="", max_length=8, pattern=r"^[A-Za-z]*$")


class CatalogueBody(Strict):
    """The province's whole list of fields, in order (it replaces the list before it)."""

    fields: list[CatalogueEntry] = Field(max_length=500)


class CatalogueAnswer(Answer):
    version: str
    fields: list[CatalogueEntry]


class VerifyAnswer(Answer):
    ok: bool
    checked: int
    first_bad_seq: int | None


def overview(site_ids: list[int] | None = None) -> list[dict[str, Any]]:
    settings = runtime().settings
    return sites_overview(db_session(), runtime().clock.now(), settings.timezone, settings.province_stale_s, site_ids)


@blueprint.get("/province")
@allow(*READERS)
def board():  # type: ignore[no-untyped-def]
    """The live board of every site; the rows arrive over Socket.IO."""
    actor = require_actor()
    return render_template("province/board.html", actor=actor, messages=BOARD_MESSAGES,
                           stale_s=runtime().settings.province_stale_s)


@blueprint.get("/province/token")
@allow(*READERS)
def live_token():  # type: ignore[no-untyped-def]
    """The log-in token of this browser, for the board's Socket.IO connection."""
    return jsonify({"token": presented_credential()})


@api.get("/sites")
@allow(*READERS)
@documented("Every site of the province with its live state", responses={200: list[ProvinceSiteRow]},
            tags=("province",))
def sites():  # type: ignore[no-untyped-def]
    return jsonify(overview())


@api.get("/sites/<int:site_id>/verify")
@allow(*VERIFIERS)
@documented("Re-check the stored hash chain of a site from its first event", responses={200: VerifyAnswer, 404: "no such site"},
            tags=("province",))
def verify(site_id: int):  # type: ignore[no-untyped-def]
    return jsonify(verify_stored(db_session(), site_id))


@api.get("/catalogue")
@allow(*READERS)
@documented("The province catalogue of fields (lĩnh vực) published to every site, with its version",
            responses={200: CatalogueAnswer}, tags=("province",))
def catalogue():  # type: ignore[no-untyped-def]
    return jsonify(published(db_session()))


@api.put("/catalogue")
@allow("admin")
@documented("Replace the province catalogue of fields; sites apply it at their next contact (new fields added "
            "inactive until a counter serves them, renamed ones renamed, nothing deleted)",
            body=CatalogueBody, responses={200: CatalogueAnswer}, tags=("province",))
def replace_catalogue_route():  # type: ignore[no-untyped-def]
    body = json_body(CatalogueBody)
    session = db_session()
    answer = replace_catalogue(session, [entry.model_dump() for entry in body.fields])
    session.commit()
    return jsonify(answer)
