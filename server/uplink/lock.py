"""One uplink per site whatever the number of server processes: whoever holds this lock sends.

PostgreSQL: a session advisory lock on a dedicated connection. SQLite: an exclusive flock on a file
beside the database. Both vanish with the process that held them (a kill -9 frees them at once), so
another process's uplink takes over by itself.
"""
from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

ADVISORY_KEY_BASE = 0x48430000  # "HC" in the high bytes; the site id in the low ones


class UplinkLock:
    def __init__(self, engine: Engine, site_id: int) -> None:
        self.engine = engine
        self.site_id = site_id
        self._connection: Connection | None = None
        self._file: IO[bytes] | None = None

    def try_acquire(self) -> bool:
        if self.held:
            return True
        url = make_url(str(self.engine.url))
        if url.get_backend_name() == "sqlite":
            path = Path(url.database or "hangcho.sqlite3").with_suffix(f".uplink-{self.site_id}.lock")
            handle = open(path, "ab")  # noqa: SIM115 - kept open while the lock is held
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
            handle.truncate(0)
            handle.write(str(os.getpid()).encode())
            handle.flush()
            self._file = handle
            return True
        connection = self.engine.connect()
        try:
            got = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                          {"key": ADVISORY_KEY_BASE + self.site_id}).scalar())
            connection.commit()
        except Exception:
            connection.close()
            raise
        if not got:
            connection.close()
            return False
        self._connection = connection
        return True

    @property
    def held(self) -> bool:
        return self._file is not None or self._connection is not None

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the descriptor drops the flock
            self._file = None
        if self._connection is not None:
            try:
                self._connection.close()  # ends the session: the advisory lock goes with it
            finally:
                self._connection = None
