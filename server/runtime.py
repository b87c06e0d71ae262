"""The per-application runtime: settings, database, clock and publisher, and the request's session.

Adapters (HTTP views, Socket.IO handlers, CLI commands, periodic jobs) get their QueueService here,
so each of them is one line of glue around one domain call.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from flask import current_app, g, has_request_context, request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from server.queue.clock import Clock
from server.queue.service import Publisher, QueueService
from server.settings import Settings

EXTENSION_KEY = "hangcho"


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

    def service(self, session: Session) -> QueueService:
        return QueueService(
            session,
            clock=self.clock,
            publisher=self.publisher,
            public_base_url=self.settings.base_url,
            print_timeout_s=self.settings.print_timeout_s,
        )


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
