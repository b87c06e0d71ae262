"""Ratings: from a counter's rating terminal (device key) or a citizen's phone (the ticket's token)."""
from __future__ import annotations

from flask import jsonify, request

from server.api import api
from server.api.schemas import RatingAnswer, RatingBody
from server.api.validation import documented, json_body
from server.auth.access import current_actor, public
from server.queue.actors import Actor
from server.queue.service import RatingRequest
from server.runtime import queue_service


@api.post("/ratings")
@public
@documented(
    "Rate a served ticket (terminal key with ticket_id, or anyone with the ticket's token)",
    body=RatingBody,
    responses={201: RatingAnswer, 403: "bad token, staff credentials or another counter",
               409: "already_rated, ticket_not_served or rating_window_closed", 429: "rate_limited"},
    tags=("ratings",),
)
def rate():  # type: ignore[no-untyped-def]
    # Public route: the rules of who may rate (never staff, terminals only for their own counter,
    # phones only with the token) live in the domain verb, which also records every refusal.
    body = json_body(RatingBody)
    actor = current_actor() or Actor(kind="citizen")
    rating = queue_service().rate(
        RatingRequest(score=body.score, ticket_id=body.ticket_id, token=body.token, reasons=tuple(body.reasons),
                      comment=body.comment, remote_addr=request.remote_addr or ""),
        actor,
    )
    response = jsonify({"id": rating.id, "ticket_id": rating.ticket_id, "score": rating.score,
                        "reasons": rating.reasons, "channel": rating.channel.value,
                        "created_at": rating.created_at.isoformat()})
    response.status_code = 201
    return response
