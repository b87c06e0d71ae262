"""The ports a device is reached through, each reconnecting itself with backoff after it vanishes.

- `SerialTransport`: any URL `serial.serial_for_url` accepts: /dev/ttyUSB0, a pty path (or a symlink to
  one), socket://host:port, rfc2217://host:port, loop://.
- `RawDeviceTransport` (printers): a character device that is not a tty, such as the kernel's usblp
  `/dev/usb/lp0`, or a FIFO standing in for one; written raw, never read.
- `EscposTransport` (printers): python-escpos's own transports, `escpos.printer.Network` for
  socket://host:9100 and `escpos.printer.Usb` (pyusb) for usb://VID:PID.

`printer_transport_for(url)` picks one for a printer (docs/bridge.md says which and why).
"""
from __future__ import annotations

import abc
import errno
import logging
import os
import re
import select
import socket
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qs, urlsplit

import serial
import usb.core
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Network, Usb

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
USBLP_PATH = re.compile(r"^/dev/usb/lp\d+$")
DEFAULT_WRITE_TIMEOUT_S = 10.0


class Port(abc.ABC):
    """What every transport shares: one lock, backoff between reopen attempts, each loss logged once.

    Subclasses open, write and read their own kind of port; every failure goes through `_fail()`,
    which closes the port and raises PortUnavailable.
    """

    #: False for a port that can only be written (a printer reached through it cannot answer status).
    can_read = True

    def __init__(self, url: str, backoff: Backoff | None = None,
                 write_timeout: float | None = DEFAULT_WRITE_TIMEOUT_S) -> None:
        self.url = url
        self.write_timeout = write_timeout
        self.backoff = backoff or Backoff(initial=0.1, maximum=1.0)
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
            self._port = self._open_port()
            self.backoff.reset()
            if self._reported_unavailable:
                logger.info("port %s is back", self.url)
            else:
                logger.debug("port %s opened", self.url)
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
                    self._close_port(port)
                except PORT_ERRORS as error:
                    logger.debug("closing %s: %s", self.url, error)

    @abc.abstractmethod
    def _open_port(self) -> Any:
        """Open and return the underlying port; call `_fail()` when it cannot be opened."""

    def _close_port(self, port: Any) -> None:
        port.close()

    def check_present(self) -> None:
        """Notice a port that vanished while idle (PortUnavailable); most ports notice at their next read."""

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
        return f"{self.__class__.__name__}({self.url!r})"


class SerialTransport(Port):
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
        write_timeout: float | None = DEFAULT_WRITE_TIMEOUT_S,
        backoff: Backoff | None = None,
        opener: PortOpener = serial.serial_for_url,
    ) -> None:
        super().__init__(url, backoff, write_timeout)
        self.baudrate = baudrate
        self.timeout = timeout
        self._opener = opener

    def _open_port(self) -> Any:
        try:
            return self._opener(
                self.url, baudrate=self.baudrate, timeout=min(self.timeout, READ_SLICE_S),
                write_timeout=self.write_timeout,
            )
        except (*PORT_ERRORS, ValueError) as error:
            self._fail(error)

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

    def __repr__(self) -> str:
        return f"SerialTransport({self.url!r}, baudrate={self.baudrate})"


class RawDeviceTransport(Port):
    """A write-only character device (usblp's /dev/usb/lp0, a FIFO): raw bytes out, nothing ever read.

    Opened non-blocking so that neither a FIFO without a reader nor a printer that stopped taking bytes
    can hang the worker: a write waits for room at most `write_timeout` seconds, then raises
    serial.SerialTimeoutException as a serial port would. (python-escpos's `File` printer opens with a
    blocking open() and write(): a usblp printer out of paper would hold the worker for ever.)
    """

    can_read = False

    def __init__(self, url: str, write_timeout: float | None = DEFAULT_WRITE_TIMEOUT_S,
                 backoff: Backoff | None = None) -> None:
        super().__init__(url, backoff, write_timeout)

    def _open_port(self) -> int:
        try:
            return os.open(self.url, os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError as error:  # ENOENT unplugged, ENXIO a FIFO nobody reads, EACCES not in group lp
            self._fail(error)

    def _close_port(self, port: int) -> None:
        os.close(port)

    def write(self, data: bytes) -> None:
        """Write all of `data` within the write timeout."""
        deadline = time.monotonic() + (self.write_timeout or 3600.0)
        with self._lock:
            descriptor = self._require_port()
            view = memoryview(data)
            try:
                while view:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise serial.SerialTimeoutException(f"{self.url} took no bytes for {self.write_timeout} s")
                    _, writable, _ = select.select([], [descriptor], [], min(remaining, 0.5))
                    if not writable:
                        continue
                    try:
                        view = view[os.write(descriptor, view):]
                    except BlockingIOError:
                        continue
            except OSError as error:  # EPIPE the reader left, ENODEV / EIO the printer was unplugged
                self._fail(error)

    def check_present(self) -> None:
        """An unplugged usblp printer's node disappears; nothing is read from it, so look for it."""
        if self.is_open and not os.path.exists(self.url):
            self._fail(FileNotFoundError(errno.ENOENT, "the device is gone", self.url))

    def read(self, timeout: float | None = None) -> bytes:
        """Nothing can be read from a write-only device."""
        return b""

    def discard_input(self) -> None:
        """Nothing to discard: nothing is ever read."""


class EscposTransport(Port):
    """A python-escpos printer connection (`Network` or `Usb`) used as a transport: bytes in and out.

    python-escpos opens, writes and closes; reading status bytes goes to the socket or the USB IN
    endpoint it opened, with our own timeout (its `_read()` has none we can choose).
    """

    def __init__(self, url: str, printer: Any, write_timeout: float | None = DEFAULT_WRITE_TIMEOUT_S,
                 backoff: Backoff | None = None) -> None:
        super().__init__(url, backoff, write_timeout)
        self.printer = printer

    def _open_port(self) -> Any:
        try:
            self.printer.open()
        except (DeviceNotFoundError, *PORT_ERRORS, usb.core.USBError, RuntimeError, ValueError) as error:
            # RuntimeError / ValueError: pyusb without a libusb backend
            self._fail(error)
        return self.printer.device

    def _close_port(self, port: Any) -> None:
        self.printer.close()

    def write(self, data: bytes) -> None:
        """Send `data` through python-escpos; a socket that takes nothing for write_timeout times out."""
        with self._lock:
            self._require_port()
            try:
                self.printer._raw(data)  # python-escpos's one write primitive
            except (socket.timeout, TimeoutError) as error:
                self.close()
                raise serial.SerialTimeoutException(str(error)) from error
            except (*PORT_ERRORS, usb.core.USBError) as error:
                self._fail(error)

    def read(self, timeout: float | None = None) -> bytes:
        """Whatever the printer sends within `timeout` seconds (b"" if nothing)."""
        wait = 0.1 if timeout is None else max(0.001, timeout)
        with self._lock:
            device = self._require_port()
            try:
                if isinstance(device, socket.socket):
                    device.settimeout(wait)
                    try:
                        data = device.recv(64)
                    except (socket.timeout, TimeoutError):
                        return b""
                    finally:
                        device.settimeout(self.write_timeout)
                    if not data:
                        raise ConnectionResetError(errno.ECONNRESET, "the printer closed the connection")
                    return data
                return self._read_usb(device, wait)
            except (*PORT_ERRORS, usb.core.USBError) as error:
                self._fail(error)

    def _read_usb(self, device: Any, wait: float) -> bytes:
        try:
            return bytes(device.read(self.printer.in_ep, 64, max(1, int(wait * 1000))))
        except usb.core.USBTimeoutError:
            return b""

    def discard_input(self) -> None:
        """Drop status bytes that arrived late (bounded: a chatty printer cannot hold us here)."""
        for _ in range(16):
            if not self.read(0.001):
                return


def is_raw_device(path: str) -> bool:
    """True for a printer path to write raw: usblp's /dev/usb/lpN (even while unplugged), a FIFO, or a
    character device that is not a tty (serial ports, USB adapters and ptys are ttys)."""
    if USBLP_PATH.match(path):
        return True
    try:
        status = os.stat(path)
    except OSError:
        return False
    if stat.S_ISFIFO(status.st_mode):
        return True
    if not stat.S_ISCHR(status.st_mode):
        return False
    subsystem = Path(f"/sys/dev/char/{os.major(status.st_rdev)}:{os.minor(status.st_rdev)}/subsystem")
    if subsystem.exists():
        return subsystem.resolve().name != "tty"
    try:  # ptys and some containers have no sysfs entry: ask the device itself
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return False
    try:
        return not os.isatty(descriptor)
    finally:
        os.close(descriptor)


def printer_transport_for(url: str, baudrate: int = 9600,
                          write_timeout: float | None = DEFAULT_WRITE_TIMEOUT_S) -> Port:
    """The transport of a printer at `url`: python-escpos for socket:// and usb://, raw for a non-tty
    character device, pyserial for everything else."""
    parts = urlsplit(url)
    if parts.scheme == "socket":
        if not parts.hostname:
            raise ValueError(f"{url}: socket://host:port needs a host")
        return EscposTransport(url, Network(parts.hostname, parts.port or 9100, timeout=write_timeout or 60),
                               write_timeout)
    if parts.scheme == "usb":
        return EscposTransport(url, _usb_printer(url), write_timeout)
    if not parts.scheme and is_raw_device(url):
        return RawDeviceTransport(url, write_timeout)
    return SerialTransport(url, baudrate=baudrate, timeout=0.1, write_timeout=write_timeout)


def _usb_printer(url: str) -> Usb:
    """escpos.printer.Usb for usb://VID:PID[?in_ep=0x82&out_ep=0x01] (ids in hexadecimal)."""
    parts = urlsplit(url)
    vendor, _, product = parts.netloc.partition(":")
    try:
        ids = int(vendor, 16), int(product, 16)
        query = {key: int(values[-1], 0) for key, values in parse_qs(parts.query).items()}
    except ValueError as error:
        raise ValueError(f"{url}: expected usb://VID:PID with hexadecimal ids, e.g. usb://04b8:0202") from error
    endpoints = {key: query[key] for key in ("in_ep", "out_ep") if key in query}
    return Usb(ids[0], ids[1], timeout=int(DEFAULT_WRITE_TIMEOUT_S * 1000), **endpoints)
