"""Reads ESC/POS bytes back into what a printer would print, and draws it as a preview image.

Covers the commands the ticket renderer and python-escpos emit (text, alignment, bold, character size,
GS v 0 raster images, GS ( k QR codes, ESC J / ESC d feeds, cuts, real-time status requests). The
simulated printer uses it to save what it printed; tests use it to check tickets pixel by pixel.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageOps

from hardware.errors import ProtocolError
from hardware.printing.fonts import DEFAULT_MONOSPACE_BOLD_FONT, load_font

logger = logging.getLogger(__name__)

ESC, GS, DLE, FS, LF, CR, HT = 0x1B, 0x1D, 0x10, 0x1C, 0x0A, 0x0D, 0x09
FONT_A_CELL = (12, 24)
DEFAULT_LINE_SPACING_DOTS = 30
QR_EC_LEVELS = {48: qrcode.constants.ERROR_CORRECT_L, 49: qrcode.constants.ERROR_CORRECT_M,
                50: qrcode.constants.ERROR_CORRECT_Q, 51: qrcode.constants.ERROR_CORRECT_H}
# Commands with a fixed number of parameter bytes that only change a mode the preview does not draw.
ESC_FIXED_PARAMETERS = {ord("-"): 1, ord("2"): 0, ord("3"): 1, ord("M"): 1, ord("t"): 1,
                        ord("{"): 1, ord("G"): 1, ord("V"): 1, ord("R"): 1, ord("c"): 2, ord("p"): 3,
                        ord(" "): 1, ord("U"): 1, ord("S"): 0, ord("L"): 0}
GS_FIXED_PARAMETERS = {ord("B"): 1, ord("b"): 1, ord("H"): 1, ord("f"): 1, ord("h"): 1, ord("w"): 1,
                       ord("L"): 2, ord("W"): 2, ord("a"): 1, ord("r"): 1}


@dataclass(frozen=True)
class TextLine:
    """One line of native text with the style it was printed in."""

    text: str
    width_multiplier: int
    height_multiplier: int
    bold: bool
    align: int


@dataclass(frozen=True)
class RasterImage:
    """A GS v 0 raster image: `image` is 1-bit, black ink (0) on white (1)."""

    image: Image.Image
    align: int
    scale_x: int = 1
    scale_y: int = 1


@dataclass(frozen=True)
class QrCode:
    """A native QR code (GS ( k): its data, module size in dots and error correction byte."""

    data: bytes
    module_dots: int
    error_correction: int
    align: int


@dataclass(frozen=True)
class Feed:
    """Paper feed without printing, in dots."""

    dots: int


@dataclass(frozen=True)
class Cut:
    """A paper cut: the end of one ticket."""


Block = TextLine | RasterImage | QrCode | Feed | Cut


@dataclass
class _State:
    align: int = 0
    bold: bool = False
    width_multiplier: int = 1
    height_multiplier: int = 1
    qr_module_dots: int = 3
    qr_error_correction: int = 48
    qr_data: bytes = b""
    line: bytearray = field(default_factory=bytearray)


def _align_value(byte: int) -> int:
    return byte - 48 if byte >= 48 else byte


class EscPosReader:
    """Parses an ESC/POS byte stream into blocks (text lines, raster images, QR codes, feeds, cuts)."""

    def __init__(self, strict: bool = True) -> None:
        self.strict = strict
        self.unknown_commands = 0

    def parse(self, data: bytes) -> list[Block]:
        """All blocks in `data`; ProtocolError on a truncated or (when strict) unknown command."""
        state = _State()
        blocks: list[Block] = []
        position = 0
        length = len(data)

        def need(count: int) -> bytes:
            if position + count > length:
                raise ProtocolError(f"command at byte {position} is truncated")
            return data[position : position + count]

        def flush_line() -> None:
            blocks.append(TextLine(state.line.decode("cp437", errors="replace"), state.width_multiplier,
                                   state.height_multiplier, state.bold, state.align))
            state.line.clear()

        while position < length:
            byte = data[position]
            if byte == LF:
                flush_line()
                position += 1
            elif byte in (CR, HT):
                position += 1
            elif byte == ESC:
                command = need(2)[1]
                position += 2
                if command == ord("@"):
                    state = _State()
                elif command == ord("a"):
                    state.align = _align_value(need(1)[0])
                    position += 1
                elif command == ord("E"):
                    state.bold = bool(need(1)[0] & 1)
                    position += 1
                elif command == ord("J"):
                    if state.line:
                        flush_line()
                    blocks.append(Feed(need(1)[0]))
                    position += 1
                elif command == ord("d"):
                    lines = need(1)[0]
                    if state.line:
                        flush_line()
                        lines = max(0, lines - 1)
                    blocks.append(Feed(lines * DEFAULT_LINE_SPACING_DOTS))
                    position += 1
                elif command == ord("!"):
                    mode = need(1)[0]
                    state.bold = bool(mode & 0x08)
                    state.height_multiplier = 2 if mode & 0x10 else 1
                    state.width_multiplier = 2 if mode & 0x20 else 1
                    position += 1
                elif command in ESC_FIXED_PARAMETERS:
                    position += ESC_FIXED_PARAMETERS[command]
                else:
                    self._unknown(f"ESC 0x{command:02X}")
            elif byte == GS:
                command = need(2)[1]
                position += 2
                if command == ord("!"):
                    size = need(1)[0]
                    state.width_multiplier = (size >> 4) + 1
                    state.height_multiplier = (size & 0x0F) + 1
                    position += 1
                elif command == ord("v"):
                    header = need(6)
                    if header[0] not in (0x00, 0x30):
                        self._unknown("GS v with a function other than 0")
                    mode = header[1] & 0x03
                    width_bytes = header[2] | header[3] << 8
                    height = header[4] | header[5] << 8
                    position += 6
                    raster = need(width_bytes * height)
                    position += width_bytes * height
                    blocks.append(RasterImage(_raster_to_image(raster, width_bytes, height), state.align,
                                              scale_x=2 if mode & 1 else 1, scale_y=2 if mode & 2 else 1))
                elif command == ord("("):
                    function = need(1)[0]
                    size_bytes = need(3)[1:3]
                    body_length = size_bytes[0] | size_bytes[1] << 8
                    position += 3
                    body = need(body_length)
                    position += body_length
                    if function == ord("k"):
                        self._qr_function(body, state, blocks)
                    elif self.strict:
                        self._unknown(f"GS ( 0x{function:02X}")
                elif command == ord("V"):
                    mode = need(1)[0]
                    position += 2 if mode in (65, 66, 97, 98, 103, 104) else 1
                    if state.line:
                        flush_line()
                    blocks.append(Cut())
                elif command in GS_FIXED_PARAMETERS:
                    position += GS_FIXED_PARAMETERS[command]
                else:
                    self._unknown(f"GS 0x{command:02X}")
            elif byte == DLE:
                command = need(2)[1]
                position += 3 if command == 0x04 else 2
            elif byte == FS:
                need(2)
                position += 2
            elif byte < 0x20:
                position += 1
            else:
                state.line.append(byte)
                position += 1
        if state.line:
            flush_line()
        return blocks

    def _qr_function(self, body: bytes, state: _State, blocks: list[Block]) -> None:
        if len(body) < 2 or body[0] != ord("1"):
            return  # a 2D code other than QR: nothing the tickets use
        function = body[1]
        if function == 67 and len(body) >= 3:
            state.qr_module_dots = body[2]
        elif function == 69 and len(body) >= 3:
            state.qr_error_correction = body[2]
        elif function == 80 and len(body) >= 3:
            state.qr_data = bytes(body[3:])
        elif function == 81:
            blocks.append(QrCode(state.qr_data, state.qr_module_dots, state.qr_error_correction, state.align))

    def _unknown(self, description: str) -> None:
        self.unknown_commands += 1
        if self.strict:
            raise ProtocolError(f"unsupported ESC/POS command {description}")
        logger.debug("skipping unsupported ESC/POS command %s", description)


def _raster_to_image(raster: bytes, width_bytes: int, height: int) -> Image.Image:
    """GS v 0 data (1 = print a dot) as a 1-bit image with black ink on white."""
    inked = Image.frombytes("1", (width_bytes * 8, height), raster)
    return ImageOps.invert(inked.convert("L")).convert("1")


def raster_images(data: bytes) -> list[Image.Image]:
    """The raster images in ESC/POS `data`, in print order."""
    return [block.image for block in EscPosReader().parse(data) if isinstance(block, RasterImage)]


def _qr_image(block: QrCode) -> Image.Image:
    code = qrcode.QRCode(error_correction=QR_EC_LEVELS.get(block.error_correction, qrcode.constants.ERROR_CORRECT_M),
                         box_size=max(1, block.module_dots), border=0)
    code.add_data(block.data.decode("utf-8", errors="replace"))
    code.make(fit=True)
    return code.make_image().get_image().convert("1")


def _text_image(block: TextLine) -> Image.Image:
    cell_width, cell_height = FONT_A_CELL
    base = Image.new("1", (max(1, cell_width * len(block.text)), cell_height), 1)
    draw = ImageDraw.Draw(base)
    draw.fontmode = "1"
    font = load_font(DEFAULT_MONOSPACE_BOLD_FONT, 20)
    for index, character in enumerate(block.text):
        draw.text((index * cell_width + 6, 21), character, font=font, fill=0, anchor="ms")
    return base.resize((base.width * block.width_multiplier, cell_height * block.height_multiplier), Image.NEAREST)


def render_preview(blocks: list[Block], width_dots: int, margin: int = 8) -> Image.Image:
    """Draw blocks as the paper would look: white paper `width_dots` wide, a dashed line at each cut."""
    pieces: list[tuple[Image.Image | None, int, int]] = []  # (image, align, extra feed)
    for block in blocks:
        if isinstance(block, TextLine):
            image = _text_image(block) if block.text else None
            height = max(FONT_A_CELL[1] * block.height_multiplier, DEFAULT_LINE_SPACING_DOTS)
            pieces.append((image, block.align, height - (image.height if image else 0)))
        elif isinstance(block, RasterImage):
            image = block.image
            if block.scale_x > 1 or block.scale_y > 1:
                image = image.resize((image.width * block.scale_x, image.height * block.scale_y), Image.NEAREST)
            pieces.append((image, block.align, 0))
        elif isinstance(block, QrCode):
            pieces.append((_qr_image(block), block.align, 0))
        elif isinstance(block, Feed):
            pieces.append((None, 0, block.dots))
        elif isinstance(block, Cut):
            pieces.append((None, -1, 0))
    total_height = margin * 2 + sum((image.height if image else 0) + extra for image, _, extra in pieces)
    total_height += sum(12 for _, align, _ in pieces if align == -1)
    paper = Image.new("1", (width_dots, max(1, total_height)), 1)
    draw = ImageDraw.Draw(paper)
    top = margin
    for image, align, extra in pieces:
        if align == -1:
            for x in range(0, width_dots, 8):
                draw.line((x, top + 6, x + 3, top + 6), fill=0)
            top += 12
            continue
        if image is not None:
            if align == 1:
                left = (width_dots - image.width) // 2
            elif align == 2:
                left = width_dots - image.width
            else:
                left = 0
            paper.paste(image, (max(0, left), top))
            top += image.height
        top += extra
    return paper


def preview_image(data: bytes, width_dots: int) -> Image.Image:
    """What the printer would print for ESC/POS `data` on paper `width_dots` wide."""
    return render_preview(EscPosReader(strict=False).parse(data), width_dots)


def save_preview(data: bytes, width_dots: int, path: Path) -> Path:
    """Write the preview of `data` as a PNG at `path` (parents created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    preview_image(data, width_dots).save(path)
    return path
