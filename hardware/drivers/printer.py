"""The ESC/POS thermal printer: send a ticket's bytes, ask its health with real-time status (DLE EOT).

Not every printer answers DLE EOT (status disabled, a one-way link such as usblp, many cheap models),
so each printer has a status mode: `escpos` asks before and after each ticket, `none` never asks (the
printer is written blind and its status is unknown), `auto` asks once and falls back to `none` when
that first question meets silence."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from escpos.constants import RT_MASK_LOWPAPER, RT_MASK_NOPAPER, RT_MASK_ONLINE, RT_STATUS_ONLINE, RT_STATUS_PAPER

from hardware.device_config import PRINTER_STATUS_MODES as STATUS_MODES
from hardware.errors import PaperOut, PrinterOffline, StatusNotAnswered
from hardware.transport import Port

logger = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
RT_STATUS_OFFLINE_CAUSE = DLE_EOT + b"\x02"
# Every real-time status byte has bits 1 and 4 set and bits 0 and 7 clear (ESC/POS, DLE EOT).
STATUS_FIXED_MASK = 0x93
STATUS_FIXED_BITS = 0x12
OFFLINE_CAUSE_COVER_OPEN = 0x04
OFFLINE_CAUSE_PAPER_END = 0x20
OFFLINE_CAUSE_ERROR = 0x40
DEFAULT_STATUS_TIMEOUT_S = 0.5
WRITE_CHUNK = 512


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said about itself: online, and the roll paper sensor ("ok", "near_end", "out")."""

    online: bool
    paper: str
    cause: str = ""
    known: bool = True

    @property
    def word(self) -> str:
        """The `device_status.status` word: online, paper_out or offline."""
        if self.paper == "out":
            return "paper_out"
        return "online" if self.online else "offline"


UNKNOWN_STATUS = PrinterStatus(online=True, paper="unknown", cause="status unknown", known=False)


class EscPosPrinter:
    """A printer on a transport; real-time status requests are answered even while it prints.

    `status_mode` is escpos, none or auto (module docstring); a transport that cannot be read makes
    auto mean none at once.
    """

    def __init__(self, transport: Port, status_timeout: float = DEFAULT_STATUS_TIMEOUT_S,
                 status_mode: str = "escpos") -> None:
        if status_mode not in STATUS_MODES:
            raise ValueError(f"printer status mode must be one of {', '.join(STATUS_MODES)}, not {status_mode!r}")
        self.transport = transport
        self.status_timeout = status_timeout
        self.status_mode = "none" if status_mode == "auto" and not transport.can_read else status_mode

    def status(self) -> PrinterStatus:
        """The printer's status, or UNKNOWN_STATUS when it is not asked (mode none).

        In auto mode the first answer decides: a status byte makes it escpos, silence makes it none.
        PrinterOffline on silence in escpos mode.
        """
        if self.status_mode == "none":
            return UNKNOWN_STATUS
        try:
            status = self._ask_status()
        except StatusNotAnswered:
            if self.status_mode != "auto":
                raise
            logger.warning("%s does not answer real-time status (DLE EOT): printing without status from now on",
                           self.transport.url)
            self.status_mode = "none"
            return UNKNOWN_STATUS
        if self.status_mode == "auto":
            logger.info("%s answers real-time status: checking it before and after each ticket", self.transport.url)
            self.status_mode = "escpos"
        return status

    def _ask_status(self) -> PrinterStatus:
        """Ask DLE EOT 1 (printer status) and DLE EOT 4 (roll paper sensor); StatusNotAnswered on silence."""
        self.transport.discard_input()
        printer_byte = self._query(RT_STATUS_ONLINE)
        paper_byte = self._query(RT_STATUS_PAPER)
        if paper_byte & RT_MASK_NOPAPER == RT_MASK_NOPAPER:
            paper = "out"
        elif paper_byte & RT_MASK_LOWPAPER == RT_MASK_LOWPAPER:
            paper = "near_end"
        else:
            paper = "ok"
        online = not printer_byte & RT_MASK_ONLINE
        cause = ""
        if not online and paper != "out":
            cause_byte = self._query(RT_STATUS_OFFLINE_CAUSE)
            if cause_byte & OFFLINE_CAUSE_COVER_OPEN:
                cause = "cover open"
            elif cause_byte & OFFLINE_CAUSE_PAPER_END:
                paper, cause = "out", "paper end"
            elif cause_byte & OFFLINE_CAUSE_ERROR:
                cause = "printer error"
        return PrinterStatus(online=online, paper=paper, cause=cause)

    def check_ready(self) -> PrinterStatus:
        """The status if the printer can print now (or is not asked); PaperOut or PrinterOffline if it cannot."""
        status = self.status()
        if status.paper == "out":
            raise PaperOut("the printer has no paper")
        if not status.online:
            raise PrinterOffline(f"the printer is offline ({status.cause or 'unknown cause'})")
        return status

    def print_bytes(self, data: bytes) -> None:
        """Print a whole ticket: check readiness, send in chunks, check again (paper may end mid-ticket).

        Raises PaperOut / PrinterOffline / PortUnavailable, or serial.SerialTimeoutException when the
        printer stops accepting bytes; in mode none only the last two.
        """
        self.check_ready()
        started = time.monotonic()
        for offset in range(0, len(data), WRITE_CHUNK):
            self.transport.write(data[offset : offset + WRITE_CHUNK])
        logger.debug("sent %d bytes to %s in %.2f s", len(data), self.transport.url, time.monotonic() - started)
        self.check_ready()

    def _query(self, request: bytes) -> int:
        self.transport.write(request)
        deadline = time.monotonic() + self.status_timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StatusNotAnswered("the printer does not answer status requests")
            data = self.transport.read(timeout=min(remaining, 0.1))
            for byte in data:
                if byte & STATUS_FIXED_MASK == STATUS_FIXED_BITS:
                    return byte
                logger.debug("ignoring non-status byte 0x%02X from %s", byte, self.transport.url)


