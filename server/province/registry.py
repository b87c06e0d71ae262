"""Sites registered at the central, their uplink keys (stored hashed, shown once), and the central's staff."""
from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import administration, errors
from server.auth.secrets import digest
from server.models import Staff, StaffRole
from server.province.models import ProvinceSite, SiteLiveState

CENTRAL_ROLES = ("leader", "inspector", "admin")


def new_uplink_key() -> str:
    return "hcu_" + secrets.token_urlsafe(32)


def add_site(session: Session, code: str, name: str, now: dt.datetime, *, key: str | None = None,
             demo: bool = False) -> tuple[ProvinceSite, str]:
    """Register a site; returns its uplink key (only its hash is kept)."""
    code = code.strip()
    if not code or len(code) > 32 or not name.strip() or len(name) > 200:
        raise errors.ValidationFailed(fields={"code": "1–32 characters", "name": "1–200 characters"})
    if session.scalar(select(ProvinceSite.id).where(ProvinceSite.code == code)) is not None:
        raise errors.ValidationFailed(fields={"code": "already registered"})
    key = key or new_uplink_key()
    site = ProvinceSite(code=code, name=name.strip(), key_hash=digest(key), key_hint=key[-4:], created_at=now,
                        demo=demo, last_seq=0, last_hash="", connected=False, site_seq=0)
    session.add(site)
    session.flush()
    session.add(SiteLiveState(site_id=site.id, waiting_tickets={}, counters={}, open_alerts={}, issued_today=0,
                              served_today=0, ratings_today=0, satisfied_today=0))
    session.flush()
    return site, key


def site_by_code(session: Session, code: str) -> ProvinceSite:
    site = session.scalar(select(ProvinceSite).where(ProvinceSite.code == code))
    if site is None:
        raise errors.NotFound()
    return site


def rotate_key(session: Session, code: str, *, key: str | None = None) -> str:
    """A new key for the site; the old one stops working at once (the site's chain goes on)."""
    site = site_by_code(session, code)
    key = key or new_uplink_key()
    site.key_hash, site.key_hint, site.revoked_at = digest(key), key[-4:], None
    return key


def revoke(session: Session, code: str, now: dt.datetime) -> None:
    site_by_code(session, code).revoked_at = now


def site_for_key(session: Session, key: str) -> ProvinceSite | None:
    """The site this uplink key belongs to; None when it matches nothing or was revoked."""
    if not key or len(key) > 200:
        return None
    site = session.scalar(select(ProvinceSite).where(ProvinceSite.key_hash == digest(key)))
    if site is None or site.revoked_at is not None:
        return None
    return site


def create_central_staff(session: Session, username: str, role: str, now: dt.datetime, *,
                         password: str | None = None, full_name: str = "") -> tuple[Staff, str | None]:
    """A central account (leader, inspector or admin): staff without a site."""
    if role not in CENTRAL_ROLES:
        raise errors.ValidationFailed(fields={"role": "leader, inspector or admin"})
    return administration.create_staff(session, username, role, now, site_id=None, full_name=full_name,
                                       password=password)


def central_is_empty(session: Session) -> bool:
    return session.scalar(select(Staff.id).where(Staff.role == StaffRole.LEADER).limit(1)) is None and \
        session.scalar(select(Staff.id).where(Staff.site_id.is_(None)).limit(1)) is None
