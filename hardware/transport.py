"""A serial port opened by pyserial URL that notices when it vanishes and reopens itself with backoff.

Any URL `serial.serial_for_url` accepts works: /dev/ttyUSB0, a pty path (or a symlink to one),
socket://host:port, rfc2217://host:port, loop://.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, NoReturn

import serial

from hardware.backoff import Backoff
from hardware.errors import PortUnavailable

logger = logging.getLogger(__name__)

try:
    import termios

    # pyserial lets termios.error (not an OSError) through when a pty or USB adapter vanishes mid-call.
    PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError, termios.error)
except ImportError:  # Windows has no termios
    PORT_ERRORS = (serial.SerialException, OSError)

PortOpener = Callable[..., Any]
READ_SLICE_S = 0.05


class SerialTransport:
    """Reconnecting wrapper around one pyserial port.

    Every failure of the underlying port (open, read or write) closes it and raises PortUnavailable;
    `ensure_open()` then reopens it, waiting longer after each failed attempt. State changes are logged
    once (opened, lost), never once per retry.
    """

    def __init__(
        self,
        url: str,
        baudrate: int = 9600,
        timeout: float = 0.1,
        write_timeout: float | None = 10.0,
        backoff: Backoff | None = None,
        opener: PortOpener = serial.serial_for_url,
    ) -> None:
        self.url = url
        self.baudrate = baudrate
        self.timeout = timeout
        self.write_timeout = write_timeout
        self.backoff = backoff or Backoff(initial=0.1, maximum=1.0)
        self._opener = opener
        self._port: Any | None = None
        self._lock = threading.RLock()
        self._reported_unavailable = False
        self.last_error = ""

    @property
    def is_open(self) -> bool:
        """True while the port is open (it may still vanish at the next read or write)."""
        return self._port is not None

    def open(self) -> None:
        """Open the port once; PortUnavailable if it cannot be opened now."""
        with self._lock:
            if self._port is not None:
                return
            try:
                self._port = self._opener(
                    self.url, baudrate=self.baudrate, timeout=min(self.timeout, READ_SLICE_S),
                    write_timeout=self.write_timeout,
                )
            except (*PORT_ERRORS, ValueError) as error:
                self._fail(error)
            self.backoff.reset()
            if self._reported_unavailable:
                logger.info("port %s is back", self.url)
            else:
                logger.debug("port %s opened at %d baud", self.url, self.baudrate)
            self._reported_unavailable = False
            self.last_error = ""

    def ensure_open(self, stop: threading.Event) -> bool:
        """Open the port, retrying with backoff until it opens (True) or `stop` is set (False)."""
        while not stop.is_set():
            try:
                self.open()
                return True
            except PortUnavailable:
                stop.wait(self.backoff.next_delay())
        return False

    def close(self) -> None:
        """Close the port (idempotent)."""
        with self._lock:
            port, self._port = self._port, None
            if port is not None:
                try:
                    port.close()
                except PORT_ERRORS as error:
                    logger.debug("closing %s: %s", self.url, error)

    def write(self, data: bytes) -> None:
        """Write all of `data`, opening the port first if needed."""
        with self._lock:
            port = self._require_port()
            try:
                port.write(data)
                port.flush()
            except serial.SerialTimeoutException:
                raise
            except PORT_ERRORS as error:
                self._fail(error)

    def read(self, timeout: float | None = None) -> bytes:
        """Whatever arrives within `timeout` (the transport's timeout by default): b"" if nothing did.

        The port itself keeps one short timeout (READ_SLICE_S) and this loops: changing a pyserial port's
        timeout reconfigures the line (tcsetattr) every time.
        """
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self._lock:
            port = self._require_port()
            try:
                while True:
                    first = port.read(1)
                    if first:
                        waiting = port.in_waiting
                        return first + port.read(waiting) if waiting else first
                    if time.monotonic() >= deadline:
                        return b""
            except PORT_ERRORS as error:
                self._fail(error)

    def discard_input(self) -> None:
        """Drop bytes received but not read yet (stale answers before a new exchange)."""
        with self._lock:
            port = self._require_port()
            try:
                port.reset_input_buffer()
            except PORT_ERRORS as error:
                self._fail(error)

    def _require_port(self) -> Any:
        if self._port is None:
            self.open()
        return self._port

    def _fail(self, error: BaseException) -> NoReturn:
        """Close, remember and log the loss once, and raise PortUnavailable."""
        self.close()
        self.last_error = str(error) or error.__class__.__name__
        if not self._reported_unavailable:
            logger.warning("port %s unavailable: %s", self.url, self.last_error)
            self._reported_unavailable = True
        raise PortUnavailable(f"{self.url}: {self.last_error}") from error

    def __repr__(self) -> str:
        return f"SerialTransport({self.url!r}, baudrate={self.baudrate})"
