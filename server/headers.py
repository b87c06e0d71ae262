"""Headers every answer carries: a Content-Security-Policy our pages satisfy (no inline script or style:
every script is a static file, page data travels in `<script type="application/json">` blocks), no
MIME sniffing, no framing by other sites, no referrer leaks of the ticket tokens in /t/… URLs, and
Cache-Control: anything without its own caching rule (API answers, staff pages, the phone page, the
device screens — all live or personal data) is `no-store`; static files keep theirs.
"""
from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # data: only for the displays' inline SVG favicon
    "font-src 'self'",
    "connect-src 'self'",  # the API and the same-origin Socket.IO websocket
    "media-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
))
HSTS_MAX_AGE_S = 180 * 24 * 3600


def security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    headers.setdefault("Referrer-Policy", "same-origin")
    if "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_MAX_AGE_S}")
    return response


def init_headers(app: Flask) -> None:
    app.after_request(security_headers)
