"""Ticket printing: the ESC/POS ticket renderer, an ESC/POS reader for previews, font lookup."""
from hardware.printing.ticket import PROFILE_58, PROFILE_80, PaperProfile, TicketRenderer, profile_for_width

__all__ = ["PROFILE_58", "PROFILE_80", "PaperProfile", "TicketRenderer", "profile_for_width"]
