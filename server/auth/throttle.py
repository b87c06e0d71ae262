"""Log-in throttling that slows password guessing without handing anyone a way to lock a colleague out.

- Failures are counted per (username, where the attempt comes from). "Where" is the browser when it
  carries a known-device cookie for that username (set by an earlier successful log-in, signed, HttpOnly),
  otherwise the remote address (the real client's behind a trusted proxy, server/proxies.py).
- After FREE_FAILURES the next attempt on that key must wait 1 s, then 2 s, 4 s … up to MAX_DELAY_S
  (exponential back-off, OWASP's "slow down online guessing").
- A global guard: beyond GLOBAL_FAILURES failures from unknown browsers within a minute (a guesser
  spread over many addresses), unknown browsers wait until the minute is over.
So someone on the centre's Wi-Fi or behind the same proxy who types wrong passwords for `canbo1` slows
only attempts without canbo1's device cookie; canbo1 at the counter PC logs in as usual.
"""
from __future__ import annotations

import datetime as dt
import math
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Callable

from flask import Response, after_this_request, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from server import errors
from server.auth.identity import log_in
from server.models import Staff
from server.runtime import runtime

FREE_FAILURES = 5
BASE_DELAY_S = 1.0
MAX_DELAY_S = 900.0
GLOBAL_FAILURES = 300
GLOBAL_WINDOW_S = 60.0
MAX_KEYS = 100_000  # memory bound: the oldest keys are forgotten first

DEVICE_COOKIE = "hangcho_device"
DEVICE_COOKIE_MAX_AGE_S = 180 * 24 * 3600
DEVICE_COOKIE_USERS = 8  # a shared counter PC remembers the last few clerks who logged in on it


@dataclass
class _Failures:
    count: int = 0
    last_at: float = 0.0


class LoginThrottle:
    """Exponential back-off per key plus a global guard on unknown browsers; one per process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._keys: OrderedDict[tuple[str, ...], _Failures] = OrderedDict()
        self._recent_unknown: deque[float] = deque()
        self._lock = threading.Lock()

    def check(self, key: tuple[str, ...], known_device: bool) -> None:
        """Raise TooManyLoginAttempts while this key (or, for unknown browsers, everyone) must wait."""
        now = self.clock()
        with self._lock:
            wait = 0.0
            failures = self._keys.get(key)
            if failures is not None and failures.count >= FREE_FAILURES:
                delay = min(MAX_DELAY_S, BASE_DELAY_S * 2 ** (failures.count - FREE_FAILURES))
                wait = failures.last_at + delay - now
            if not known_device:
                self._forget_old_unknown(now)
                if len(self._recent_unknown) >= GLOBAL_FAILURES:
                    wait = max(wait, self._recent_unknown[0] + GLOBAL_WINDOW_S - now)
        if wait > 0:
            raise errors.TooManyLoginAttempts(retry_after_s=math.ceil(wait))

    def failed(self, key: tuple[str, ...], known_device: bool) -> None:
        now = self.clock()
        with self._lock:
            failures = self._keys.pop(key, None) or _Failures()
            failures.count += 1
            failures.last_at = now
            self._keys[key] = failures
            while len(self._keys) > MAX_KEYS:
                self._keys.popitem(last=False)
            if not known_device:
                self._recent_unknown.append(now)

    def succeeded(self, key: tuple[str, ...]) -> None:
        with self._lock:
            self._keys.pop(key, None)

    def _forget_old_unknown(self, now: float) -> None:
        while self._recent_unknown and self._recent_unknown[0] < now - GLOBAL_WINDOW_S:
            self._recent_unknown.popleft()


login_throttle = LoginThrottle()


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(runtime().settings.effective_secret_key, salt="hangcho-known-device")


def _known_device() -> dict[str, object]:
    """The signed device cookie's content ({"id", "users"}), or an empty dict."""
    raw = request.cookies.get(DEVICE_COOKIE, "")
    if not raw:
        return {}
    try:
        value = _device_serializer().loads(raw)
    except BadSignature:
        return {}
    return value if isinstance(value, dict) and isinstance(value.get("users"), list) else {}


def _remember_device(device: dict[str, object], username: str) -> None:
    users = [user for user in device.get("users", []) if user != username][-(DEVICE_COOKIE_USERS - 1):]  # type: ignore[union-attr]
    value = {"id": device.get("id") or secrets.token_urlsafe(12), "users": [*users, username]}

    @after_this_request
    def _set_cookie(response: Response) -> Response:
        response.set_cookie(DEVICE_COOKIE, _device_serializer().dumps(value), max_age=DEVICE_COOKIE_MAX_AGE_S,
                            httponly=True, samesite="Strict", secure=runtime().settings.base_url.startswith("https://"))
        return response


def throttled_log_in(session: Session, username: str, password: str, now: dt.datetime) -> tuple[Staff, str]:
    """`log_in` behind the throttle; the one way staff log in (API and log-in page)."""
    name = username.strip().lower()
    device = _known_device()
    known = name in device.get("users", [])  # type: ignore[operator]
    key = ("device", str(device["id"]), name) if known else ("address", request.remote_addr or "", name)
    login_throttle.check(key, known)
    try:
        staff, token = log_in(session, username, password, now, runtime().settings.token_ttl_hours)
    except errors.InvalidCredentials:
        login_throttle.failed(key, known)
        raise
    login_throttle.succeeded(key)
    _remember_device(device, staff.username)
    return staff, token
