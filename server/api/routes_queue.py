"""Tickets and counters: issuing, calling and the other verbs of the queue."""
from __future__ import annotations

from flask import jsonify, request
from sqlalchemy import select

from server import errors
from server.api import api
from server.api.common import idempotency_key
from server.api.schemas import (IssuedTicket, IssueTicketBody, PauseBody, PrintJobAnswer, RecallBody, ReprintBody,
                                TicketAnswer, TransferBody)
from server.api.validation import documented, json_body
from server.auth.access import allow, public, require_actor
from server.models import Counter, Ticket
from server.queue import queries
from server.runtime import db_session, queue_service, runtime

CLERKS = ("clerk", "supervisor", "admin")
# Who may see a citizen's verdict: never a clerk (CONTRACT.md, DESIGN.md "Ratings").
RATING_READERS = ("supervisor", "admin", "inspector")


def _ticket_answer(ticket: Ticket, status: int = 200):  # type: ignore[no-untyped-def]
    response = jsonify(queries.ticket_view(ticket))
    response.status_code = status
    return response


def _counter_answer(counter: Counter):  # type: ignore[no-untyped-def]
    views = {c["id"]: c for c in queries.counters_view(db_session(), counter.site_id, runtime().clock)}
    return jsonify(views[counter.id])


@api.post("/tickets")
@allow("device:kiosk", "clerk", "supervisor", "admin")
@documented("Issue a ticket (kiosk, or staff on a citizen's behalf)", body=IssueTicketBody,
            responses={201: IssuedTicket, 200: IssuedTicket,  # 200: the same Idempotency-Key again
                       404: "unknown field", 409: "closed hours or daily quota reached"}, tags=("tickets",))
def issue_ticket():  # type: ignore[no-untyped-def]
    body = json_body(IssueTicketBody)
    service = queue_service()
    issued = service.issue_ticket(body.service_id, require_actor(), priority_code=body.priority,
                                  language=body.language, idempotency_key=idempotency_key(),
                                  declared_visit=body.visit)
    ticket = issued.ticket
    response = jsonify({
        "id": ticket.id,
        "number": ticket.number,
        "service_id": ticket.service_id,
        "status": ticket.status.value,
        "priority": body.priority,
        "issued_at": ticket.issued_at.isoformat(),
        "ahead": issued.ahead,
        "estimated_wait_s": issued.estimated_wait_s,
        "public_url": service.public_url(ticket),
        "print_job_id": issued.print_job_id,
        "replayed": issued.replayed,
    })
    response.status_code = 200 if issued.replayed else 201
    return response


@api.get("/tickets/<int:ticket_id>")
@allow("staff")
@documented("A ticket with its history (from the event log)", responses={200: TicketAnswer}, tags=("tickets",))
def get_ticket(ticket_id: int):  # type: ignore[no-untyped-def]
    actor = require_actor()
    ticket = db_session().get(Ticket, ticket_id)
    if ticket is None or (actor.site_id is not None and ticket.site_id != actor.site_id):
        raise errors.TicketNotFound()
    history = queries.ticket_history(db_session(), ticket.id, include_ratings=actor.role in RATING_READERS)
    return jsonify({**queries.ticket_view(ticket), "history": history})


@api.get("/public/tickets/<token>")
@public
@documented("The citizen's view of a ticket, by the token in its QR code", tags=("public",))
def public_ticket(token: str):  # type: ignore[no-untyped-def]
    return jsonify(queries.public_ticket_view(db_session(), token, runtime().clock))


@api.post("/counters/<int:counter_id>/call-next")
@allow(*CLERKS)
@documented("Call the next citizen to this counter", responses={200: TicketAnswer, 404: "no_ticket_waiting"},
            tags=("counters",))
def call_next(counter_id: int):  # type: ignore[no-untyped-def]
    ticket = queue_service().call_next(counter_id, require_actor(), idempotency_key=idempotency_key())
    return _ticket_answer(ticket)


@api.post("/counters/<int:counter_id>/open")
@allow(*CLERKS)
@documented("A clerk starts working at this counter", tags=("counters",))
def open_counter(counter_id: int):  # type: ignore[no-untyped-def]
    return _counter_answer(queue_service().open_counter(counter_id, require_actor()))


@api.post("/counters/<int:counter_id>/close")
@allow(*CLERKS)
@documented("Close this counter", tags=("counters",))
def close_counter(counter_id: int):  # type: ignore[no-untyped-def]
    return _counter_answer(queue_service().close_counter(counter_id, require_actor()))


@api.post("/counters/<int:counter_id>/pause")
@allow(*CLERKS)
@documented("Pause this counter with a reason", body=PauseBody, tags=("counters",))
def pause_counter(counter_id: int):  # type: ignore[no-untyped-def]
    body = json_body(PauseBody)
    return _counter_answer(queue_service().pause_counter(counter_id, require_actor(), body.reason))


@api.post("/counters/<int:counter_id>/resume")
@allow(*CLERKS)
@documented("Resume a paused counter", tags=("counters",))
def resume_counter(counter_id: int):  # type: ignore[no-untyped-def]
    return _counter_answer(queue_service().resume_counter(counter_id, require_actor()))


@api.get("/counters/<int:counter_id>/snapshot")
@allow("staff")
@documented("The counter console's state: current ticket, waiting list, no-shows", tags=("counters",))
def counter_snapshot(counter_id: int):  # type: ignore[no-untyped-def]
    actor = require_actor()
    counter = db_session().get(Counter, counter_id)
    if counter is None or (actor.site_id is not None and counter.site_id != actor.site_id):
        raise errors.CounterNotFound()
    return jsonify(queries.counter_snapshot(db_session(), counter_id, runtime().clock))


@api.get("/counters")
@allow("staff")
@documented("Counters of the caller's site", tags=("counters",))
def list_counters():  # type: ignore[no-untyped-def]
    actor = require_actor()
    site_id = actor.site_id or db_session().scalar(select(Counter.site_id).limit(1))
    return jsonify(queries.counters_view(db_session(), site_id, runtime().clock) if site_id else [])


@api.post("/tickets/<int:ticket_id>/recall")
@allow(*CLERKS)
@documented("Call a ticket again, or bring back a no-show", body=RecallBody, body_optional=True,
            responses={200: TicketAnswer, 409: "invalid_transition"}, tags=("tickets",))
def recall(ticket_id: int):  # type: ignore[no-untyped-def]
    body = json_body(RecallBody) if _has_body() else RecallBody()
    return _ticket_answer(queue_service().recall(ticket_id, require_actor(), counter_id=body.counter_id))


@api.post("/tickets/<int:ticket_id>/skip")
@allow(*CLERKS)
@documented("The called citizen did not come (no-show)", responses={200: TicketAnswer, 409: "invalid_transition"}, tags=("tickets",))
def skip(ticket_id: int):  # type: ignore[no-untyped-def]
    return _ticket_answer(queue_service().skip(ticket_id, require_actor()))


@api.post("/tickets/<int:ticket_id>/start")
@allow(*CLERKS)
@documented("Start serving the called citizen", responses={200: TicketAnswer, 409: "invalid_transition"}, tags=("tickets",))
def start(ticket_id: int):  # type: ignore[no-untyped-def]
    return _ticket_answer(queue_service().start(ticket_id, require_actor()))


@api.post("/tickets/<int:ticket_id>/finish")
@allow(*CLERKS)
@documented("Service finished; opens the counter's rating window", responses={200: TicketAnswer, 409: "invalid_transition"}, tags=("tickets",))
def finish(ticket_id: int):  # type: ignore[no-untyped-def]
    return _ticket_answer(queue_service().finish(ticket_id, require_actor()))


@api.post("/tickets/<int:ticket_id>/transfer")
@allow(*CLERKS)
@documented("Send the citizen to another field or counter", body=TransferBody, responses={200: TicketAnswer, 409: "invalid_transition"},
            tags=("tickets",))
def transfer(ticket_id: int):  # type: ignore[no-untyped-def]
    body = json_body(TransferBody)
    ticket = queue_service().transfer(ticket_id, require_actor(), to_service_id=body.service_id,
                                      to_counter_id=body.counter_id, note=body.note)
    return _ticket_answer(ticket)


@api.post("/tickets/<int:ticket_id>/cancel")
@allow("supervisor", "admin")
@documented("Remove a waiting ticket", responses={200: TicketAnswer}, tags=("tickets",))
def cancel(ticket_id: int):  # type: ignore[no-untyped-def]
    return _ticket_answer(queue_service().cancel(ticket_id, require_actor()))


@api.post("/tickets/<int:ticket_id>/reprint")
@allow("device:kiosk", "supervisor", "admin")
@documented("Print a ticket again on a kiosk's printer", body=ReprintBody, body_optional=True,
            responses={202: PrintJobAnswer}, tags=("tickets",))
def reprint(ticket_id: int):  # type: ignore[no-untyped-def]
    body = json_body(ReprintBody) if _has_body() else ReprintBody()
    job_id = queue_service().reprint(ticket_id, require_actor(), kiosk_device_id=body.kiosk_id)
    response = jsonify({"print_job_id": job_id})
    response.status_code = 202
    return response


def _has_body() -> bool:
    return bool(request.get_data(cache=True))
