"""Hàng Chờ server: the Flask application factory.

`create_app()` wires one Runtime (settings, database, clock, Socket.IO publisher) and registers the
API, the realtime handlers, the staff pages and the kiosk/ and display/ blueprints.
"""
from __future__ import annotations

import datetime as dt
import logging
from importlib import import_module
from typing import TYPE_CHECKING

from flask import Flask

if TYPE_CHECKING:
    from server.queue.clock import Clock
    from server.settings import Settings

__version__ = "0.1.0"

logger = logging.getLogger(__name__)

# Blueprints of other top-level packages and server sub-packages, registered when they exist.
# Each module exposes `blueprint` and may expose `init_app(app)`.
OPTIONAL_BLUEPRINTS = (
    "kiosk.views",
    "kiosk.rating.views",
    "display.views",
    "server.console.views",
    "server.dashboard.views",
    "server.admin.views",
)


def create_app(settings: "Settings | None" = None, clock: "Clock | None" = None) -> Flask:
    from server.api import api
    from server.api.errors import register_error_handlers
    from server.auth.access import enforce_access
    from server.auth.cross_site import init_cross_site
    from server.db import make_engine, make_session_factory
    from server.headers import init_headers
    from server.i18n import init_i18n
    from server.inputs import init_inputs
    from server.pages import pages
    from server.proxies import TrustedProxies, parse_networks
    from server.queue.clock import SystemClock
    from server.realtime import SocketIOPublisher, init_realtime, socketio
    from server.runtime import EXTENSION_KEY, Runtime, close_db_session
    from server.settings import load_settings

    settings = settings or load_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        SECRET_KEY=settings.effective_secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_https,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=settings.token_ttl_hours),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        JSON_AS_ASCII=False,
    )
    init_inputs(app)  # before any route is added: the bounded `int` converter applies to every rule
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    engine = make_engine(settings.database_url)
    enrichers: list = []
    runtime = Runtime(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        write_session_factory=make_session_factory(engine, writing=True),
        clock=clock or SystemClock(),
        publisher=SocketIOPublisher(socketio, enrichers),
        event_enrichers=enrichers,
    )
    app.extensions[EXTENSION_KEY] = runtime
    init_i18n(app)
    register_error_handlers(app)
    init_cross_site(app)
    app.before_request(enforce_access)
    init_headers(app)
    app.teardown_appcontext(close_db_session)
    if settings.is_central:
        # Before the site's API: the central answers /api/v1/public/tickets and /api/v1/ratings itself.
        from server.province import phone

        app.register_blueprint(phone.blueprint)
        app.register_blueprint(phone.api)
        phone.init_phone_sockets()
    app.register_blueprint(api)
    app.register_blueprint(pages)
    if settings.is_central:
        _init_central(app)
    for module_name in () if settings.is_central else OPTIONAL_BLUEPRINTS:
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as missing:
            if missing.name and module_name.startswith(missing.name):
                continue
            raise
        app.register_blueprint(module.blueprint)
        if hasattr(module, "init_app"):
            module.init_app(app)
    init_realtime(app)
    if not settings.is_central:
        from server.uplink.health import init_uplink_health

        init_uplink_health(app)
    # Outermost, so Socket.IO's requests see the real client address too.
    app.wsgi_app = TrustedProxies(app.wsgi_app, parse_networks(settings.trusted_proxies))  # type: ignore[method-assign]
    return app



# What the central answers besides its own province routes: health, log-in, the OpenAPI document and
# the shared pages. Every site route (tickets, counters, administration…) is 404 there.
CENTRAL_ENDPOINTS = frozenset({"api.health", "api.login", "api.logout", "api.me", "api.openapi_document", "static"})
CENTRAL_BLUEPRINT_PREFIXES = ("pages.", "province.", "province_api.", "province_reports.", "province_phone.",
                              "province_phone_api.", "province_public.")


def central_serves(endpoint: str) -> bool:
    return endpoint in CENTRAL_ENDPOINTS or endpoint.startswith(CENTRAL_BLUEPRINT_PREFIXES)


def _init_central(app: Flask) -> None:
    """The central role: the province board, API and uplink namespace, rankings and a site's reports."""
    from flask import abort, request

    import server.province.realtime  # noqa: F401 - registers the /uplink and /province namespaces
    from server.province import public, views

    app.register_blueprint(views.blueprint)
    app.register_blueprint(views.api)
    app.register_blueprint(public.blueprint)  # /wait and GET /api/v1/public/wait-times
    from server.province.rankings import blueprint as rankings_blueprint

    app.register_blueprint(rankings_blueprint())  # rankings and a site's reports, from the roll-ups

    @app.before_request
    def _central_only() -> None:
        if request.endpoint is not None and not central_serves(request.endpoint):
            abort(404)

    # Run before the access hook, so a site route answers 404 rather than 401 at the central.
    app.before_request_funcs[None].insert(0, app.before_request_funcs[None].pop())
