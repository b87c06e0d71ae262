"""Vietnamese reading of ticket and counter numbers as sequences of voice-clip ids.

Pure functions and tables, no Flask and no I/O: the server turns a call into a list of clip ids, the
hall display plays the matching recordings back to back. Numbers are never handed to a synthesizer as
digits (espeak-ng misreads them); every word is its own clip. See docs/voice-pack.md.

Reading rule for ticket numbers (a ticket number is a string):
- only digits, no leading zero ("7", "1005"): read as a cardinal number ("một nghìn không trăm linh
  năm"), or digit by digit when the settings ask for it ("một không không năm");
- anything else ("0042", "A005", "A-12"): each letter by its name, then every digit one by one
  ("A005" → "A không không năm", "0042" → "không không bốn hai"), so that zeros are never dropped and a
  prefixed series (A001 … A999) always sounds the way it is printed. Separators (- . / _ space) are not
  read.
Counter numbers are small integers and are always read as cardinals ("quầy số mười hai").
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from typing import Literal

Variant = Literal["northern", "southern"]
NumberStyle = Literal["cardinal", "digits"]

VARIANTS: tuple[Variant, ...] = ("northern", "southern")
NUMBER_STYLES: tuple[NumberStyle, ...] = ("cardinal", "digits")

DEFAULT_WORDING = "Mời công dân có số {number} đến quầy số {counter}"
ALL_LETTERS = string.ascii_uppercase

# Largest number read as a cardinal; longer plain numbers are read digit by digit. Ticket numbers never
# get near it, and it keeps the vocabulary free of "triệu" (million).
MAX_CARDINAL = 999_999

CHIME = "chime"
PAUSE = "pause"
PHRASE_PREFIX = "phrase_"
LETTER_PREFIX = "letter_"

# Digit words in order 0..9: the plain reading of each digit.
DIGITS: tuple[str, ...] = ("khong", "mot", "hai", "ba", "bon", "nam", "sau", "bay", "tam", "chin")

# Every word clip and the Vietnamese it says. Ids are ASCII slugs; a tone mark that tells two words
# apart is named after the mark (mười = muoi_huyen, mốt = mot_sac).
WORDS: dict[str, str] = {
    "khong": "không",
    "mot": "một",
    "hai": "hai",
    "ba": "ba",
    "bon": "bốn",
    "nam": "năm",
    "sau": "sáu",
    "bay": "bảy",
    "tam": "tám",
    "chin": "chín",
    "muoi_huyen": "mười",  # ten, and the tens word of 10–19
    "muoi": "mươi",  # the tens word of 20–90
    "mot_sac": "mốt",  # 1 after mươi: 21 hai mươi mốt
    "tu": "tư",  # 4 after mươi: 24 hai mươi tư
    "lam": "lăm",  # 5 after mười/mươi: 15 mười lăm, 25 hai mươi lăm
    "tram": "trăm",
    "nghin": "nghìn",  # northern thousand
    "ngan": "ngàn",  # southern thousand
    "linh": "linh",  # northern zero tens: 105 một trăm linh năm
    "le": "lẻ",  # southern zero tens: 105 một trăm lẻ năm
}

# Vietnamese names of the Latin letters, as they are read out for licence plates and ticket prefixes.
# G is "gờ", not "giê": "giê" sounds exactly like "dê" (D) in both Northern and Southern speech.
LETTER_NAMES: dict[str, str] = {
    "A": "a", "B": "bê", "C": "xê", "D": "dê", "E": "e", "F": "ép", "G": "gờ", "H": "hát", "I": "i",
    "J": "gi", "K": "ca", "L": "e-lờ", "M": "em-mờ", "N": "en-nờ", "O": "o", "P": "pê", "Q": "quy",
    "R": "e-rờ", "S": "ét-xì", "T": "tê", "U": "u", "V": "vê", "W": "vê kép", "X": "ích-xì",
    "Y": "i dài", "Z": "dét",
}

_THOUSAND: dict[Variant, str] = {"northern": "nghin", "southern": "ngan"}
_ZERO_TENS: dict[Variant, str] = {"northern": "linh", "southern": "le"}
_SEPARATORS = set("-./_ ")
_PHRASE_EDGE = " \t,.;:!?…-–—"


class InvalidVoiceSettings(ValueError):
    """The voice settings cannot produce a call (bad variant, wording without placeholders, …)."""


class UnreadableNumber(ValueError):
    """A ticket or counter number contains something that has no clip (e.g. "#", "Đ", empty)."""


def letter_clip_id(letter: str) -> str:
    """Clip id of one Latin letter: "A" → "letter_a"."""
    return LETTER_PREFIX + letter.lower()


def phrase_clip_id(text: str) -> str:
    """Clip id of a phrase of the wording: ASCII slug of its words ("đến quầy số" → "phrase_den_quay_so")."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")
    return PHRASE_PREFIX + slug


def _clean_phrase(text: str) -> str:
    """A wording segment as it is spoken: NFC, single spaces, no punctuation at the edges."""
    return " ".join(unicodedata.normalize("NFC", text).split()).strip(_PHRASE_EDGE)


@dataclass(frozen=True)
class VoiceSettings:
    """How a centre calls citizens: dialect, number style, wording, chime and repeats."""

    variant: Variant = "northern"
    number_style: NumberStyle = "cardinal"
    wording: str = DEFAULT_WORDING
    chime: bool = True
    repeat: int = 1
    # Letters the centre's ticket numbers may contain; only these letter clips are required of a pack.
    letters: str = ALL_LETTERS

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise InvalidVoiceSettings(f"variant must be one of {VARIANTS}, not {self.variant!r}")
        if self.number_style not in NUMBER_STYLES:
            raise InvalidVoiceSettings(
                f"number_style must be one of {NUMBER_STYLES}, not {self.number_style!r}"
            )
        if not isinstance(self.repeat, int) or not 1 <= self.repeat <= 5:
            raise InvalidVoiceSettings(f"repeat must be an integer from 1 to 5, not {self.repeat!r}")
        if any(letter not in LETTER_NAMES for letter in self.letters):
            raise InvalidVoiceSettings(f"letters must be upper-case A–Z, not {self.letters!r}")
        for placeholder in ("{number}", "{counter}"):
            if self.wording.count(placeholder) != 1:
                raise InvalidVoiceSettings(
                    f"wording must contain {placeholder} exactly once: {self.wording!r}"
                )
        if re.search(r"\{(?!number\}|counter\})", self.wording):
            raise InvalidVoiceSettings(f"wording may only use {{number}} and {{counter}}: {self.wording!r}")

    def wording_parts(self) -> list[str]:
        """The wording as a sequence of "{number}", "{counter}" and phrase texts (empty phrases dropped)."""
        parts: list[str] = []
        for piece in re.split(r"(\{number\}|\{counter\})", self.wording):
            if piece in ("{number}", "{counter}"):
                parts.append(piece)
            elif cleaned := _clean_phrase(piece):
                parts.append(cleaned)
        return parts

    def phrases(self) -> dict[str, str]:
        """Phrase clips of the wording: clip id → text to record."""
        return {phrase_clip_id(p): p for p in self.wording_parts() if p not in ("{number}", "{counter}")}


def _unit_after_tens(unit: int, tens: int) -> str:
    """The unit word after mười/mươi: lăm for 5, and after mươi (20–99) mốt for 1 and tư for 4."""
    if unit == 5:
        return "lam"
    if tens >= 2 and unit == 1:
        return "mot_sac"
    if tens >= 2 and unit == 4:
        return "tu"
    return DIGITS[unit]


def _hundreds_group(value: int, variant: Variant, full: bool) -> list[str]:
    """Read 0–999; `full` (a lower group after a higher one) says "không trăm" and "linh" as needed."""
    hundreds, tens, unit = value // 100, value // 10 % 10, value % 10
    tokens: list[str] = []
    if hundreds or full:
        tokens += [DIGITS[hundreds], "tram"]
    if tens == 0:
        if unit:
            if tokens:
                tokens.append(_ZERO_TENS[variant])
            tokens.append(DIGITS[unit])
    elif tens == 1:
        tokens.append("muoi_huyen")
        if unit:
            tokens.append(_unit_after_tens(unit, tens))
    else:
        tokens += [DIGITS[tens], "muoi"]
        if unit:
            tokens.append(_unit_after_tens(unit, tens))
    return tokens


def cardinal_tokens(value: int, variant: Variant = "northern") -> list[str]:
    """Clip ids of a whole number 0–999 999 read as a cardinal (1005 → một nghìn không trăm linh năm)."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_CARDINAL:
        raise UnreadableNumber(f"cardinal reading covers whole numbers 0–{MAX_CARDINAL}, not {value!r}")
    if variant not in VARIANTS:
        raise InvalidVoiceSettings(f"variant must be one of {VARIANTS}, not {variant!r}")
    if value == 0:
        return ["khong"]
    thousands, rest = divmod(value, 1000)
    tokens: list[str] = []
    if thousands:
        tokens += _hundreds_group(thousands, variant, full=False) + [_THOUSAND[variant]]
    if rest:
        tokens += _hundreds_group(rest, variant, full=bool(thousands))
    return tokens


def digit_tokens(number: str) -> list[str]:
    """Clip ids of a ticket number read character by character: letters by name, digits one by one."""
    tokens: list[str] = []
    for char in number.strip():
        if char in _SEPARATORS:
            continue
        if "0" <= char <= "9":
            tokens.append(DIGITS[int(char)])
        elif char.upper() in LETTER_NAMES:
            tokens.append(letter_clip_id(char.upper()))
        else:
            raise UnreadableNumber(f"no clip can read {char!r} in ticket number {number!r}")
    if not tokens:
        raise UnreadableNumber(f"ticket number {number!r} has nothing to read")
    return tokens


def number_tokens(number: str, settings: VoiceSettings | None = None) -> list[str]:
    """Clip ids of a ticket number by the module's reading rule (see the module docstring)."""
    settings = settings or VoiceSettings()
    text = str(number).strip()
    plain = text.isascii() and text.isdigit()
    if (
        settings.number_style == "cardinal"
        and plain
        and (text == "0" or not text.startswith("0"))
        and int(text) <= MAX_CARDINAL
    ):
        return cardinal_tokens(int(text), settings.variant)
    return digit_tokens(text)


def counter_tokens(counter_number: int | str, variant: Variant = "northern") -> list[str]:
    """Clip ids of a counter number, always a cardinal ("03" and 3 are "ba"); a label ("2B") by character."""
    if isinstance(counter_number, int) and not isinstance(counter_number, bool):
        return cardinal_tokens(counter_number, variant)
    text = str(counter_number).strip()
    if text.isascii() and text.isdigit() and int(text) <= MAX_CARDINAL:
        return cardinal_tokens(int(text), variant)
    return digit_tokens(text)


def _call_tokens(number: str, counter_number: int | str, settings: VoiceSettings) -> list[str]:
    """One saying of the call, without chime: phrases, the number and the counter in wording order."""
    tokens: list[str] = []
    for part in settings.wording_parts():
        if part == "{number}":
            tokens += number_tokens(number, settings)
        elif part == "{counter}":
            tokens += counter_tokens(counter_number, settings.variant)
        else:
            tokens.append(phrase_clip_id(part))
    return tokens


def announcement(number: str, counter_number: int | str, settings: VoiceSettings | None = None) -> list[str]:
    """Full clip sequence of a call: chime (if on), then the call said `repeat` times with a pause between."""
    settings = settings or VoiceSettings()
    call = _call_tokens(number, counter_number, settings)
    clips: list[str] = [CHIME] if settings.chime else []
    for index in range(settings.repeat):
        if index:
            clips.append(PAUSE)
        clips += call
    return clips


def clip_text(clip_id: str) -> str:
    """What a word or letter clip says, as it must be recorded ("letter_b" → "bê", "muoi" → "mươi")."""
    if clip_id in WORDS:
        return WORDS[clip_id]
    if clip_id.startswith(LETTER_PREFIX) and clip_id[len(LETTER_PREFIX):].upper() in LETTER_NAMES:
        return LETTER_NAMES[clip_id[len(LETTER_PREFIX):].upper()]
    raise KeyError(f"{clip_id!r} is not a word or letter clip")


def tokens_text(tokens: list[str], settings: VoiceSettings | None = None) -> str:
    """Caption text of clip ids: words in Vietnamese, letters as capitals, phrases from the wording.

    Chime and pause are not words and are left out. Phrase ids are resolved through `settings.wording`.
    """
    phrases = (settings or VoiceSettings()).phrases()
    words: list[str] = []
    for token in tokens:
        if token in (CHIME, PAUSE):
            continue
        if token in WORDS:
            words.append(WORDS[token])
        elif token.startswith(LETTER_PREFIX) and token[len(LETTER_PREFIX):].upper() in LETTER_NAMES:
            words.append(token[len(LETTER_PREFIX):].upper())
        elif token in phrases:
            words.append(phrases[token])
        else:
            raise KeyError(f"clip id {token!r} is not in the vocabulary nor in the wording")
    return " ".join(words)


def required_clips(settings: VoiceSettings | None = None) -> dict[str, str]:
    """Every clip any call can need under these settings: clip id → Vietnamese text to record.

    Chime and pause map to an empty text: they are sounds, not words.
    """
    settings = settings or VoiceSettings()
    clips: dict[str, str] = {}
    if settings.chime:
        clips[CHIME] = ""
    if settings.repeat > 1:
        clips[PAUSE] = ""
    clips.update(settings.phrases())
    # Counters are always cardinal, so the cardinal words are needed even in digit-by-digit style.
    words = [*DIGITS, "muoi_huyen", "muoi", "mot_sac", "tu", "lam", "tram"]
    words += [_THOUSAND[settings.variant], _ZERO_TENS[settings.variant]]
    words += [letter_clip_id(letter) for letter in settings.letters]
    clips.update({clip_id: clip_text(clip_id) for clip_id in words})
    return clips


def is_known_clip_id(clip_id: str) -> bool:
    """True for ids of the fixed vocabulary (words, letters, chime, pause) and any phrase id."""
    if clip_id in WORDS or clip_id in (CHIME, PAUSE):
        return True
    if clip_id.startswith(LETTER_PREFIX):
        return clip_id[len(LETTER_PREFIX):].upper() in LETTER_NAMES and len(clip_id) == len(LETTER_PREFIX) + 1
    return bool(re.fullmatch(PHRASE_PREFIX + r"[a-z0-9]+(_[a-z0-9]+)*", clip_id))


def announcement_payload(
    number: str,
    counter_number: int | str,
    settings: VoiceSettings | None = None,
    pack_url_base: str = "/display/voice/packs/default/",
) -> dict[str, object]:
    """What `ticket_called` / `ticket_recalled` carry for the hall display's voice player.

    `clips` is the full sequence to play (chime and repeats included); `text` is one saying of the call
    for the caption; `pack_url` is where the display finds `manifest.json` and the clip files.
    """
    settings = settings or VoiceSettings()
    return {
        "clips": announcement(number, counter_number, settings),
        "text": tokens_text(_call_tokens(number, counter_number, settings), settings),
        "pack_url": pack_url_base,
    }
