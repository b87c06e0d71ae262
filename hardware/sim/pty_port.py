"""A pseudo-terminal pair standing in for a serial cable: the simulated device holds the master side,
the host (the bridge) opens the slave side by its path, or by a stable symlink to it.

Unplugging closes the master: the host's reads and writes fail as with a pulled USB adapter. Plugging in
again makes a new pair (pty names change) and re-points the symlink, like a device node that comes back.
"""
from __future__ import annotations

import logging
import os
import select
import threading
import tty
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

READ_CHUNK = 4096
SELECT_TIMEOUT_S = 0.05


class PtyPort:
    """One pty pair with a reader thread that hands every received chunk to `on_data`."""

    def __init__(self, on_data: Callable[[bytes], None], link_path: Path | str | None = None,
                 name: str = "pty", on_idle: Callable[[], None] | None = None) -> None:
        self.on_data = on_data
        self.on_idle = on_idle
        self.link_path = Path(link_path) if link_path else None
        self.name = name
        self._master_fd: int | None = None
        self._slave_fd: int | None = None
        self.slave_name = ""
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def path(self) -> str:
        """What the host opens: the symlink when there is one, else the slave device itself."""
        return str(self.link_path) if self.link_path else self.slave_name

    @property
    def plugged(self) -> bool:
        """True while the master side is open."""
        return self._master_fd is not None

    def plug(self) -> None:
        """Create a new pty pair, point the symlink at it and start reading."""
        if self.plugged:
            return
        master_fd, slave_fd = os.openpty()
        # Raw mode at once: no echo, no newline translation, before the host opens the slave.
        tty.setraw(slave_fd)
        self._master_fd, self._slave_fd = master_fd, slave_fd
        self.slave_name = os.ttyname(slave_fd)
        if self.link_path:
            self.link_path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.link_path.with_name(self.link_path.name + ".new")
            if temporary.is_symlink() or temporary.exists():
                temporary.unlink()
            temporary.symlink_to(self.slave_name)
            os.replace(temporary, self.link_path)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read_loop, args=(master_fd, self._stop),
                                        name=f"sim-{self.name}", daemon=True)
        self._thread.start()
        logger.debug("%s plugged at %s (%s)", self.name, self.path, self.slave_name)

    def unplug(self) -> None:
        """Close the pair: the host's open port fails from now on; the symlink is removed."""
        if not self.plugged:
            return
        self._stop.set()
        if self._thread and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        with self._write_lock:
            for descriptor in (self._master_fd, self._slave_fd):
                if descriptor is not None:
                    os.close(descriptor)
            self._master_fd = self._slave_fd = None
        if self.link_path and self.link_path.is_symlink():
            self.link_path.unlink()
        logger.debug("%s unplugged", self.name)

    def write(self, data: bytes) -> bool:
        """Send bytes to the host; False when unplugged."""
        with self._write_lock:
            if self._master_fd is None:
                return False
            view = memoryview(data)
            while view:
                written = os.write(self._master_fd, view)
                view = view[written:]
            return True

    def _read_loop(self, master_fd: int, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                readable, _, _ = select.select([master_fd], [], [], SELECT_TIMEOUT_S)
                data = os.read(master_fd, READ_CHUNK) if readable else b""
            except OSError as error:
                if not stop.is_set():
                    logger.debug("%s read stopped: %s", self.name, error)
                return
            try:
                if data:
                    self.on_data(data)
                if self.on_idle:
                    self.on_idle()
            except Exception:  # supervisor of one simulated device: log and keep the device alive
                logger.exception("%s failed to handle %r", self.name, data)
