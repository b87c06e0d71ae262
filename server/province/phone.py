"""The citizen's phone page through the province server (issue 15, docs/phone-via-central.md).

A site's QR codes point here once it is uplinked. The central knows each ticket only by the SHA-256 of
its token: the site's hash-chained `ticket_issued` event binds the digest to that site (ingest), and
the site's `phone_tickets` uplink call brings what its own phone page shows (status, people ahead,
estimated wait, counter). A phone presents the token; the central hashes it and finds the ticket.

A rating given here is relayed to the ticket's own site over that site's uplink connection (the
`relayed_rating` downlink message), where the site's rating verb decides. No answer within
RELAY_WAIT_S (link down, or the site's socket in another central process): the rating is kept as
pending (202) and delivered after the site's next `hello`, exactly once (the site stores it under an
idempotency key derived from this row's id); the phone page shows the verdict when it comes.
"""
from __future__ import annotations

import datetime as dt
import logging
import re
import threading
from pathlib import Path
from typing import Annotated, Any, Sequence

from flask import Blueprint, jsonify, render_template, request
from flask_babel import gettext
from flask_socketio import ConnectionRefusedError, join_room
from pydantic import Field
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server import errors
from server.api.schemas import Strict, Whole
from server.api.validation import documented, json_body
from server.auth.access import public
from server.auth.secrets import digest
from server.i18n import catalogue
from server.inputs import first_control_character
from server.province.models import PhoneLookupMiss, PhoneRating, PhoneTicket, ProvinceSite
from server.queue.hashchain import ChainedEvent
from server.queue.ratings import TOKEN_PATTERN_LENGTH, token_pattern
from server.runtime import runtime

logger = logging.getLogger(__name__)

PHONE_NAMESPACE = "/phone"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
MAX_TOKEN_LENGTH = 64
# Tokens that matched nothing, per minute: per token pattern (its first characters), and for all
# patterns together (a guard against a guesser spreading over patterns). Never per address: every
# phone behind a carrier's NAT shares one, and a guesser must not lock the next citizen out.
MISSES_PER_PATTERN_PER_MINUTE = 10
MISSES_PER_MINUTE = 300
RELAY_WAIT_S = 1.5  # the phone hears the site's verdict within 2 s, or 202
MAX_VIEWS = 500
PENDING, ACCEPTED, REFUSED = "pending", "accepted", "refused"
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
KEEP_DAYS = 31  # server/queue/site_settings.py: phone_window_hours ≤ 30 days

# The kiosk package's phone page (template, script, styles) served by the central.
KIOSK_ROOT = Path(__file__).resolve().parents[2] / "kiosk"
blueprint = Blueprint("province_phone", __name__, template_folder=str(KIOSK_ROOT / "templates"),
                      static_folder=str(KIOSK_ROOT / "static"), static_url_path="/phone/static")
api = Blueprint("province_phone_api", __name__, url_prefix="/api/v1")


class PhoneRatingBody(Strict):
    token: str = Field(min_length=1, max_length=MAX_TOKEN_LENGTH)
    score: Whole = Field(ge=1, le=5)
    reasons: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=10)
    comment: str = Field(default="", max_length=1000)


class RelayedRefusal(errors.HangChoError):
    """The ticket's site refused the rating: its code, status and message, as the site answered them."""

    def __init__(self, code: str, status: int, message: str, params: dict[str, Any]) -> None:
        self.code, self.status = code, status
        super().__init__(message, **params)


# --------------------------------------------------------------------------- fed by the uplink

def bind_tickets(session: Session, site_id: int, events: Sequence[ChainedEvent], timezone: str,
                 now: dt.datetime) -> None:
    """In the ingest's transaction: each `ticket_issued` that carries its token's digest makes that
    digest a ticket of this site (the first binding stays: a digest never moves to another site)."""
    from server.province.live import local_date

    rows = []
    for event in events:
        payload = event.payload
        sha = payload.get("token_sha256")
        if event.type != "ticket_issued" or not isinstance(sha, str) or not HEX64.match(sha) \
                or type(payload.get("id")) is not int:
            continue
        view = {key: payload.get(key) for key in ("id", "number", "status", "service_id", "issued_at", "called_at",
                                                  "counter_id", "counter_number")}
        rows.append({"site_id": site_id, "token_sha256": sha, "ticket_id": payload["id"],
                     "business_date": local_date(event.created_at, timezone), "view": view, "updated_at": now})
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert(PhoneTicket) if dialect == "postgresql" else sqlite_insert(PhoneTicket)
    session.execute(insert.on_conflict_do_nothing(index_elements=["token_sha256"]), rows)


def store_views(session: Session, site_id: int, raw: Any, now: dt.datetime) -> list[str]:
    """The site's `phone_tickets` call: its phone page's view of tickets it owns; returns the digests whose
    view changed (their phones are told). Digests of another site's tickets, or unknown, are ignored."""
    if not isinstance(raw, list) or len(raw) > MAX_VIEWS:
        raise errors.ValidationFailed(fields={"tickets": f"a list of at most {MAX_VIEWS} views"})
    views = {}
    for item in raw:
        sha = item.get("token_sha256") if isinstance(item, dict) else None
        view = item.get("view") if isinstance(item, dict) else None
        if not isinstance(sha, str) or not HEX64.match(sha) or not isinstance(view, dict):
            raise errors.ValidationFailed(fields={"tickets": "each: token_sha256, view"})
        views[sha] = view
    changed = []
    for row in session.scalars(select(PhoneTicket).where(PhoneTicket.site_id == site_id,
                                                         PhoneTicket.token_sha256.in_(list(views)))):
        if row.view != views[row.token_sha256]:
            row.view, row.updated_at = views[row.token_sha256], now
            changed.append(row.token_sha256)
    session.commit()
    return changed


def announced_base_url(settings: Any) -> str:
    """The public URL the central tells its sites to print in QR codes: HANGCHO_PUBLIC_BASE_URL, or
    http://host:port when the host is a real address (a wildcard bind address would print a QR code no
    phone can open: the sites then keep their own URL)."""
    if settings.public_base_url:
        return settings.base_url
    return "" if settings.host in WILDCARD_HOSTS else settings.base_url


def forget_old_tickets(session: Session, site_id: int, today: dt.date) -> None:
    """Phone tickets older than the longest phone window a site may set (30 days) are of no more use."""
    session.execute(PhoneTicket.__table__.delete().where(
        PhoneTicket.site_id == site_id, PhoneTicket.business_date < today - dt.timedelta(days=KEEP_DAYS)))
    session.commit()


def push_changes(digests: Sequence[str]) -> None:
    """Phones watching these tickets fetch their view again (the event names the site's ticket id)."""
    from server.realtime import socketio

    if not digests:
        return
    with runtime().session_factory() as session:
        rows = session.execute(select(PhoneTicket.token_sha256, PhoneTicket.ticket_id)
                               .where(PhoneTicket.token_sha256.in_(list(digests)))).all()
    for sha, ticket_id in rows:
        socketio.emit("ticket_changed", {"id": ticket_id}, to=phone_room(sha), namespace=PHONE_NAMESPACE)


def phone_room(sha: str) -> str:
    return f"phone:{sha}"


# --------------------------------------------------------------------------- looking a token up

def find_ticket(token: str) -> PhoneTicket:
    """The ticket whose token the phone presents; a token that matches nothing is recorded and refused as
    not found, or 429 once its pattern (or every pattern together) has missed too often. A real token is
    never refused by the throttle: guessers must not be able to lock citizens out (issue 11), and a
    144-bit token is not found by guessing anyway; the throttle keeps guessing from costing the server."""
    now = runtime().clock.now()
    pattern = token_pattern(token)
    recent = select(func.count(PhoneLookupMiss.id)).where(PhoneLookupMiss.created_at >= now - dt.timedelta(minutes=1))
    # A reading session of its own, closed before any write: on SQLite a request's writing session would
    # hold the write lock that recording a miss (or the rating) needs.
    with runtime().session_factory() as session:
        row = None
        if 0 < len(token) <= MAX_TOKEN_LENGTH and first_control_character(token) is None:
            row = session.scalar(select(PhoneTicket).where(PhoneTicket.token_sha256 == digest(token)))
        if row is not None:
            return row
        if (session.scalar(recent.where(PhoneLookupMiss.token_pattern == pattern)) or 0) >= MISSES_PER_PATTERN_PER_MINUTE \
                or (session.scalar(recent) or 0) >= MISSES_PER_MINUTE:
            raise errors.RatingRateLimited()
    writer = runtime().write_session_factory()
    try:
        writer.add(PhoneLookupMiss(token_pattern=pattern[:TOKEN_PATTERN_LENGTH], created_at=now))
        writer.execute(PhoneLookupMiss.__table__.delete().where(
            PhoneLookupMiss.created_at < now - dt.timedelta(minutes=10)))
        writer.commit()
    finally:
        writer.close()
    raise errors.TicketNotFound(message=errors.N_("This ticket link is not valid."))


def ratings_given_here(session: Session, sha: str) -> list[PhoneRating]:
    return list(session.scalars(select(PhoneRating).where(PhoneRating.token_sha256 == sha).order_by(PhoneRating.id)))


def rating_status(ratings: Sequence[PhoneRating]) -> str | None:
    """Accepted once the site accepted any; pending while one waits for its site; else the last verdict."""
    statuses = {rating.status for rating in ratings}
    for status in (ACCEPTED, PENDING):
        if status in statuses:
            return status
    return ratings[-1].status if ratings else None


def central_view(row: PhoneTicket) -> dict[str, Any]:
    """The site's view of the ticket (the site's phone page's shape) plus what the central knows of a
    rating given here: `rating_status` pending | accepted | refused (None: none given here)."""
    view = dict(row.view)
    view.setdefault("service_name", "")
    view.setdefault("site", {})
    view.setdefault("ahead", 0)
    view.setdefault("estimated_wait_s", 0)
    view.setdefault("can_rate", False)
    view.setdefault("rated", False)
    view["updated_at"] = row.updated_at.isoformat()
    with runtime().session_factory() as session:
        ratings = ratings_given_here(session, row.token_sha256)
        site = session.get(ProvinceSite, row.site_id)
    # Whether the figures are live: the page says "as of" when the site's link is down.
    now, stale_s = runtime().clock.now(), runtime().settings.province_stale_s
    view["site_connected"] = bool(site is not None and site.connected and site.last_seen_at is not None
                                  and (now - site.last_seen_at).total_seconds() <= stale_s)
    view["as_of"] = site.last_seen_at.isoformat() if site is not None and site.last_seen_at else None
    status = rating_status(ratings)
    view["rating_status"] = status
    view["rating_error"] = ratings[-1].error if status == REFUSED else None
    view["ratings"] = [{"id": rating.id, "status": rating.status, "error": rating.error or None,
                        "given_at": rating.given_at.isoformat()} for rating in ratings]
    if status in (PENDING, ACCEPTED):
        view["can_rate"] = False
        view["rated"] = view["rated"] or status == ACCEPTED
    return view


# --------------------------------------------------------------------------- relaying a rating

def relay(rating: PhoneRating, wait_s: float = RELAY_WAIT_S) -> dict[str, Any] | None:
    """Send the rating to its site over the site's uplink socket in this process and wait for the
    site's answer; None when the site is not connected here or did not answer in time."""
    from server.province.realtime import UPLINK, uplinks
    from server.realtime import socketio

    sid = uplinks.sid_of(rating.site_id)
    if sid is None:
        return None
    done, answer = threading.Event(), []

    def on_answer(*args: Any) -> None:
        answer.extend(args)
        done.set()

    socketio.emit("relayed_rating", {
        "rating_id": rating.id, "token_sha256": rating.token_sha256, "score": rating.score,
        "reasons": list(rating.reasons), "comment": rating.comment, "given_at": rating.given_at.isoformat(),
    }, to=sid, namespace=UPLINK, callback=on_answer)
    if not done.wait(wait_s) or not answer or not isinstance(answer[0], dict):
        return None
    result = answer[0]
    if result.get("error") == "unavailable":
        return None  # the site's database failed: try again later
    return result


def record_verdict(session: Session, rating_id: int, answer: dict[str, Any]) -> bool:
    """Keep the site's verdict once (a late answer to an earlier delivery changes nothing)."""
    status = ACCEPTED if answer.get("ok") else REFUSED
    changed = session.execute(update(PhoneRating).where(PhoneRating.id == rating_id, PhoneRating.status == PENDING)
                              .values(status=status, error=str(answer.get("error") or "")[:48],
                                      delivered_at=runtime().clock.now())).rowcount
    session.commit()
    return bool(changed)


_delivering: set[int] = set()
_delivering_lock = threading.Lock()


def deliver_pending(app: Any, site_id: int) -> None:
    """After a site's hello (it is back): its pending ratings, oldest first, one at a time. Run as a
    background task; one per site in this process."""
    with _delivering_lock:
        if site_id in _delivering:
            return
        _delivering.add(site_id)
    try:
        with app.app_context():
            session = runtime().write_session_factory()
            try:
                for rating in session.scalars(select(PhoneRating).where(PhoneRating.site_id == site_id,
                                                                        PhoneRating.status == PENDING)
                                              .order_by(PhoneRating.id)).all():
                    answer = relay(rating, wait_s=10.0)
                    if answer is None:
                        break  # the link went again: the next hello resumes
                    if record_verdict(session, rating.id, answer):
                        logger.info("pending rating %s delivered to site %s: %s", rating.id, site_id,
                                    answer.get("error") or "accepted")
                    push_changes([rating.token_sha256])
            finally:
                session.close()
    finally:
        with _delivering_lock:
            _delivering.discard(site_id)


# --------------------------------------------------------------------------- HTTP

@blueprint.get("/t/<token>")
@public
def phone_page(token: str):  # type: ignore[no-untyped-def]
    """The phone page of a ticket of any uplinked site: the site's own page, fed by the central."""
    from kiosk.views import INVALID_LINK, PHONE_TEXTS

    try:
        row = find_ticket(token)
    except errors.TicketNotFound:
        return render_template("kiosk/ticket_invalid.html", assets="province_phone.static",
                               message=gettext(INVALID_LINK)), 404
    return render_template("kiosk/ticket.html", assets="province_phone.static",
                           config={"texts": catalogue({**PHONE_TEXTS, **CENTRAL_PHONE_TEXTS}), "token": token,
                                   "ticket": central_view(row), "namespace": PHONE_NAMESPACE})


CENTRAL_PHONE_TEXTS = {
    "rating_pending": errors.N_("Received; the result will be shown here."),
    "rating_refused": errors.N_("Your rating was not recorded: %(reason)s"),
    "as_of": errors.N_("The centre is not connected right now: shown as of %(time)s."),
    # The site's refusals, as the phone page names them (rating_error is the site's error code).
    "refused_already_rated": errors.N_("this visit has already been rated."),
    "refused_ticket_not_served": errors.N_("the visit was not complete when you rated it."),
    "refused_rating_window_closed": errors.N_("the time to rate this visit had passed."),
    "refused_other": errors.N_("the centre did not accept it."),
}


@api.get("/public/tickets/<token>")
@public
@documented("The citizen's view of a ticket of an uplinked site, by the token in its QR code (as at the site, "
            "plus rating_status of a rating given here)", responses={404: "unknown token", 429: "rate_limited"},
            tags=("public",))
def public_ticket(token: str):  # type: ignore[no-untyped-def]
    return jsonify(central_view(find_ticket(token)))


@api.post("/ratings")
@public
@documented("Rate a served ticket with its token: relayed to its site, which decides (201 accepted, 202 kept "
            "until the site is back, or the site's refusal)", body=PhoneRatingBody,
            responses={201: "accepted by the site", 202: "pending: delivered when the site is back",
                       403: "bad token", 409: "already_rated, ticket_not_served or rating_window_closed",
                       429: "rate_limited"}, tags=("ratings",))
def rate():  # type: ignore[no-untyped-def]
    body = json_body(PhoneRatingBody)
    try:
        row = find_ticket(body.token)
    except errors.TicketNotFound:
        raise errors.InvalidRatingToken() from None  # as at the site: a bad token is 403
    session = runtime().write_session_factory()
    try:
        rating = PhoneRating(site_id=row.site_id, token_sha256=row.token_sha256, score=body.score,
                             reasons=list(dict.fromkeys(body.reasons)), comment=body.comment.strip(),
                             given_at=runtime().clock.now(), status=PENDING, error="")
        session.add(rating)
        session.commit()
        answer = relay(rating)
        if answer is None:
            response = jsonify({"status": PENDING, "message": gettext(CENTRAL_PHONE_TEXTS["rating_pending"]),
                                "id": rating.id})
            response.status_code = 202
            return response
        record_verdict(session, rating.id, answer)
    finally:
        session.close()
    push_changes([row.token_sha256])
    if not answer.get("ok"):
        params = answer.get("params") if isinstance(answer.get("params"), dict) else {}
        status = answer.get("status") if type(answer.get("status")) is int and 400 <= answer["status"] < 500 else 409
        raise RelayedRefusal(str(answer.get("error") or "refused")[:48], status, str(answer.get("message") or ""), params)
    response = jsonify({**(answer.get("rating") or {}), "status": ACCEPTED})
    response.status_code = 201
    return response


# --------------------------------------------------------------------------- Socket.IO: phones

def init_phone_sockets() -> None:
    from server.realtime import socketio

    @socketio.on("connect", namespace=PHONE_NAMESPACE)
    def on_phone_connect(auth: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
        """A phone follows one ticket: it joins the room of the token's digest and refetches on each push."""
        auth = auth if isinstance(auth, dict) else {}
        token = auth.get("ticket_token")
        if not isinstance(token, str):
            raise ConnectionRefusedError("invalid_token", {"error": "invalid_token", "message": "not_authenticated"})
        try:
            row = find_ticket(token)
        except errors.HangChoError as refusal:
            raise ConnectionRefusedError(refusal.code, {"error": refusal.code, "message": refusal.code}) from None
        join_room(phone_room(row.token_sha256))
        socketio.emit("snapshot", {"id": row.ticket_id}, to=request.sid, namespace=PHONE_NAMESPACE)  # type: ignore[attr-defined]
