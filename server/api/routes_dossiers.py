"""Dossiers and repeat visits: attach a dossier code and outcome to the visit being served, read a
dossier's custody trail (docs/dossiers.md)."""
from __future__ import annotations

from typing import Literal

from flask import jsonify
from pydantic import Field

from server.api import api
from server.api.common import resolve_site_id
from server.api.schemas import Answer, SiteQuery, Strict
from server.api.validation import documented, json_body, query_args
from server.auth.access import allow, require_actor
from server.models import Counter, Site, Staff, Ticket
from server.queue.dossiers import citizen_key_hash, dossier_trail, visit_view
from server.queue.site_settings import site_settings
from server.runtime import db_session, queue_service, runtime

CLERKS = ("clerk", "supervisor", "admin")


class DossierBody(Strict):
    code: str = Field(min_length=1, max_length=64)
    outcome: Literal["received", "returned", "result", "guidance"]
    missing: list[str] = Field(default_factory=list, max_length=30)
    # A phone number or citizen ID where the site uses one as a repeat-visit key: hashed here, never kept.
    citizen_key: str | None = Field(default=None, max_length=32)


class DossierVisitAnswer(Answer):
    ticket_id: int
    number: str
    service_id: int
    counter_id: int | None
    outcome: Literal["received", "returned", "result", "guidance"]
    missing: list[str]
    visit_number: int
    repeat: bool
    breach: bool
    at: str


class AttachedAnswer(DossierVisitAnswer):
    code: str


class DossierAnswer(Answer):
    code: str
    visits: list[DossierVisitAnswer]


@api.post("/tickets/<int:ticket_id>/dossier")
@allow(*CLERKS)
@documented("Attach a dossier code (mã hồ sơ) and the visit's outcome to the ticket being served",
            body=DossierBody, responses={200: AttachedAnswer, 409: "ticket_not_at_counter", 422: "validation_failed"},
            tags=("dossiers",))
def attach_dossier(ticket_id: int):  # type: ignore[no-untyped-def]
    body = json_body(DossierBody)
    actor = require_actor()
    key_hash = None
    if body.citizen_key:
        ticket = db_session().get(Ticket, ticket_id)
        site = db_session().get(Site, ticket.site_id) if ticket is not None else None
        kind = site_settings(site.settings).dossiers.citizen_key if site is not None else "off"
        if site is not None and kind != "off":
            key_hash = citizen_key_hash(runtime().settings.effective_citizen_key_secret, site.id, kind, body.citizen_key)
        db_session().rollback()  # the read ends before the verb's write transaction
    visit = queue_service().attach_dossier(ticket_id, actor, body.code, body.outcome, body.missing, key_hash)
    session = db_session()
    ticket = session.get(Ticket, visit.ticket_id)
    clerk = session.get(Staff, visit.clerk_id) if visit.clerk_id else None
    counter = session.get(Counter, visit.counter_id) if visit.counter_id else None
    return jsonify({"code": visit.code, **visit_view(visit, ticket, clerk, counter)})


@api.get("/dossiers/<code>")
@allow("staff")
@documented("A dossier's visits at the site in order (field, counter, clerk, outcome): its custody trail",
            query=SiteQuery, responses={200: DossierAnswer, 404: "dossier_not_found"}, tags=("dossiers",))
def get_dossier(code: str):  # type: ignore[no-untyped-def]
    query = query_args(SiteQuery)
    site_id = resolve_site_id(require_actor(), query.site_id)
    return jsonify(dossier_trail(db_session(), site_id, code))
