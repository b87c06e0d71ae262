"""Where the Unicode fonts for Vietnamese raster lines come from (Debian's fonts-dejavu-core by default)."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from hardware.errors import FontNotFound

DEJAVU_DIRECTORY = Path("/usr/share/fonts/truetype/dejavu")
DEFAULT_REGULAR_FONT = DEJAVU_DIRECTORY / "DejaVuSans.ttf"
DEFAULT_BOLD_FONT = DEJAVU_DIRECTORY / "DejaVuSans-Bold.ttf"
DEFAULT_MONOSPACE_BOLD_FONT = DEJAVU_DIRECTORY / "DejaVuSansMono-Bold.ttf"
REGULAR_FONT_VARIABLE = "HANGCHO_TICKET_FONT"
BOLD_FONT_VARIABLE = "HANGCHO_TICKET_FONT_BOLD"


def configured_font_paths() -> tuple[Path, Path]:
    """The regular and bold font files: HANGCHO_TICKET_FONT / HANGCHO_TICKET_FONT_BOLD or DejaVu Sans."""
    regular = Path(os.environ.get(REGULAR_FONT_VARIABLE) or DEFAULT_REGULAR_FONT)
    bold = Path(os.environ.get(BOLD_FONT_VARIABLE) or DEFAULT_BOLD_FONT)
    return regular, bold


def require_font_file(path: Path) -> Path:
    """`path` if it is a readable font file, else FontNotFound saying how to fix it."""
    if not path.is_file():
        raise FontNotFound(
            f"ticket font {path} is missing: install Debian's fonts-dejavu-core (apt-get install "
            f"fonts-dejavu-core) or point {REGULAR_FONT_VARIABLE} / {BOLD_FONT_VARIABLE} at a Unicode TrueType font"
        )
    return path


@lru_cache(maxsize=64)
def load_font(path: Path, size_px: int) -> ImageFont.FreeTypeFont:
    """The font at `path` in `size_px` pixels (cached: loading a TrueType file is the slow part)."""
    require_font_file(path)
    try:
        return ImageFont.truetype(str(path), size_px)
    except OSError as error:
        raise FontNotFound(f"ticket font {path} cannot be read: {error}") from error
