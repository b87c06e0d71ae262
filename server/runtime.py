"""The per-application runtime: settings, database, clock and publisher, and the request's session.

Adapters (HTTP views, Socket.IO handlers, CLI commands, periodic jobs) get their QueueService here,
so each of them is one line of glue around one domain call.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from flask import current_app, g, has_request_context, request
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from server.models import Site
from server.queue.clock import Clock
from server.queue.service import Publisher, QueueService
from server.settings import Settings

EXTENSION_KEY = "hangcho"
PHONE_BASE_TTL_S = 2.0


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    # For requests that change something (POST, PUT, PATCH, DELETE): see server/db.py.
    write_session_factory: sessionmaker[Session]
    clock: Clock
    publisher: Publisher
    # Functions that add presentation data to an event payload before it is pushed (e.g. the
    # display blueprint adds the voice clips of a call). They must not touch the database.
    event_enrichers: list[Callable[[str, dict[str, Any]], None]] = field(default_factory=list)

    # (monotonic time of the last look, the base URL found): see phone_base_url.
    _phone_base: list[Any] = field(default_factory=lambda: [float("-inf"), ""])

    def service(self, session: Session) -> QueueService:
        return QueueService(
            session,
            clock=self.clock,
            publisher=self.publisher,
            public_base_url=self.phone_base_url(session),
            print_timeout_s=self.settings.print_timeout_s,
        )

    def phone_base_url(self, session: Session) -> str:
        """Where a ticket's QR code points: the province server's public URL once the site's uplink has
        been told it (docs/phone-via-central.md), else this site's own. Looked up at most every few
        seconds (every process of the site reads what the uplink's process wrote)."""
        if not self.settings.uplink_enabled:
            return self.settings.base_url
        if time.monotonic() - self._phone_base[0] >= PHONE_BASE_TTL_S:
            from server.uplink.phone import phone_base_url

            site_id = session.scalar(select(Site.id).order_by(Site.id).limit(1))
            self._phone_base[:] = [time.monotonic(), phone_base_url(session, site_id) if site_id is not None else ""]
        return self._phone_base[1] or self.settings.base_url


def runtime() -> Runtime:
    return current_app.extensions[EXTENSION_KEY]


def db_session() -> Session:
    """The session of the current request or socket event, closed at teardown."""
    if "db_session" not in g:
        changing = has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
        factory = runtime().write_session_factory if changing else runtime().session_factory
        g.db_session = factory()
    return g.db_session


def queue_service() -> QueueService:
    return runtime().service(db_session())


def close_db_session(_exception: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
