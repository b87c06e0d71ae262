"""Proxy headers (X-Forwarded-For, -Proto, -Host, -Port, -Prefix) honoured only from trusted proxies.

Behind nginx every request comes from nginx's address; the citizen's or clerk's own address is in
X-Forwarded-For. Anyone can send that header, so it counts only when the peer that sent it is one of
`HANGCHO_TRUSTED_PROXIES` (addresses or networks, comma-separated). From any other peer the headers are
dropped before the application sees them. Werkzeug's ProxyFix does the rewriting; this middleware
decides per request whether, and over how many proxies, it applies.
"""
from __future__ import annotations

import ipaddress
from typing import Any, Callable, Iterable

from werkzeug.middleware.proxy_fix import ProxyFix

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                     "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX", "HTTP_FORWARDED")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(spec: str) -> list[Network]:
    """"10.0.0.5, 172.16.0.0/12" → networks; a bad entry raises ValueError (at start-up, not per request)."""
    return [ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip()]


class TrustedProxies:
    """WSGI middleware: ProxyFix for requests from a trusted proxy; forwarded headers dropped otherwise."""

    def __init__(self, app: Callable[..., Iterable[bytes]], networks: list[Network]) -> None:
        self.app = app
        self.networks = networks
        self._fixers: dict[int, ProxyFix] = {}

    def trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if not self.networks or not self.trusted(environ.get("REMOTE_ADDR", "")):
            for header in FORWARDED_HEADERS:
                environ.pop(header, None)
            return self.app(environ, start_response)
        return self._fixer(self._hops(environ))(environ, start_response)

    def _hops(self, environ: dict[str, Any]) -> int:
        """1 + the trusted proxies at the end of X-Forwarded-For (nginx behind a load balancer): the
        client is the right-most address that is not one of ours."""
        entries = [entry.strip() for entry in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
        hops = 1
        while hops < len(entries) and self.trusted(entries[-hops]):
            hops += 1
        return hops

    def _fixer(self, hops: int) -> ProxyFix:
        fixer = self._fixers.get(hops)
        if fixer is None:
            fixer = self._fixers[hops] = ProxyFix(self.app, x_for=hops, x_proto=1, x_host=1, x_port=1, x_prefix=1)
        return fixer
