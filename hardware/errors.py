"""Exceptions with meaning for everything that can go wrong with a serial device."""
from __future__ import annotations


class HardwareError(Exception):
    """Base of every error raised by the hardware package."""


class PortUnavailable(HardwareError):
    """The serial port cannot be opened or vanished while in use (unplugged, pty closed, socket down)."""


class DeviceTimeout(HardwareError):
    """The device did not answer in time, even after the retries the protocol allows."""


class ProtocolError(HardwareError):
    """Bytes that break the framed protocol (bad flag, length or payload)."""


class BadChecksum(ProtocolError):
    """A frame whose CRC-16 does not match its contents."""


class NegativeAcknowledgement(HardwareError):
    """The device refused a well-formed command (NAK) with a reason code."""

    def __init__(self, reason: int, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class PrinterError(HardwareError):
    """Base of printer faults; `code` is the `print_result.error` / `device_status.status` word."""

    code = "error"


class PaperOut(PrinterError):
    """The roll paper sensor reports no paper: nothing can be printed until a roll is loaded."""

    code = "paper_out"


class PrinterOffline(PrinterError):
    """The printer does not answer status queries or reports itself offline (cover open, error)."""

    code = "offline"


class StatusNotAnswered(PrinterOffline):
    """The printer stayed silent to a real-time status request (DLE EOT): off, or it never answers."""


class FontNotFound(HardwareError):
    """The Unicode font used to draw Vietnamese ticket lines is missing."""
