"""Cross-site request forgery: a state change that a browser could make on its own (authenticated by the
session cookie, or a form post) must come from one of our own pages.

Two checks, both standard (OWASP's CSRF cheat sheet):
1. Origin: an unsafe request whose `Origin` (or, without it, `Sec-Fetch-Site`) names another origin is
   refused. SameSite=Lax alone does not do this: another port or a sibling host is the "same site".
2. A CSRF token (Flask-WTF's, bound to the session) on every unsafe request the session cookie would
   authenticate, and on every form post of a page. Our pages carry it in `<meta name="csrf-token">`
   (sent as `X-CSRFToken` by static/js/hangcho-live.js) or a hidden `csrf_token` field.

Callers presenting a bearer token or a device key in a header are not affected: a browser never adds
those by itself, and no other origin may send them (the API answers no CORS pre-flight).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request, session
from flask_wtf.csrf import CSRFError, CSRFProtect

from server import errors
from server.runtime import runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SAME_ORIGIN_FETCH = frozenset({"same-origin", "none"})  # "none": typed in the address bar, a bookmark

csrf = CSRFProtect()


def init_cross_site(app: Flask) -> None:
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # checked by guard_cross_site, only where a cookie could act
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the log-in: a dashboard stays open all day
        WTF_CSRF_SSL_STRICT=False,  # the Origin check below does this for http and https alike
    )
    csrf.init_app(app)


def header_credential() -> bool:
    """True when the request authenticates itself in a header (bearer token or device key)."""
    return request.headers.get("Authorization", "").lower().startswith("bearer ") or bool(request.headers.get("X-Device-Key"))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origins() -> set[str]:
    """This server as the browser sees it (through trusted proxies) and as configured for links."""
    return {_origin(request.host_url), _origin(runtime().settings.base_url)}


def from_own_page() -> bool:
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.lower() in own_origins()
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in SAME_ORIGIN_FETCH
    return True  # not a browser (or an old one): the CSRF token below still guards the cookie


def guard_cross_site(public_view: bool) -> None:
    """Refuse a forged state change (called by the access hook before the view's access is checked).
    The CSRF token is needed where the session cookie authenticates (every non-public view) and on the
    pages' form posts; a public API call (log-in, a citizen's rating) is not the cookie's doing."""
    if request.method in SAFE_METHODS or header_credential():
        return
    if not from_own_page():
        raise errors.CrossSiteRequest()
    if (session.get("token") and not public_view) or not request.path.startswith("/api/"):
        try:
            csrf.protect()
        except CSRFError:
            raise errors.CsrfTokenMissing() from None
