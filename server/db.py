"""Engine and session factory for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode. Readers use a plain (deferred) BEGIN and never block anyone. A unit of work
that writes is marked with the `hangcho_write` execution option and starts with BEGIN IMMEDIATE, so it
takes the write lock at its first statement instead of failing when it later upgrades a read lock.
Inside one process, writers first queue on a Python lock (`writer_lock`): a thread is handed the lock
the moment the previous writer ends, instead of SQLite's busy handler sleeping in growing steps —
which under load costs more time than the writes themselves. Other processes still wait through
busy_timeout.
"""
from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from pathlib import Path
from typing import ContextManager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "hangcho_write"
# Keyed by the connection pool, which an engine shares with its `execution_options()` copies.
_writer_locks: "weakref.WeakKeyDictionary[object, threading.RLock]" = weakref.WeakKeyDictionary()


def make_engine(database_url: str, *, pool_size: int = 10) -> Engine:
    """Create an engine with the pragmas and locking behaviour Hàng Chờ relies on."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=pool_size,
            max_overflow=20,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's implicit BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        writing = connection.get_execution_options().get(WRITE_OPTION)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    _writer_locks[engine.pool] = threading.RLock()


def writer_lock(engine: Engine) -> ContextManager[object]:
    """The in-process queue for SQLite writers; nothing for PostgreSQL (its row locks do the work)."""
    lock = _writer_locks.get(engine.pool)
    return lock if lock is not None else contextlib.nullcontext()


def make_session_factory(engine: Engine, *, writing: bool = False) -> sessionmaker[Session]:
    """Sessions for reading (deferred BEGIN), or for code that reads then writes outside a domain
    verb — log-in, administration, commands — whose every transaction starts with BEGIN IMMEDIATE,
    so SQLite makes it wait for the lock instead of refusing a read transaction's upgrade."""
    bind = engine.execution_options(**{WRITE_OPTION: True}) if writing else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)
