"""Alembic environment: the URL comes from the caller (server.migrate) or HANGCHO_DATABASE_URL."""
from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from server.db import make_engine
from server.models import Base
from server.settings import load_settings

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    return config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url") or load_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(database_url())
    with engine.connect() as connection:
        on_sqlite = connection.dialect.name == "sqlite"
        if on_sqlite:
            # Batch mode rebuilds a SQLite table by copying and dropping it; with foreign keys enforced,
            # dropping a table that other rows refer to (tickets, by events) fails on every database
            # that holds data. The pragma only takes effect outside a transaction, hence the raw driver.
            _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        if on_sqlite:
            broken = _sqlite_pragma(connection, "PRAGMA foreign_key_check")
            _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"the migration left rows that refer to nothing: {broken[:5]}")
    engine.dispose()


def _sqlite_pragma(connection: Connection, statement: str) -> list[Any]:
    """Run a pragma on the driver's connection, outside SQLAlchemy's transaction handling."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement)
        return list(cursor.fetchall())
    finally:
        cursor.close()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
