"""The printed ticket: exact bytes, Vietnamese raster lines that decode back to the right text, native
number and QR code, the 6.5 KB budget, and a preview PNG for people to look at.

The golden files under tests/hardware/golden/ change only deliberately: after a layout change, run
    HANGCHO_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/hardware/test_ticket_printing.py
look at test-artifacts/ticket-*.png, and commit the new .bin files with rasteriser.json (the Pillow and
FreeType versions they were made with: requirements.txt pins Pillow, which bundles FreeType).
"""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import PIL
import PIL.features
import pytest
from hardware_test_support import ARTIFACTS
from PIL import Image, ImageChops, ImageDraw, ImageFont

from hardware.errors import FontNotFound
from hardware.printing.escpos_reader import EscPosReader, QrCode, RasterImage, TextLine, raster_images
from hardware.printing.fonts import DEFAULT_BOLD_FONT, DEFAULT_REGULAR_FONT
from hardware.printing.samples import LONGEST_JOB, SAMPLE_JOB
from hardware.printing.ticket import PROFILE_58, PROFILE_80, PaperProfile, TicketRenderer, describe_wait

GOLDEN = Path(__file__).resolve().parent / "golden"
BUDGET_BYTES = 6656  # 6.5 KB: docs/performance.md
PROFILES = [PROFILE_58, PROFILE_80]


@pytest.fixture(scope="module")
def renderer() -> TicketRenderer:
    return TicketRenderer()


def reference_line(text: str, font_path: Path, size_px: int) -> Image.Image:
    """Draw `text` on its own, independently of the renderer: big canvas, monochrome glyphs, crop to ink."""
    font = ImageFont.truetype(str(font_path), size_px)
    canvas = Image.new("L", (2000, 200), 255)
    draw = ImageDraw.Draw(canvas)
    draw.fontmode = "1"
    draw.text((50, 50), text, font=font, fill=0)
    box = ImageChops.invert(canvas).getbbox()
    assert box is not None
    return canvas.crop(box).convert("1")


def differing_share(image: Image.Image, reference: Image.Image) -> float:
    """Pixels that differ, as a share of the reference's ink (the smaller image padded with white)."""
    width, height = max(image.width, reference.width), max(image.height, reference.height)
    padded = []
    for picture in (image, reference):
        canvas = Image.new("1", (width, height), 1)
        canvas.paste(picture, (0, 0))
        padded.append(canvas.convert("L"))
    differing = ImageChops.difference(*padded).histogram()[255]
    ink = padded[1].histogram()[0]
    return differing / ink


def text_rasteriser() -> dict[str, str]:
    """The versions that decide how glyphs become dots: the golden bytes hold for these only."""
    return {"pillow": PIL.__version__, "freetype": str(PIL.features.version("freetype2"))}


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.name)
def test_sample_ticket_bytes_match_the_golden_file(renderer: TicketRenderer, profile: PaperProfile) -> None:
    data = renderer.render(SAMPLE_JOB, profile)
    golden = GOLDEN / f"ticket-{profile.width_mm}.bin"
    made_with = GOLDEN / "rasteriser.json"
    if os.environ.get("HANGCHO_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(data)
        made_with.write_text(json.dumps(text_rasteriser(), indent=2) + "\n")
    assert golden.exists(), f"{golden} is missing: see this module's docstring to create it deliberately"
    assert json.loads(made_with.read_text()) == text_rasteriser(), (
        f"golden bytes were made with {made_with.read_text().strip()}, this is {text_rasteriser()}: glyph dots "
        "may differ. requirements.txt pins Pillow for this reason; after a deliberate upgrade, look at the "
        "preview and regenerate the golden files (module docstring).")
    assert data == golden.read_bytes(), (
        "the ticket's bytes changed; if deliberate, regenerate the golden files (module docstring)")


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.name)
def test_vietnamese_lines_decode_back_to_the_reference_rendering_with_diacritics(
        renderer: TicketRenderer, profile: PaperProfile) -> None:
    images = raster_images(renderer.render(SAMPLE_JOB, profile))
    expected = [
        ("Trung tâm Phục vụ hành chính công", DEFAULT_BOLD_FONT, profile.title_px, "Trung tam Phuc vu hanh chinh cong"),
        ("Tư pháp – Hộ tịch", DEFAULT_BOLD_FONT, profile.heading_px, "Tu phap – Ho tich"),
        ("Trước bạn: 4 người", DEFAULT_REGULAR_FONT, profile.body_px, "Truoc ban: 4 nguoi"),
        ("Dự kiến chờ: khoảng 12 phút", DEFAULT_REGULAR_FONT, profile.body_px, "Du kien cho: khoang 12 phut"),
        ("Quét mã để theo dõi lượt và đánh giá", DEFAULT_REGULAR_FONT, profile.small_px,
         "Quet ma de theo doi luot va danh gia"),
        ("Vui lòng chờ đến lượt", DEFAULT_REGULAR_FONT, profile.small_px, "Vui long cho den luot"),
    ]
    assert len(images) == len(expected)
    for image, (text, font, size, without_marks) in zip(images, expected):
        assert differing_share(image, reference_line(text, font, size)) < 0.005, text
        # The same words without their marks look clearly different: the marks were printed.
        assert differing_share(image, reference_line(without_marks, font, size)) > 0.02, text


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.name)
def test_number_time_and_qr_code_are_native_commands(renderer: TicketRenderer, profile: PaperProfile) -> None:
    blocks = EscPosReader().parse(renderer.render(SAMPLE_JOB, profile))
    number = next(block for block in blocks if isinstance(block, TextLine) and block.text == "1005")
    assert number.width_multiplier >= 4 and number.height_multiplier >= 4 and number.bold
    assert number.width_multiplier * 12 * 4 <= profile.width_dots, "the number fits the paper"
    assert any(isinstance(block, TextLine) and block.text == "25/11/2026 08:15" for block in blocks)
    qr_codes = [block for block in blocks if isinstance(block, QrCode)]
    assert [qr.data.decode() for qr in qr_codes] == [SAMPLE_JOB["ticket"]["public_url"]]
    assert all(block.align == 1 for block in blocks if isinstance(block, (RasterImage, QrCode)))


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.name)
def test_raster_lines_are_tight_never_full_width_blank_rows(renderer: TicketRenderer, profile: PaperProfile) -> None:
    for image in raster_images(renderer.render(LONGEST_JOB, profile)):
        assert image.width <= profile.width_dots
        top_row = image.crop((0, 0, image.width, 1)).convert("L")
        bottom_row = image.crop((0, image.height - 1, image.width, image.height)).convert("L")
        assert top_row.histogram()[0] > 0 and bottom_row.histogram()[0] > 0, "cropped to the ink"


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.name)
def test_whole_ticket_fits_the_budget_even_with_the_longest_names(
        renderer: TicketRenderer, profile: PaperProfile) -> None:
    assert len(renderer.render(SAMPLE_JOB, profile)) <= BUDGET_BYTES
    assert len(renderer.render(LONGEST_JOB, profile)) <= BUDGET_BYTES


@pytest.mark.parametrize("profile", PROFILES, ids=lambda profile: profile.name)
def test_preview_png_is_written_for_people_to_review(renderer: TicketRenderer, profile: PaperProfile) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    preview = renderer.preview(SAMPLE_JOB, profile)
    assert preview.width == profile.width_dots and preview.height > 300
    preview.save(ARTIFACTS / f"ticket-{profile.width_mm}.png")
    renderer.preview(LONGEST_JOB, profile).save(ARTIFACTS / f"ticket-{profile.width_mm}-longest.png")


def test_paper_width_of_the_job_chooses_the_profile(renderer: TicketRenderer) -> None:
    job = {**SAMPLE_JOB, "paper_width_mm": 58}
    assert renderer.render(job) == renderer.render(SAMPLE_JOB, PROFILE_58)


def test_the_line_under_the_qr_code_says_what_it_is_for_in_the_ticket_language(renderer: TicketRenderer) -> None:
    blocks = EscPosReader().parse(renderer.render(SAMPLE_JOB, PROFILE_80))
    qr_at = next(index for index, block in enumerate(blocks) if isinstance(block, QrCode))
    line_under = next(block for block in blocks[qr_at:] if isinstance(block, RasterImage)).image
    vietnamese = reference_line("Quét mã để theo dõi lượt và đánh giá", DEFAULT_REGULAR_FONT, PROFILE_80.small_px)
    assert differing_share(line_under, vietnamese) < 0.005
    english = raster_images(renderer.render({**SAMPLE_JOB, "language": "en"}, PROFILE_80))
    scan = reference_line("Scan to follow your turn and rate the service", DEFAULT_REGULAR_FONT, PROFILE_80.small_px)
    assert any(differing_share(image, scan) < 0.005 for image in english)


def test_reprint_is_marked_on_the_ticket(renderer: TicketRenderer) -> None:
    normal = raster_images(renderer.render(SAMPLE_JOB, PROFILE_80))
    reprint = raster_images(renderer.render({**SAMPLE_JOB, "reprint": True}, PROFILE_80))
    assert len(reprint) == len(normal) + 1
    marker = reference_line("(Bản in lại)", DEFAULT_REGULAR_FONT, PROFILE_80.small_px)
    assert any(differing_share(image, marker) < 0.01 for image in reprint)


def test_missing_font_fails_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FontNotFound, match="fonts-dejavu-core"):
        TicketRenderer(font_path=tmp_path / "missing.ttf")


def test_font_path_is_configurable_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    serif = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
    monkeypatch.setenv("HANGCHO_TICKET_FONT", str(serif))
    assert TicketRenderer().font_path == serif


def test_ticket_number_must_be_ascii_letters_and_digits(renderer: TicketRenderer) -> None:
    job = copy.deepcopy(SAMPLE_JOB)
    job["ticket"]["number"] = "Ư05"
    with pytest.raises(ValueError):
        renderer.render(job)


def test_estimated_wait_reads_as_rounded_vietnamese() -> None:
    assert describe_wait(30) == "dưới 1 phút"
    assert describe_wait(1500) == "khoảng 25 phút"
    assert describe_wait(3900) == "khoảng 1 giờ 5 phút"
    assert describe_wait(1500, "en") == "about 25 min"
