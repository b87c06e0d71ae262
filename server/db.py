"""Engine and session factory for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode. Readers use a plain (deferred) BEGIN and never block anyone. A unit of work
that writes is marked with the `hangcho_write` execution option and starts with BEGIN IMMEDIATE, so it
takes the write lock at its first statement instead of failing when it later upgrades a read lock.

Inside one process, every write transaction first takes a Python lock, right before its BEGIN
IMMEDIATE, and gives it back at its COMMIT or ROLLBACK: a waiting thread is handed the lock the
moment the previous writer ends, instead of SQLite's busy handler sleeping in growing steps (which
under load costs more than the writes themselves). Taking it at BEGIN — never around code that may
already hold SQLite's lock — keeps one lock order, so two writers cannot deadlock. Other processes
still wait through busy_timeout.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "hangcho_write"
_HOLDS_WRITER_LOCK = "hangcho_holds_writer_lock"


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

    lock = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        if not connection.get_execution_options().get(WRITE_OPTION):
            connection.exec_driver_sql("BEGIN")
            return
        # If a writer never ended (a bug), fall back to SQLite's own waiting rather than hang.
        acquired = lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        if not acquired:
            logger.error("in-process writer lock not free after %s ms; waiting on SQLite instead", SQLITE_BUSY_TIMEOUT_MS)
        connection.info[_HOLDS_WRITER_LOCK] = acquired
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection)
            raise

    def _release(connection) -> None:  # type: ignore[no-untyped-def]
        if connection.info.pop(_HOLDS_WRITER_LOCK, False):
            lock.release()

    event.listen(engine, "commit", _release)
    event.listen(engine, "rollback", _release)


def make_session_factory(engine: Engine, *, writing: bool = False) -> sessionmaker[Session]:
    """Sessions for reading (deferred BEGIN), or for code that reads then writes outside a domain
    verb — log-in, administration, commands — whose every transaction starts with BEGIN IMMEDIATE,
    so SQLite makes it wait for the lock instead of refusing a read transaction's upgrade."""
    bind = engine.execution_options(**{WRITE_OPTION: True}) if writing else engine
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)
