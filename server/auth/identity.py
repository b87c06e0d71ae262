"""Turn a presented credential (log-in token, device key) into an Actor, and log staff in and out."""
from __future__ import annotations

import datetime as dt
import threading
import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import errors
from server.auth.secrets import digest, hash_password, new_login_token, password_needs_rehash, verify_password
from server.models import Device, Staff, StaffToken
from server.queue.actors import Actor

# A hash of a password nobody has, so a wrong username costs as much time as a wrong password.
_DUMMY_HASH = hash_password("not-a-real-password")


def staff_actor(staff: Staff) -> Actor:
    return Actor(kind="staff", id=staff.id, site_id=staff.site_id, role=staff.role.value, name=staff.full_name or staff.username)


def device_actor(device: Device) -> Actor:
    return Actor(kind="device", id=device.id, site_id=device.site_id, role=device.kind.value,
                 counter_id=device.counter_id, name=device.name)


# Recently verified credentials, per process. Every request of a kiosk or console presents the same
# credential; remembering it for a few seconds saves a query per request. The price: a key revoked
# in another process keeps working for at most CREDENTIAL_CACHE_S (this process forgets at once).
CREDENTIAL_CACHE_S = 10.0
_verified: dict[str, tuple[float, Actor]] = {}
_verified_lock = threading.Lock()


def forget_credentials() -> None:
    """Drop every remembered credential (after a revocation, a log-out, or between tests)."""
    with _verified_lock:
        _verified.clear()


def actor_for_credential(session: Session, credential: str, now: dt.datetime) -> Actor | None:
    """A staff log-in token or a device key; None when it matches nothing valid."""
    if not credential:
        return None
    hashed = digest(credential)
    clock_now = time.monotonic()
    with _verified_lock:
        remembered = _verified.get(hashed)
    if remembered is not None and remembered[0] > clock_now:
        return remembered[1]
    valid_for = CREDENTIAL_CACHE_S
    if credential.startswith("hcs_"):
        token = session.scalar(select(StaffToken).where(StaffToken.token_hash == hashed))
        if token is None or token.revoked_at is not None or token.expires_at <= now or not token.staff.active:
            return None
        actor = staff_actor(token.staff)
        valid_for = min(valid_for, (token.expires_at - now).total_seconds())
    else:
        device = session.scalar(select(Device).where(Device.key_hash == hashed))
        if device is None or device.revoked_at is not None:
            return None
        actor = device_actor(device)
    with _verified_lock:
        if len(_verified) > 10_000:
            _verified.clear()
        _verified[hashed] = (clock_now + valid_for, actor)
    return actor


def log_in(session: Session, username: str, password: str, now: dt.datetime, ttl_hours: int) -> tuple[Staff, str]:
    """Check the password and create a log-in token (returned once, stored hashed)."""
    staff = session.scalar(select(Staff).where(Staff.username == username.strip().lower()))
    if staff is None or not staff.active:
        verify_password(_DUMMY_HASH, password)
        raise errors.InvalidCredentials()
    if not verify_password(staff.password_hash, password):
        raise errors.InvalidCredentials()
    if password_needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    token = new_login_token()
    session.add(StaffToken(staff_id=staff.id, token_hash=digest(token), created_at=now,
                           expires_at=now + dt.timedelta(hours=ttl_hours)))
    staff.last_login_at = now
    session.commit()
    return staff, token


def log_out(session: Session, credential: str, now: dt.datetime) -> None:
    with _verified_lock:
        _verified.pop(digest(credential), None)
    token = session.scalar(select(StaffToken).where(StaffToken.token_hash == digest(credential)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = now
        session.commit()
