"""The kiosk touchscreen (/kiosk) and the citizen's phone page behind a ticket's QR code (/t/<token>).

Both pages are thin shells: the kiosk authenticates with its device key (given once as ?key=…, kept in
the browser) and takes everything else from its Socket.IO snapshot; the phone page holds the ticket's
public token. Their strings come from this package's catalogue in both languages, so a citizen can
switch between Vietnamese and English without a reload. See docs/kiosk.md.
"""
from __future__ import annotations

import io
import logging
from typing import Any

import qrcode
import qrcode.image.svg
from flask import Blueprint, Response, render_template
from flask_babel import gettext
from sqlalchemy import select

from server import errors
from server.auth.access import public
from server.errors import N_
from server.i18n import catalogue
from server.models import Ticket
from server.queue import queries
from server.queue.site_settings import KioskSettings
from server.runtime import db_session, queue_service, runtime

logger = logging.getLogger(__name__)

blueprint = Blueprint(
    "kiosk",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/kiosk/static",
)

# Defaults of a kiosk's own settings (server/queue/site_settings.py KioskSettings), used until the snapshot
# brings the device's own; the paper width is the bridge's business, not the page's.
KIOSK_DEFAULTS: dict[str, Any] = KioskSettings().model_dump(exclude={"paper_width_mm"})

# How a position and a wait are said, the same on the kiosk and on the phone page.
WAIT_TEXTS = {
    "you_are_next": N_("You are next"),
    "estimated_wait": N_("Estimated wait: %(wait)s"),
    "wait_none": N_("you will be called soon"),
    "wait_under_minute": N_("less than a minute"),
    "wait_minutes": N_("about %(minutes)s minutes"),
    "wait_hours": N_("about %(hours)s h %(minutes)s min"),
}

KIOSK_TEXTS = {
    "page_title": N_("Take a number"),
    "choose_field": N_("Please choose a field"),
    "choose_group": N_("Please choose a group of fields"),
    "group_count": N_("%(count)s fields"),
    "other_fields": N_("Other fields"),
    "priority": N_("Priority"),
    "priority_hint": N_("For elderly people, people with disabilities, pregnant women and others"),
    "choose_priority": N_("Please choose the priority category"),
    "priority_for": N_("Priority: %(category)s"),
    "cancel_priority": N_("Cancel priority"),
    "priority_proof": N_("Staff may ask you to show proof of priority when you are called."),
    "back": N_("Back"),
    "previous_page": N_("Previous page"),
    "next_page": N_("Next page"),
    "page_of": N_("Page %(page)s of %(pages)s"),
    "waiting_count": N_("%(count)s waiting"),
    "nobody_waiting": N_("Nobody waiting yet"),
    "quota_used": N_("No more numbers today"),
    "not_served_now": N_("Not served at the moment"),
    "not_served_text": N_("No counter serves %(field)s at the moment. Please choose another field or ask the staff."),
    "counter_paused_wait": N_("Counter on a short break"),
    "issuing": N_("Getting your number…"),
    "visit_question": N_("How many times have you come for this matter?"),
    "visit_1": N_("First time"),
    "visit_2": N_("Second time"),
    "visit_3": N_("Third time or more"),
    "your_number": N_("Your number"),
    "ahead": N_("People ahead of you: %(count)s"),
    **WAIT_TEXTS,
    "printing": N_("Printing your ticket…"),
    "printed": N_("Please take your ticket below."),
    "print_failed": N_("The printer could not print your ticket."),
    "print_unknown": N_("We could not confirm that your ticket was printed."),
    "no_printer": N_("This kiosk does not print tickets."),
    "note_number": N_("Please write down or take a photo of your number."),
    "number_valid": N_("Your number is valid: watch the screen and listen for your call."),
    "scan_to_follow": N_("Scan to follow your number on your phone"),
    "print_again": N_("Print again"),
    "printing_again": N_("Printing again…"),
    "reprint_failed": N_("Printing again did not work."),
    "done": N_("Done"),
    "back_in": N_("Back to the start in %(seconds)s s"),
    "tap_to_finish": N_("Tap the screen to finish"),
    "closed_title": N_("No tickets are issued now"),
    "closed_outside_hours": N_("It is outside working hours now."),
    "closed_holiday": N_("Today is a holiday: the centre is closed."),
    "closed_after_cutoff": N_("Ticket issuing has ended for today."),
    "opens_today": N_("Tickets are issued again today at %(time)s."),
    "opens_tomorrow": N_("Tickets are issued again tomorrow at %(time)s."),
    "opens_on": N_("Tickets are issued again at %(time)s on %(date)s."),
    "come_back": N_("Please come back then. Thank you!"),
    "ask_staff": N_("Please ask the staff for guidance."),
    "offline_title": N_("Cannot connect to the server"),
    "offline_text": N_("No number can be issued right now. Please wait a moment or ask the staff for help."),
    "connecting": N_("Connecting…"),
    "reconnecting": N_("Reconnecting by itself…"),
    "connection_lost": N_("Connection lost"),
    "unregistered_title": N_("This device is not registered"),
    "unregistered_text": N_("Open this page once with the kiosk's device key: /kiosk?key=…"),
    "invalid_key": N_("The device key is not valid or has been revoked."),
    "ask_admin": N_("Please ask the administrator for the key."),
    "problem_title": N_("We could not get a number for you"),
    "unreachable": N_("The server did not answer. No number has been issued."),
    "try_again": N_("Try again"),
    "quota_title": N_("No more numbers for this field today"),
    "quota_text": N_("All numbers of “%(field)s” for today have been given out."),
    "choose_other": N_("Please choose another field or ask the staff for guidance."),
    "refused_title": N_("This number cannot be issued"),
}

PHONE_TEXTS = {
    "page_title": N_("Your ticket"),
    "your_number": N_("Your number"),
    "issued_at": N_("Issued at %(time)s"),
    "ahead_many": N_("%(count)s people ahead of you"),
    **WAIT_TEXTS,
    "called": N_("Please come to counter %(counter)s"),
    "serving": N_("Being served at counter %(counter)s"),
    "clerk": N_("Officer: %(name)s"),
    "done": N_("Your visit is complete. Thank you!"),
    "no_show": N_("You missed your turn at counter %(counter)s. Please go to that counter to be called again."),
    "cancelled": N_("This ticket was cancelled."),
    "expired": N_("This ticket has expired: the working day is over."),
    "updates_itself": N_("This page updates by itself."),
    "connection_lost": N_("Connection lost. Reconnecting…"),
    "rate_question": N_("How satisfied are you with how you were served?"),
    "reasons_question": N_("What was not right? You may choose several."),
    "comment": N_("Other comments (optional)"),
    "send": N_("Send rating"),
    "change_score": N_("Choose another score"),
    "sending": N_("Sending…"),
    "thanks": N_("Thank you for your rating!"),
    "already_rated": N_("You have already rated this visit. Thank you!"),
    "rating_failed": N_("Your rating could not be sent. Please try again."),
    "invalid": N_("This ticket link is not valid."),
}
INVALID_LINK = PHONE_TEXTS["invalid"]


@blueprint.get("/kiosk")
@public
def kiosk_page():  # type: ignore[no-untyped-def]
    """The touchscreen shell; the device key travels in the socket's auth, never in the page."""
    return render_template(
        "kiosk/kiosk.html",
        config={"texts": catalogue(KIOSK_TEXTS), "defaults": KIOSK_DEFAULTS},
    )


@blueprint.get("/t/<token>")
@public
def phone_page(token: str):  # type: ignore[no-untyped-def]
    """The phone page of one ticket: its live position, the counter when called, then one rating."""
    try:
        view = queries.public_ticket_view(db_session(), token, runtime().clock)
    except errors.InvalidRatingToken:
        return render_template("kiosk/ticket_invalid.html", message=gettext(INVALID_LINK)), 404
    return render_template(
        "kiosk/ticket.html",
        config={"texts": catalogue(PHONE_TEXTS), "token": token, "ticket": view},
    )


@blueprint.get("/t/<token>/qr.svg")
@public
def ticket_qr(token: str):  # type: ignore[no-untyped-def]
    """The QR code of the ticket's phone page, for the kiosk screen when the paper ticket did not print."""
    ticket = db_session().scalar(select(Ticket).where(Ticket.public_token == token))
    if ticket is None:
        raise errors.InvalidRatingToken(message=INVALID_LINK)
    image = qrcode.make(queue_service().public_url(ticket), image_factory=qrcode.image.svg.SvgPathImage,
                        box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    response = Response(buffer.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
