"""The printed queue ticket: a print job dict in, the ESC/POS bytes of one ticket out.

Vietnamese lines are raster images drawn with a Unicode font (printer code pages for Vietnamese are
unreliable); the big number, the time and the QR code stay native ESC/POS commands. Each raster line is
1-bit, cropped to its ink and printed on its own (GS v 0), centred by ESC a, with ESC J feeds instead of
blank rows: a whole ticket stays under 6.5 KB where a full-ticket raster is about 23 KB.
"""
from __future__ import annotations

import copy
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont

from hardware.printing.escpos_reader import preview_image
from hardware.printing.fonts import configured_font_paths, load_font, require_font_file

logger = logging.getLogger(__name__)

ESC = b"\x1b"
FONT_A_WIDTH_DOTS = 12
TICKET_NUMBER_PATTERN = re.compile(r"^[0-9A-Za-z\-]{1,8}$")
MAX_FEED_DOTS = 255


@dataclass(frozen=True)
class PaperProfile:
    """Geometry and type sizes of one paper width (203 dpi printers: 8 dots per millimetre)."""

    name: str
    width_mm: int
    width_dots: int
    margin_dots: int
    title_px: int
    heading_px: int
    body_px: int
    small_px: int
    number_multiplier: int
    qr_module_dots: int
    line_gap_dots: int


PROFILE_58 = PaperProfile(
    name="58mm", width_mm=58, width_dots=384, margin_dots=8, title_px=18, heading_px=20, body_px=18,
    small_px=16, number_multiplier=4, qr_module_dots=4, line_gap_dots=6,
)
PROFILE_80 = PaperProfile(
    name="80mm", width_mm=80, width_dots=576, margin_dots=16, title_px=18, heading_px=21, body_px=18,
    small_px=16, number_multiplier=5, qr_module_dots=5, line_gap_dots=8,
)
PROFILES: dict[int, PaperProfile] = {58: PROFILE_58, 80: PROFILE_80}

LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "ticket": "SỐ THỨ TỰ",
        "priority": "Ưu tiên: {name}",
        "ahead": "Trước bạn: {count} người",
        "wait": "Dự kiến chờ: {duration}",
        "wait_none": "Sắp đến lượt bạn",
        "minutes": "khoảng {minutes} phút",
        "hours": "khoảng {hours} giờ {minutes} phút",
        "under_minute": "dưới 1 phút",
        "reprint": "(Bản in lại)",
        "qr": "Quét mã để theo dõi lượt và đánh giá",
    },
    "en": {
        "ticket": "TICKET NUMBER",
        "priority": "Priority: {name}",
        "ahead": "Ahead of you: {count}",
        "wait": "Estimated wait: {duration}",
        "wait_none": "You are next",
        "minutes": "about {minutes} min",
        "hours": "about {hours} h {minutes} min",
        "under_minute": "under 1 minute",
        "reprint": "(Reprint)",
        "qr": "Scan to follow your turn and rate the service",
    },
}


def profile_for_width(width_mm: int | None, default_mm: int = 80) -> PaperProfile:
    """The profile of a paper width in millimetres (58 or 80); the default when absent."""
    width = int(width_mm) if width_mm else default_mm
    if width not in PROFILES:
        raise ValueError(f"paper width {width} mm is not one of {sorted(PROFILES)}")
    return PROFILES[width]


def describe_wait(estimated_wait_s: int, language: str = "vi") -> str:
    """A rounded, human wait: "khoảng 25 phút", "khoảng 1 giờ 5 phút"."""
    labels = LABELS.get(language, LABELS["vi"])
    if estimated_wait_s <= 0:
        return ""
    if estimated_wait_s < 60:
        return labels["under_minute"]
    # Half up, as the server's estimate and the screens round (round() would give 2 for 150 s, they 3).
    minutes = int(estimated_wait_s / 60 + 0.5)
    if minutes < 60:
        return labels["minutes"].format(minutes=minutes)
    return labels["hours"].format(hours=minutes // 60, minutes=minutes % 60)


def render_text_line(text: str, font: ImageFont.FreeTypeFont) -> Image.Image:
    """`text` in black on white, 1-bit, cropped to its ink: the exact raster a ticket line sends."""
    left, top, right, bottom = font.getbbox(text)
    canvas = Image.new("1", (max(1, right - left + 2), max(1, bottom - top + 2)), 1)
    draw = ImageDraw.Draw(canvas)
    draw.fontmode = "1"  # hinted monochrome glyphs: crisp on a 203 dpi head, no threshold guesswork
    draw.text((1 - left, 1 - top), text, font=font, fill=0)
    ink = Image.eval(canvas.convert("L"), lambda value: 255 - value).getbbox()
    if ink is None:
        return Image.new("1", (1, 1), 1)
    return canvas.crop(ink)


def _greedy_wrap(words: list[str], font: ImageFont.FreeTypeFont, max_width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if font.getlength(candidate) <= max_width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def wrap_text(text: str, font: ImageFont.FreeTypeFont, max_width: int, max_lines: int) -> list[str]:
    """Word wrap into at most `max_lines` lines no wider than `max_width`, balanced so no word is orphaned.

    The balanced width is the narrowest that still needs no more lines than the greedy wrap; text that
    does not fit in `max_lines` lines ends with an ellipsis.
    """
    words = text.split()
    lines = _greedy_wrap(words, font, max_width)
    if 1 < len(lines) <= max_lines:
        narrowest, widest = max(font.getlength(word) for word in words), float(max_width)
        while widest - narrowest > 1:
            middle = (narrowest + widest) / 2
            if len(_greedy_wrap(words, font, middle)) <= len(lines):
                widest = middle
            else:
                narrowest = middle
        lines = _greedy_wrap(words, font, widest)
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [" ".join(lines[max_lines - 1 :])]
    fitted: list[str] = []
    for line in lines:
        while font.getlength(line) > max_width and len(line) > 1:
            line = line[:-2].rstrip() + "…"
        fitted.append(line)
    return fitted


class TicketRenderer:
    """Builds ticket ESC/POS bytes with python-escpos; Vietnamese lines go through a Unicode TrueType font."""

    def __init__(self, font_path: Path | str | None = None, bold_font_path: Path | str | None = None) -> None:
        default_regular, default_bold = configured_font_paths()
        self.font_path = require_font_file(Path(font_path) if font_path else default_regular)
        self.bold_font_path = require_font_file(Path(bold_font_path) if bold_font_path else default_bold)

    def render(self, job: Mapping[str, Any], profile: PaperProfile | None = None) -> bytes:
        """The ESC/POS bytes of the ticket in `job` (a `print_job` payload, or just its "ticket" dict)."""
        ticket: Mapping[str, Any] = job.get("ticket", job)
        language = str(job.get("language") or "vi")
        labels = LABELS.get(language, LABELS["vi"])
        profile = profile or profile_for_width(job.get("paper_width_mm"))
        number = str(ticket["number"])
        if not TICKET_NUMBER_PATTERN.match(number):
            raise ValueError(f"ticket number {number!r} must be 1..8 ASCII letters, digits or '-'")

        printer = self._new_printer(profile)
        printer.hw("INIT")
        printer.set(align="center")
        text_width = profile.width_dots - 2 * profile.margin_dots

        title_font = load_font(self.bold_font_path, profile.title_px)
        for line in wrap_text(str(ticket.get("centre_name") or ""), title_font, text_width, 2):
            self._raster_line(printer, line, title_font, profile)
        self._feed(printer, 2 * profile.line_gap_dots)

        heading_font = load_font(self.bold_font_path, profile.heading_px)
        for line in wrap_text(str(ticket.get("service_name") or ""), heading_font, text_width, 2):
            self._raster_line(printer, line, heading_font, profile)
        body_font = load_font(self.font_path, profile.body_px)
        if ticket.get("priority_name"):
            priority = labels["priority"].format(name=ticket["priority_name"])
            self._raster_line(printer, priority, body_font, profile, text_width)

        # The number is native text: digits and ASCII letters print in the printer's own font at up to 8x.
        multiplier = max(1, min(profile.number_multiplier, profile.width_dots // (FONT_A_WIDTH_DOTS * len(number))))
        printer.set(bold=True, custom_size=True, width=multiplier, height=multiplier)
        printer.text(number.upper() + "\n")
        printer.set(bold=False, normal_textsize=True)
        issued = str(ticket.get("issued_at_local") or "")
        if issued:
            printer.text(issued + "\n")
        if job.get("reprint"):
            self._raster_line(printer, labels["reprint"], load_font(self.font_path, profile.small_px), profile)
        self._feed(printer, profile.line_gap_dots)

        self._raster_line(printer, labels["ahead"].format(count=int(ticket.get("ahead") or 0)), body_font, profile,
                          text_width)
        duration = describe_wait(int(ticket.get("estimated_wait_s") or 0), language)
        wait_line = labels["wait"].format(duration=duration) if duration else labels["wait_none"]
        self._raster_line(printer, wait_line, body_font, profile, text_width)

        public_url = str(ticket.get("public_url") or "")
        if public_url:
            self._feed(printer, profile.line_gap_dots)
            printer.qr(public_url, ec=QR_ECLEVEL_M, size=profile.qr_module_dots, native=True)
            # What the code is for, right under it: a citizen who is not told will not scan it.
            self._feed(printer, profile.line_gap_dots // 2)
            self._raster_line(printer, labels["qr"], load_font(self.font_path, profile.small_px), profile, text_width)
        guidance = str(ticket.get("guidance") or "")
        if guidance:
            self._feed(printer, profile.line_gap_dots)
            guidance_font = load_font(self.font_path, profile.small_px)
            for line in wrap_text(guidance, guidance_font, text_width, 2):
                self._raster_line(printer, line, guidance_font, profile)
        printer.set(align="left")
        printer.cut()
        return printer.output

    def preview(self, job: Mapping[str, Any], profile: PaperProfile | None = None) -> Image.Image:
        """The ticket as it will look on paper, for people (admin pages, the simulator, reviews)."""
        profile = profile or profile_for_width(job.get("paper_width_mm"))
        return preview_image(self.render(job, profile), profile.width_dots)

    @staticmethod
    def _new_printer(profile: PaperProfile) -> Dummy:
        printer = Dummy()
        # python-escpos checks image widths against the profile's media width: give it ours, on a copy,
        # because profile data is shared by every printer of the same profile class.
        profile_data = copy.deepcopy(printer.profile.profile_data)
        profile_data["media"]["width"] = {"mm": profile.width_mm, "pixels": profile.width_dots}
        printer.profile.profile_data = profile_data
        return printer

    def _raster_line(self, printer: Dummy, text: str, font: ImageFont.FreeTypeFont, profile: PaperProfile,
                     max_width: int | None = None) -> None:
        if max_width is not None and font.getlength(text) > max_width:
            text = wrap_text(text, font, max_width, 1)[0]
        image = render_text_line(text, font)
        printer.image(image, impl="bitImageRaster", center=False)
        self._feed(printer, profile.line_gap_dots // 2)

    @staticmethod
    def _feed(printer: Dummy, dots: int) -> None:
        """ESC J n: feed n dots (python-escpos has no helper for it); cheaper than blank raster rows."""
        if dots > 0:
            printer._raw(ESC + b"J" + bytes((min(MAX_FEED_DOTS, dots),)))
