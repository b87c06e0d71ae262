"""Ratings: who may rate which ticket, when, and how often (docs/ratings.md).

A rating is bound to a served ticket, its clerk and its counter; one per ticket (the unique ticket_id
backs the check). A counter's terminal or keypad rates only the ticket just finished there, inside its
window, by the window's token (from `rating_requested`) or the ticket id; a phone rates with the ticket's
public token for a while after the service. Staff never rate, and no clerk ever sees a rating: the
`rating_received` event goes to dashboards only, and the ticket history hides it from clerks.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from server import errors
from server.errors import N_
from server.models import (
    Counter,
    DeviceKind,
    Rating,
    RatingAttempt,
    RatingChannel,
    RatingWindow,
    Site,
    Ticket,
    TicketStatus,
)
from server.queue import events as ev
from server.queue.actors import Actor
from server.queue.alerts import Alerts
from server.queue.site_settings import site_settings
from server.queue.unit_of_work import Concern, verb

# How many characters of a token that matched nothing make its "pattern" for throttling guesses.
TOKEN_PATTERN_LENGTH = 4
# Every site takes at most this many times its per-minute limit of unknown tokens (a global guard).
UNKNOWN_TOKEN_SITE_FACTOR = 10
# The role of the citizen actor of a phone's rating relayed by the site's own central (its uplink).
RELAYED_BY_CENTRAL = "central"
# The central's clock and the site's may differ a little: a rating given this long before the service
# ended still counts as given after it.
CLOCK_SKEW = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class RatingRequest:
    """What the rater presents: the ticket id, or a token (the ticket's public token on a phone; the
    window's token from `rating_requested` on a terminal or keypad)."""

    score: int
    ticket_id: int | None = None
    token: str | None = None
    reasons: tuple[str, ...] = ()
    comment: str = ""
    remote_addr: str = ""
    # A bridge rates for the counter its keypad hangs on, given with the key press.
    counter_id: int | None = None
    # The token of the rating window a keypad press fell in (from `rating_requested`), when known.
    window_token: str | None = None
    # When the citizen gave it, for a phone's rating relayed by the site's own province server (it may
    # arrive after an outage of the link): the phone window is judged at that time. Ignored from anyone
    # else (docs/phone-via-central.md).
    given_at: dt.datetime | None = None


def rating_channel(actor: Actor) -> str:
    if actor.kind == "device":
        return {DeviceKind.RATING_TERMINAL.value: RatingChannel.TERMINAL.value,
                DeviceKind.BRIDGE.value: RatingChannel.KEYPAD.value}.get(actor.role or "", f"device:{actor.role}")
    return RatingChannel.PHONE.value if actor.kind == "citizen" else actor.kind


class Ratings(Concern):
    def open_window(self, ticket: Ticket, counter: Counter, site: Site, now: dt.datetime) -> None:
        """Finishing a ticket opens its counter's rating terminal or keypad for a limited time; a newer
        finish at the same counter supersedes any window still open there."""
        settings = site_settings(site.settings)
        for stale in self.session.scalars(
            select(RatingWindow).where(RatingWindow.counter_id == counter.id, RatingWindow.closed_at.is_(None))
        ):
            stale.closed_at = now
        window = RatingWindow(ticket_id=ticket.id, counter_id=counter.id, token=secrets.token_urlsafe(18),
                              opens_at=now, closes_at=now + dt.timedelta(seconds=settings.rating.window_s))
        self.session.add(window)
        self.uow.record(
            ev.RATING_REQUESTED, site.id,
            {"id": ticket.id, "ticket_id": ticket.id, "number": ticket.number, "service_id": ticket.service_id,
             "counter_id": counter.id, "token": window.token, "expires_at": window.closes_at.isoformat(),
             "window_s": settings.rating.window_s},
            (ev.rating_room(counter.id),), ticket_id=ticket.id, counter_id=counter.id, logged=False,
        )

    def rate(self, request: RatingRequest, actor: Actor, idempotency_key: str | None = None) -> Rating:
        """Record a citizen's rating; every refusal is kept in rating_attempts before it is raised."""
        self.uow.actor = actor
        if idempotency_key:
            replay = self.uow.replay(idempotency_key)
            self.session.commit()  # end the read: the verb below starts its own write transaction
            if replay is not None:
                rating = self.session.get(Rating, int(replay["rating_id"]))
                if rating is not None:
                    return rating
        try:
            return self._rate(request, actor, idempotency_key)
        except errors.HangChoError as refusal:
            self._record_refusal(request, actor, refusal)
            raise

    @verb
    def _rate(self, request: RatingRequest, actor: Actor, idempotency_key: str | None) -> Rating:
        if actor.kind == "staff":
            raise errors.StaffCannotRate()
        if actor.kind not in ("device", "citizen"):
            raise errors.Forbidden()
        if actor.kind == "device" and actor.role not in (DeviceKind.RATING_TERMINAL.value, DeviceKind.BRIDGE.value):
            raise errors.Forbidden()
        now = self.uow.now()
        ticket, window = self._ticket_and_window(request, actor)
        self._check_rate_limit(actor, ticket, request, now)
        if type(request.score) is not int or not 1 <= request.score <= 5:
            raise errors.ValidationFailed(fields={"score": N_("must be a whole number from 1 to 5")})
        if ticket is None:
            raise errors.InvalidRatingToken()
        site = self.uow.lock_site(ticket.site_id)
        self.session.refresh(ticket)
        settings = site_settings(site.settings)
        if actor.kind == "device":
            # A device may only rate the ticket just finished at its own counter, inside the window.
            counter_id = actor.counter_id if actor.role == DeviceKind.RATING_TERMINAL.value else request.counter_id
            if counter_id is None or ticket.counter_id != counter_id:
                raise errors.NotThisCounter()
        if ticket.status is not TicketStatus.DONE:
            raise errors.TicketNotServed()
        if self.session.scalar(select(Rating.id).where(Rating.ticket_id == ticket.id)) is not None:
            raise errors.AlreadyRated()
        if actor.kind == "device":
            window = window or self.session.scalar(select(RatingWindow).where(RatingWindow.ticket_id == ticket.id))
            self._check_window(ticket, window, request, now)
            channel = RatingChannel.TERMINAL if actor.role == DeviceKind.RATING_TERMINAL.value else RatingChannel.KEYPAD
        else:
            # The token is printed on paper that outlives the visit (left on a chair, handed over at the
            # counter): it rates once, and only for a limited time after the service.
            finished_at = ticket.finished_at or ticket.ended_at
            given_at = now
            if request.given_at is not None and actor.role == RELAYED_BY_CENTRAL:
                given_at = min(now, request.given_at)
                if finished_at is not None and given_at < finished_at - CLOCK_SKEW:
                    raise errors.TicketNotServed()  # given at the central before the service ended
            if finished_at is None or given_at > finished_at + dt.timedelta(hours=settings.rating.phone_window_hours):
                raise errors.RatingWindowClosed(message=errors.N_("The time to rate this visit has passed."))
            channel = RatingChannel.PHONE
        allowed_reasons = {reason.code for reason in settings.rating.reasons}
        unknown = [code for code in request.reasons if code not in allowed_reasons]
        if unknown:
            raise errors.ValidationFailed(fields={"reasons": "unknown: " + ", ".join(unknown)})
        rating = Rating(ticket_id=ticket.id, site_id=ticket.site_id, service_id=ticket.service_id,
                        counter_id=ticket.counter_id, clerk_id=ticket.clerk_id, score=request.score,
                        reasons=list(dict.fromkeys(request.reasons)), comment=request.comment.strip()[:1000],
                        channel=channel, device_id=actor.id if actor.kind == "device" else None, created_at=now)
        self.session.add(rating)
        open_window = self.session.scalar(select(RatingWindow).where(RatingWindow.ticket_id == ticket.id,
                                                                     RatingWindow.closed_at.is_(None)))
        if open_window is not None:
            open_window.closed_at = now
            self.uow.record(ev.RATING_CLOSED, site.id,
                            {"counter_id": open_window.counter_id, "ticket_id": ticket.id, "reason": "rated"},
                            (ev.rating_room(open_window.counter_id),), ticket_id=ticket.id,
                            counter_id=open_window.counter_id, logged=False)
        self.session.add(RatingAttempt(site_id=ticket.site_id, ticket_id=ticket.id, device_id=rating.device_id,
                                       channel=rating.channel.value, accepted=True,
                                       remote_addr=request.remote_addr[:64], created_at=now))
        try:
            self.session.flush()
        except IntegrityError:
            # The unique ticket_id is the real guard: a racing second rating lands here.
            raise errors.AlreadyRated() from None
        self.uow.record(
            ev.RATING_RECEIVED, site.id,
            {"rating_id": rating.id, "id": ticket.id, "ticket_id": ticket.id, "number": ticket.number,
             "service_id": ticket.service_id, "counter_id": ticket.counter_id, "clerk_id": ticket.clerk_id,
             "score": rating.score, "reasons": rating.reasons, "channel": rating.channel.value},
            # Dashboards only: the clerk's console and the counter room never see a rating.
            (ev.dashboard_room(site.id),), ticket_id=ticket.id, counter_id=ticket.counter_id,
        )
        if rating.score <= settings.alerts.low_rating_max:
            counter = self.session.get(Counter, ticket.counter_id) if ticket.counter_id else None
            Alerts(self.uow).raise_(site.id, "low_rating", f"rating:{rating.ticket_id}",
                                    N_("Low rating %(score)s for ticket %(number)s at counter %(counter_number)s"),
                                    {"score": rating.score, "number": ticket.number,
                                     "counter_number": counter.number if counter else None})
        self.uow.remember(idempotency_key, rating_id=rating.id)
        return rating

    def _ticket_and_window(self, request: RatingRequest, actor: Actor) -> tuple[Ticket | None, RatingWindow | None]:
        """The ticket being rated (None for a token that matches nothing), and the window its token named.

        A citizen presents the ticket's public token; a counter's device the window's token (or the ticket
        id). A ticket id that contradicts the token is refused like a bad token."""
        if actor.kind == "citizen":
            if not request.token:
                raise errors.InvalidRatingToken()
            ticket = self.session.scalar(select(Ticket).where(Ticket.public_token == request.token))
            if ticket is not None and request.ticket_id is not None and request.ticket_id != ticket.id:
                raise errors.InvalidRatingToken()
            return ticket, None
        window_token = request.window_token or request.token
        if request.token and request.ticket_id is None:
            window = self.session.scalar(select(RatingWindow).where(RatingWindow.token == request.token))
            if window is None:
                raise errors.RatingWindowClosed()
            return self.uow.ticket(window.ticket_id), window
        if request.ticket_id is None:
            raise errors.ValidationFailed(fields={"ticket_id": N_("required")})
        ticket = self.uow.ticket(request.ticket_id)
        window = None
        if window_token:
            window = self.session.scalar(select(RatingWindow).where(RatingWindow.token == window_token))
            if window is None or window.ticket_id != ticket.id:
                raise errors.RatingWindowClosed()
        return ticket, window

    def _check_window(self, ticket: Ticket, window: RatingWindow | None, request: RatingRequest,
                      now: dt.datetime) -> None:
        """A counter's device rates only the latest ticket finished there, while its window is open."""
        latest = self.session.scalar(
            select(RatingWindow).where(RatingWindow.counter_id == ticket.counter_id)
            .order_by(RatingWindow.opens_at.desc(), RatingWindow.id.desc()).limit(1)
        )
        if window is None or latest is None or latest.id != window.id:
            raise errors.RatingWindowClosed()
        if window.closed_at is not None or not window.opens_at <= now < window.closes_at:
            raise errors.RatingWindowClosed()
        # A keypad press carries the token of the window it fell in: a press meant for an earlier
        # citizen must not land on the next one.
        presented = request.window_token or request.token
        if presented is not None and not secrets.compare_digest(presented, window.token):
            raise errors.RatingWindowClosed()

    def _check_rate_limit(self, actor: Actor, ticket: Ticket | None, request: RatingRequest, now: dt.datetime) -> None:
        """At most `attempts_per_minute` attempts per device; for phones per ticket, and for tokens that
        match nothing per token pattern plus a site-wide guard. Never per address: every phone on a
        centre's Wi-Fi (or behind its proxy) shares one, and a guesser must not lock the next citizen out."""
        site_id = ticket.site_id if ticket is not None else actor.site_id
        site = self.session.get(Site, site_id) if site_id else None
        limit = site_settings(site.settings if site else None).rating.attempts_per_minute
        recent = select(func.count(RatingAttempt.id)).where(RatingAttempt.created_at >= now - dt.timedelta(minutes=1))
        if actor.kind == "device":
            checks = [(recent.where(RatingAttempt.device_id == actor.id), limit)]
        elif ticket is not None:
            checks = [(recent.where(RatingAttempt.ticket_id == ticket.id, RatingAttempt.device_id.is_(None)), limit)]
        else:
            unknown = recent.where(RatingAttempt.ticket_id.is_(None), RatingAttempt.device_id.is_(None),
                                   RatingAttempt.staff_id.is_(None))
            checks = [(unknown.where(RatingAttempt.token_pattern == token_pattern(request.token)), limit),
                      (unknown, limit * UNKNOWN_TOKEN_SITE_FACTOR)]
        for query, most in checks:
            if (self.session.scalar(query) or 0) >= most:
                raise errors.RatingRateLimited()

    @verb
    def _record_refusal(self, request: RatingRequest, actor: Actor, refusal: errors.HangChoError) -> None:
        """Keep every refused attempt (who, which ticket, why) for audit; it also feeds the rate limits."""
        ticket_id = request.ticket_id if request.ticket_id is not None and self.session.get(Ticket, request.ticket_id) else None
        pattern = ""
        if request.token:
            by_token = self.session.scalar(select(Ticket.id).where(Ticket.public_token == request.token)) \
                if actor.kind == "citizen" else \
                self.session.scalar(select(RatingWindow.ticket_id).where(RatingWindow.token == request.token))
            ticket_id = by_token or ticket_id
            if by_token is None:
                pattern = token_pattern(request.token)
        site_id = actor.site_id or (self.session.scalar(select(Ticket.site_id).where(Ticket.id == ticket_id))
                                    if ticket_id else None)
        self.session.add(RatingAttempt(
            site_id=site_id, ticket_id=ticket_id, device_id=actor.id if actor.kind == "device" else None,
            staff_id=actor.id if actor.kind == "staff" else None, channel=rating_channel(actor)[:24],
            accepted=False, error=refusal.code[:48], remote_addr=request.remote_addr[:64], token_pattern=pattern,
            created_at=self.uow.now(),
        ))


def token_pattern(token: str | None) -> str:
    return (token or "")[:TOKEN_PATTERN_LENGTH]
