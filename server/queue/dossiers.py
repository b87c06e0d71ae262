"""Dossiers: the dossier code (mã hồ sơ) behind a visit and what came of it (docs/dossiers.md).

The clerk at the ticket's counter (or a supervisor) attaches a dossier code and the outcome to the ticket
being served there: received, returned for more papers (with the missing items from the site's list),
result handed over, or guidance only. Each attachment is an event in the log; the visits of a code in
order are the dossier's custody trail. A visit is a repeat when the code was seen at the site within the
repeat window; a second "returned" asking for a paper the first "returned" did not name breaks the
one-time-complete-guidance rule and is marked as a breach.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from typing import Any

from sqlalchemy import select

from server import errors
from server.errors import N_
from server.models import CitizenKey, Counter, DossierOutcome, DossierVisit, Staff, Ticket, TicketStatus
from server.queue import events as ev
from server.queue.actors import Actor
from server.queue.counters import check_counter_actor
from server.queue.site_settings import site_settings
from server.queue.unit_of_work import Concern, verb

# Codes of the national one-stop portal look like "000.00.12.H26-250101-0001"; a site's own may differ.
# Letters, digits and . - / _ only, so a barcode scanner's stray characters are refused, not stored.
CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9./_-]{0,63}")


def citizen_key_hash(secret: bytes, site_id: int, kind: str, raw: str) -> str:
    """HMAC-SHA256 of a phone number or citizen ID with the centre's secret (a key of its own per site), so
    the stored value tells nothing without the secret and cannot be matched across centres. The number
    itself is never stored or logged; only this function sees it."""
    digits = re.sub(r"\D", "", raw or "")
    if kind == "phone":
        if digits.startswith("84") and len(digits) in (11, 12):
            digits = "0" + digits[2:]
        if not re.fullmatch(r"0\d{8,10}", digits):
            raise errors.ValidationFailed(fields={"citizen_key": N_("a phone number of 9 to 11 digits")})
    elif kind == "citizen_id":
        if len(digits) not in (9, 12):
            raise errors.ValidationFailed(fields={"citizen_key": N_("a citizen ID of 12 digits (or 9)")})
    else:
        raise errors.ValidationFailed(fields={"citizen_key": N_("this site does not use a citizen key")})
    site_key = hmac.new(secret, f"hangcho-citizen-key:{site_id}".encode(), hashlib.sha256).digest()
    return hmac.new(site_key, f"{kind}:{digits}".encode(), hashlib.sha256).hexdigest()


def normalise_code(raw: str) -> str:
    """The stored form of a dossier code: trimmed, upper case, inner spaces removed (scanners and
    typists differ only in these)."""
    return re.sub(r"\s+", "", raw or "").upper()


def check_code(raw: str) -> str:
    code = normalise_code(raw)
    if not CODE_PATTERN.fullmatch(code):
        raise errors.ValidationFailed(fields={"code": N_("letters, digits and . - / _ only, at most 64")})
    return code


class Dossiers(Concern):
    @verb
    def attach(self, ticket_id: int, actor: Actor, code: str, outcome: str,
               missing: tuple[str, ...] | list[str] = (), citizen_key_hash: str | None = None) -> DossierVisit:
        """Attach a dossier code and the visit's outcome to the ticket being served at a counter.
        `citizen_key_hash` (the keyed hash of a phone number or ID, made by the adapter: the number never
        reaches the core) is kept only where the site uses one, and makes a repeat of any earlier visit
        with the same key in the same field within the window."""
        self.uow.actor = actor
        code = check_code(code)
        try:
            result = DossierOutcome(outcome)
        except ValueError:
            raise errors.ValidationFailed(fields={"outcome": N_("must be received, returned, result or guidance")}) from None
        ticket = self.uow.ticket(ticket_id)
        site = self.uow.lock_site(ticket.site_id)
        self.session.refresh(ticket)
        if ticket.counter_id is None or ticket.status not in (TicketStatus.CALLED, TicketStatus.SERVING):
            raise errors.TicketNotAtCounter()
        counter = self.session.get(Counter, ticket.counter_id)
        assert counter is not None
        check_counter_actor(counter, actor)
        if actor.kind != "staff":
            raise errors.Forbidden()
        settings = site_settings(site.settings).dossiers
        known = {item.code for item in settings.missing_items}
        chosen = list(dict.fromkeys(str(item) for item in missing))
        if result is DossierOutcome.RETURNED:
            if not chosen:
                raise errors.ValidationFailed(fields={"missing": N_("choose at least one missing paper")})
            unknown = [item for item in chosen if item not in known]
            if unknown:
                raise errors.ValidationFailed(fields={"missing": N_("not on the site's list of papers")})
        elif chosen:
            raise errors.ValidationFailed(fields={"missing": N_("only for a dossier returned for more papers")})

        now = self.uow.now()
        visit = self.session.scalar(select(DossierVisit).where(DossierVisit.ticket_id == ticket.id))
        replaced = visit.code if visit is not None else None
        visited_at = visit.created_at if visit is not None else now
        since = now - dt.timedelta(days=settings.repeat_window_days)
        earlier = list(self.session.scalars(
            select(DossierVisit).where(DossierVisit.site_id == site.id, DossierVisit.code == code,
                                       DossierVisit.ticket_id != ticket.id, DossierVisit.created_at <= visited_at)
            .order_by(DossierVisit.created_at, DossierVisit.id)
        ))
        in_window = [other for other in earlier if other.created_at >= since]
        keyed_before = 0
        if citizen_key_hash and settings.citizen_key != "off":
            keyed_before = self._keep_citizen_key(site.id, ticket, citizen_key_hash, visited_at, since, now,
                                                  settings.key_retention_days)
        first_returned = next((other for other in earlier if other.outcome is DossierOutcome.RETURNED), None)
        new_items = ([item for item in chosen if item not in set(first_returned.missing or [])]
                     if result is DossierOutcome.RETURNED and first_returned is not None else [])
        if visit is None:
            visit = DossierVisit(site_id=site.id, ticket_id=ticket.id, created_at=now)
            self.session.add(visit)
        visit.code = code
        visit.outcome = result
        visit.missing = chosen
        visit.service_id = ticket.service_id
        visit.counter_id = ticket.counter_id
        visit.clerk_id = ticket.clerk_id
        visit.visit_number = max(len(in_window), keyed_before) + 1
        visit.repeat = visit.visit_number > 1
        visit.breach = bool(new_items)
        visit.new_missing = new_items
        visit.updated_at = now
        ticket.dossier_code = code
        self.session.flush()
        self.uow.record(
            ev.DOSSIER_ATTACHED, site.id,
            {"id": ticket.id, "number": ticket.number, "service_id": ticket.service_id, "counter_id": ticket.counter_id,
             "clerk_id": ticket.clerk_id, "code": code, "outcome": result.value, "missing": chosen,
             "visit_number": visit.visit_number, "repeat": visit.repeat, "breach": visit.breach,
             "new_missing": new_items, "replaced_code": replaced, "keyed": bool(keyed_before or (
                 citizen_key_hash and settings.citizen_key != "off"))},
            (ev.dashboard_room(site.id),),  # not the counter room: its display is citizen-facing
            ticket_id=ticket.id, counter_id=counter.id,
        )
        return visit


    def _keep_citizen_key(self, site_id: int, ticket: Ticket, key_hash: str, visited_at: dt.datetime,
                          since: dt.datetime, now: dt.datetime, retention_days: int) -> int:
        """Store the visit's key (replacing a corrected one); returns how many earlier visits in the same
        field within the window had the same key."""
        row = self.session.scalar(select(CitizenKey).where(CitizenKey.ticket_id == ticket.id))
        if row is None:
            row = CitizenKey(site_id=site_id, ticket_id=ticket.id, service_id=ticket.service_id, key_hash=key_hash,
                             created_at=visited_at, expires_at=now + dt.timedelta(days=retention_days))
            self.session.add(row)
        else:
            row.key_hash = key_hash
        self.session.flush()
        return len(self.session.scalars(select(CitizenKey.id).where(
            CitizenKey.site_id == site_id, CitizenKey.key_hash == key_hash, CitizenKey.service_id == ticket.service_id,
            CitizenKey.ticket_id != ticket.id, CitizenKey.created_at >= since,
            CitizenKey.created_at <= visited_at)).all())

    @verb
    def forget_expired_citizen_keys(self, site_id: int) -> int:
        """Delete the keys past their retention (the scheduler's job); logs how many, never which."""
        from sqlalchemy import delete

        self.uow.lock_site(site_id)
        now = self.uow.now()
        count = self.session.execute(delete(CitizenKey).where(CitizenKey.site_id == site_id,
                                                              CitizenKey.expires_at <= now)).rowcount or 0
        if count:
            self.uow.record(ev.CITIZEN_KEYS_FORGOTTEN, site_id, {"count": count}, (ev.dashboard_room(site_id),))
        return count


def visit_view(visit: DossierVisit, ticket: Ticket, clerk: Staff | None, counter: Counter | None) -> dict[str, Any]:
    return {
        "ticket_id": ticket.id,
        "number": ticket.number,
        "business_date": ticket.business_date.isoformat(),
        "service_id": visit.service_id,
        "counter_id": visit.counter_id,
        "counter_number": counter.number if counter else None,
        "clerk": ({"id": clerk.id, "full_name": clerk.full_name or clerk.username} if clerk else None),
        "outcome": visit.outcome.value,
        "missing": list(visit.missing or []),
        "visit_number": visit.visit_number,
        "repeat": visit.repeat,
        "breach": visit.breach,
        "new_missing": list(visit.new_missing or []),
        "at": visit.created_at.isoformat(),
        "updated_at": visit.updated_at.isoformat(),
    }


def dossier_trail(session: Any, site_id: int, raw_code: str) -> dict[str, Any]:
    """A dossier's visits at the site in order: the custody trail (GET /dossiers/{code})."""
    code = normalise_code(raw_code)
    rows = session.execute(
        select(DossierVisit, Ticket, Staff, Counter)
        .join(Ticket, Ticket.id == DossierVisit.ticket_id)
        .outerjoin(Staff, Staff.id == DossierVisit.clerk_id)
        .outerjoin(Counter, Counter.id == DossierVisit.counter_id)
        .where(DossierVisit.site_id == site_id, DossierVisit.code == code)
        .order_by(DossierVisit.created_at, DossierVisit.id)
    ).all()
    if not rows:
        raise errors.DossierNotFound()
    return {"code": code, "visits": [visit_view(visit, ticket, clerk, counter) for visit, ticket, clerk, counter in rows]}
