"""The LED counter display: shows a ticket number, flashes it on recall, blanks, dims, shows short ASCII text."""
from __future__ import annotations

import logging

from hardware.drivers.link import FramedLink
from hardware.errors import ProtocolError
from hardware.protocol import messages
from hardware.protocol.framing import Frame
from hardware.protocol.messages import Command

logger = logging.getLogger(__name__)


class LedDisplay:
    """One LED display at `address` on a FramedLink; every method returns once the display acknowledged."""

    def __init__(self, link: FramedLink, address: int = 1) -> None:
        self.link = link
        self.address = address

    def show_number(self, number: str) -> None:
        """Show `number` steadily ("1005", "A005")."""
        self._command(messages.show_number(self.address, self.link.next_sequence(), number))

    def flash_number(self, number: str, blinks: int = 5) -> None:
        """Show `number` blinking `blinks` times, then steadily: the recall signal."""
        self._command(messages.flash_number(self.address, self.link.next_sequence(), number, blinks))

    def blank(self) -> None:
        """Show nothing (no ticket at this counter, or the counter is paused or closed)."""
        self._command(messages.blank(self.address, self.link.next_sequence()))

    def set_brightness(self, level: int) -> None:
        """Brightness 0..15."""
        self._command(messages.set_brightness(self.address, self.link.next_sequence(), level))

    def show_text(self, text: str) -> None:
        """A short text folded to ASCII (LEDs have no diacritics): "Tạm dừng" shows as "Tam dung"."""
        self._command(messages.show_text(self.address, self.link.next_sequence(), text))

    def heartbeat(self) -> None:
        """POLL the display: raises DeviceTimeout / PortUnavailable when it is gone."""
        self.link.poll(self.address)

    def _command(self, frame: Frame) -> None:
        reply = self.link.request(frame)
        if reply.command != Command.DEVICE_ACK:
            raise ProtocolError(f"display {self.address} answered 0x{reply.command:02X} instead of ACK")
