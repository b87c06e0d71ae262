"""Voice packs: a folder of clips plus manifest.json; load, validate and resolve clip ids to files.

A centre may record its own voice, so a pack is checked before use and every problem is reported at
once (missing clips with the words to record, unknown ids, unreadable files). Format: docs/voice-pack.md.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from display.voice.audio import UnreadableAudio, wav_info
from display.voice.reading import (
    ALL_LETTERS,
    CHIME,
    DEFAULT_WORDING,
    PAUSE,
    PHRASE_PREFIX,
    VARIANTS,
    InvalidVoiceSettings,
    VoiceSettings,
    clip_text,
    is_known_clip_id,
    phrase_clip_id,
    required_clips,
)

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
FORMATS = ("wav", "ogg", "mp3")
_REPO_ROOT = Path(__file__).resolve().parents[2]


def default_pack_dir() -> Path:
    """Where `make` puts the espeak-ng pack: var/voice/default in the project (var/ is not in git)."""
    return _REPO_ROOT / "var" / "voice" / "default"


class VoicePackError(Exception):
    """Base of voice-pack failures."""


class VoicePackInvalid(VoicePackError):
    """The manifest or the files are broken: bad JSON, unknown ids, missing or unreadable files."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"voice pack {path} is invalid:\n  " + "\n  ".join(problems))


class VoicePackIncomplete(VoicePackError):
    """Clips needed by the settings are not in the pack; `missing` maps clip id → words to record."""

    def __init__(self, path: Path, missing: Mapping[str, str]) -> None:
        self.path = path
        self.missing = dict(missing)
        listed = ", ".join(f"{clip_id} ({text or 'sound'})" for clip_id, text in self.missing.items())
        super().__init__(f"voice pack {path} lacks {len(self.missing)} clip(s): {listed}")


@dataclass(frozen=True)
class PackClip:
    """One manifest entry: the file, what it says, and optional playback gain and trims for the player."""

    clip_id: str
    file: str
    text: str
    gain_db: float = 0.0
    trim_start_ms: float = 0.0
    trim_end_ms: float = 0.0


@dataclass(frozen=True)
class VoicePack:
    """A loaded, valid pack."""

    path: Path
    name: str
    language: str
    variants: tuple[str, ...]
    letters: str
    wordings: tuple[str, ...]
    sample_rate: int
    format: str
    clips: Mapping[str, PackClip]
    generator: Mapping[str, object] = field(default_factory=dict)

    def covered_settings(self) -> list[VoiceSettings]:
        """The most demanding settings the manifest claims to support (cardinal covers digit style)."""
        return [
            VoiceSettings(variant=variant, wording=wording, letters=self.letters, chime=True, repeat=2)
            for variant in self.variants
            for wording in self.wordings
        ]

    def missing(self, settings: VoiceSettings) -> dict[str, str]:
        """Clip ids the settings need and the pack lacks, with the words to record."""
        needed = required_clips(settings)
        return {clip_id: text for clip_id, text in needed.items() if clip_id not in self.clips}

    def file_for(self, clip_id: str) -> Path:
        """Path of one clip's file; VoicePackIncomplete if the pack has no such clip."""
        if clip_id not in self.clips:
            raise VoicePackIncomplete(self.path, {clip_id: _text_for(clip_id)})
        return self.path / self.clips[clip_id].file

    def resolve(self, clip_ids: Iterable[str]) -> list[Path]:
        """Files to play for a clip sequence, in order; all missing ids are reported together."""
        ids = list(clip_ids)
        missing = {clip_id: _text_for(clip_id) for clip_id in ids if clip_id not in self.clips}
        if missing:
            raise VoicePackIncomplete(self.path, missing)
        return [self.path / self.clips[clip_id].file for clip_id in ids]


@dataclass
class PackReport:
    """Everything wrong with a pack, gathered rather than raised one at a time (for the check command)."""

    path: Path
    pack: VoicePack | None = None
    problems: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.pack is not None and not self.problems and not self.missing


def _text_for(clip_id: str) -> str:
    if clip_id in (CHIME, PAUSE) or clip_id.startswith(PHRASE_PREFIX):
        return ""
    try:
        return clip_text(clip_id)
    except KeyError:
        return ""


def _check_audio(path: Path, expected_rate: int, warnings: list[str]) -> str | None:
    """Return a problem description for an unusable file, or None; odd sample rates only warn."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix == "wav":
        try:
            info = wav_info(path)
        except UnreadableAudio as error:
            return str(error)
        if info.channels != 1 or info.sample_width != 2:
            return (
                f"{path.name}: {info.channels} channel(s), {8 * info.sample_width}-bit; "
                "WAV clips must be PCM 16-bit mono (sox in.wav -c 1 -b 16 out.wav)"
            )
        if info.frames == 0:
            return f"{path.name}: empty recording"
        if info.sample_rate != expected_rate:
            warnings.append(f"{path.name}: {info.sample_rate} Hz, manifest says {expected_rate} Hz")
        return None
    if suffix in ("ogg", "mp3"):
        try:
            head = path.read_bytes()[:4]
        except OSError as error:
            return f"{path.name}: cannot be read ({error})"
        if suffix == "ogg" and not head.startswith(b"OggS"):
            return f"{path.name}: not an Ogg file"
        # An MP3 starts with an ID3 tag or straight with a frame sync (11 set bits).
        frame_sync = len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
        if suffix == "mp3" and not (head.startswith(b"ID3") or frame_sync):
            return f"{path.name}: not an MP3 file"
        return None
    return f"{path.name}: unsupported file type (use .wav, .ogg or .mp3)"


def _parse_clip(clip_id: object, entry: object, problems: list[str]) -> PackClip | None:
    if not isinstance(clip_id, str) or not is_known_clip_id(clip_id):
        problems.append(f"unknown clip id {clip_id!r} (see docs/voice-pack.md for the vocabulary)")
        return None
    if not isinstance(entry, dict) or not all(isinstance(entry.get(key), str) for key in ("file", "text")):
        problems.append(f"clip {clip_id}: needs \"file\" and \"text\" strings")
        return None
    file = entry["file"]
    if PurePosixPath(file).is_absolute() or ".." in PurePosixPath(file).parts or not file:
        problems.append(f"clip {clip_id}: file {file!r} must be a name inside the pack folder")
        return None
    numbers: dict[str, float] = {}
    for key in ("gain_db", "trim_start_ms", "trim_end_ms"):
        value = entry.get(key, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (key != "gain_db" and value < 0):
            wanted = "a number" if key == "gain_db" else "a number ≥ 0"
            problems.append(f"clip {clip_id}: {key} must be {wanted}")
            return None
        numbers[key] = float(value)
    if clip_id.startswith(PHRASE_PREFIX) and phrase_clip_id(entry["text"]) != clip_id:
        owner = phrase_clip_id(entry["text"])
        problems.append(f"clip {clip_id}: text {entry['text']!r} belongs to id {owner}")
        return None
    return PackClip(clip_id, file, entry["text"], **numbers)


def inspect_pack(path: Path, settings: Iterable[VoiceSettings] | None = None) -> PackReport:
    """Validate a pack folder and check it against settings (default: what its manifest claims to cover)."""
    path = Path(path)
    report = PackReport(path)
    manifest_path = path / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        report.problems.append(f"no {MANIFEST} in {path}")
        return report
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        report.problems.append(f"{MANIFEST} cannot be read: {error}")
        return report
    if not isinstance(manifest, dict):
        report.problems.append(f"{MANIFEST} must hold a JSON object")
        return report

    problems = report.problems
    name = manifest.get("name")
    if not isinstance(name, str) or not name:
        problems.append("\"name\" must be a non-empty string")
    if manifest.get("language") != "vi":
        problems.append(f"\"language\" must be \"vi\", not {manifest.get('language')!r}")
    variants = manifest.get("variants")
    if not isinstance(variants, list) or not variants or any(v not in VARIANTS for v in variants):
        problems.append(f"\"variants\" must be a non-empty list drawn from {list(VARIANTS)}")
        variants = []
    letters = manifest.get("letters", ALL_LETTERS)
    if not isinstance(letters, str):
        problems.append("\"letters\" must be a string of upper-case letters such as \"ABC\"")
        letters = ""
    wordings = manifest.get("wordings", [DEFAULT_WORDING])
    if not isinstance(wordings, list) or not wordings or not all(isinstance(w, str) for w in wordings):
        problems.append("\"wordings\" must be a non-empty list of strings with {number} and {counter}")
        wordings = [DEFAULT_WORDING]
    sample_rate = manifest.get("sample_rate")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) or sample_rate <= 0:
        problems.append("\"sample_rate\" must be a positive integer (Hz)")
        sample_rate = 0
    pack_format = manifest.get("format")
    if pack_format not in FORMATS:
        problems.append(f"\"format\" must be one of {list(FORMATS)}")
    raw_clips = manifest.get("clips")
    if not isinstance(raw_clips, dict):
        problems.append("\"clips\" must map clip ids to {\"file\", \"text\"}")
        raw_clips = {}

    clips: dict[str, PackClip] = {}
    for clip_id, entry in raw_clips.items():
        clip = _parse_clip(clip_id, entry, problems)
        if clip is None:
            continue
        file_path = path / clip.file
        if not file_path.is_file():
            problems.append(f"clip {clip_id}: file {clip.file} is missing")
            continue
        if (problem := _check_audio(file_path, sample_rate, report.warnings)) is not None:
            problems.append(f"clip {clip_id}: {problem}")
            continue
        expected = _text_for(clip_id)
        if expected and clip.text != expected:
            report.warnings.append(f"clip {clip_id}: text {clip.text!r}, the vocabulary says {expected!r}")
        clips[clip_id] = clip

    try:
        pack = VoicePack(
            path=path,
            name=str(name),
            language="vi",
            variants=tuple(variants),
            letters=letters,
            wordings=tuple(wordings),
            sample_rate=sample_rate,
            format=str(pack_format),
            clips=clips,
            generator=manifest.get("generator") if isinstance(manifest.get("generator"), dict) else {},
        )
        wanted = list(settings) if settings is not None else pack.covered_settings()
    except InvalidVoiceSettings as error:
        problems.append(f"\"letters\" or \"wordings\" invalid: {error}")
        return report
    for one in wanted:
        for clip_id, text in pack.missing(one).items():
            # Ids that failed validation above are already reported as problems.
            if clip_id not in raw_clips:
                report.missing[clip_id] = text
    report.pack = pack
    return report


def load_pack(path: Path, settings: VoiceSettings | Iterable[VoiceSettings] | None = None) -> VoicePack:
    """Load a pack and make sure it can voice every call under `settings` (default: its declared coverage).

    Raises VoicePackInvalid for broken manifests or files, VoicePackIncomplete for missing clips.
    """
    wanted = [settings] if isinstance(settings, VoiceSettings) else settings
    report = inspect_pack(Path(path), wanted)
    for warning in report.warnings:
        logger.warning("voice pack %s: %s", path, warning)
    if report.problems or report.pack is None:
        raise VoicePackInvalid(Path(path), report.problems)
    if report.missing:
        raise VoicePackIncomplete(Path(path), report.missing)
    logger.info("voice pack %s loaded: %d clips", path, len(report.pack.clips))
    return report.pack
