"""Build the default offline voice pack with Debian's espeak-ng, one word per clip.

    python -m display.voice.generate [--if-missing] [--output var/voice/default] [--wording TEXT]

Each clip is synthesised from its Vietnamese word text ("năm", "mươi", "mốt"), never from digits, which
espeak-ng misreads; then peak-normalised, trimmed of silence and faded so clips join without gaps. The
chime and the pause between repeats are made in Python. `make` runs this with --if-missing on set-up:
it returns at once when the pack exists and was built from the same vocabulary and voice.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from display.voice import audio
from display.voice.pack import FORMAT_VERSION, MANIFEST, default_pack_dir
from display.voice.reading import (
    ALL_LETTERS,
    CHIME,
    DEFAULT_WORDING,
    LETTER_NAMES,
    PAUSE,
    VARIANTS,
    WORDS,
    VoiceSettings,
    letter_clip_id,
)

logger = logging.getLogger(__name__)

GENERATOR_TOOL = "display.voice.generate"
# Bump when the processing below changes, so --if-missing rebuilds existing packs.
GENERATOR_VERSION = 1
DEBIAN_PACKAGE = "espeak-ng"
DEFAULT_VOICE = "vi"
DEFAULT_SPEED = 150  # words per minute; espeak-ng's default 175 is hurried for a hall loudspeaker
DEFAULT_PITCH = 45
PAUSE_S = 0.6
# Texts espeak-ng mispronounces, replaced by a spelling it reads right (it says "gi" as a bare /z/).
SYNTHESIS_SPELLING = {"letter_j": "di"}
SYNTH_TIMEOUT_S = 30


class SynthesizerMissing(RuntimeError):
    """espeak-ng is not installed (or not where we were told)."""


class SynthesisFailed(RuntimeError):
    """espeak-ng ran but produced no usable clip (e.g. its Vietnamese voice is missing)."""


class GenerationRefused(RuntimeError):
    """The output folder holds something this generator did not make; it is never overwritten."""


@dataclass(frozen=True)
class GenerationResult:
    """What a run did, for the command's summary line and the tests."""

    path: Path
    generated: bool
    clip_count: int
    size_bytes: int
    seconds: float


def vocabulary(wordings: Iterable[str] = (DEFAULT_WORDING,)) -> dict[str, str]:
    """Every spoken clip of the default pack: all words, all letters, the phrases of each wording."""
    clips = dict(WORDS)
    clips.update({letter_clip_id(letter): name for letter, name in LETTER_NAMES.items()})
    for wording in wordings:
        clips.update(VoiceSettings(wording=wording).phrases())
    return clips


def find_espeak(executable: str | None = None) -> str:
    """Path of espeak-ng; SynthesizerMissing names the Debian package to install."""
    found = shutil.which(executable or "espeak-ng")
    if found is None:
        raise SynthesizerMissing(
            f"espeak-ng not found ({executable or 'espeak-ng'}); install the Debian package "
            f"'{DEBIAN_PACKAGE}': sudo apt-get install {DEBIAN_PACKAGE}"
        )
    return found


def _fingerprint(words: dict[str, str], voice: str, speed: int, pitch: int) -> str:
    blob = json.dumps(
        {
            "version": GENERATOR_VERSION,
            "words": sorted(words.items()),
            "spelling": sorted(SYNTHESIS_SPELLING.items()),
            "voice": voice,
            "speed": speed,
            "pitch": pitch,
        },
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _is_up_to_date(output: Path, fingerprint: str) -> bool:
    """Cheap check for --if-missing: same fingerprint and every listed file present and non-empty."""
    try:
        manifest = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
        if manifest["generator"]["fingerprint"] != fingerprint:
            logger.info("voice pack %s was built from another vocabulary or voice; rebuilding", output)
            return False
        return all((output / entry["file"]).stat().st_size > 0 for entry in manifest["clips"].values())
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _check_output_is_ours(output: Path) -> None:
    if not output.exists() or not any(output.iterdir()):
        return
    try:
        manifest = json.loads((output / MANIFEST).read_text(encoding="utf-8"))
        tool = manifest.get("generator", {}).get("tool")
    except (OSError, ValueError, AttributeError):
        tool = None
    if tool != GENERATOR_TOOL:
        raise GenerationRefused(
            f"{output} is not empty and was not made by {GENERATOR_TOOL} (a recorded pack?); "
            "choose another --output or move it away"
        )


def _synthesise(espeak: str, text: str, target: Path, voice: str, speed: int, pitch: int) -> audio.Clip:
    """One word or phrase through espeak-ng, then normalised, trimmed and faded."""
    if re.search(r"\d", text):
        raise ValueError(f"refusing to synthesise digits ({text!r}): write numbers as words")
    raw = target.with_suffix(".raw.wav")
    command = [espeak, "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(raw), text]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=SYNTH_TIMEOUT_S)
        clip = audio.read_wav(raw)
    except subprocess.CalledProcessError as error:
        raise SynthesisFailed(
            f"espeak-ng failed on {text!r}: {error.stderr.decode(errors='replace').strip()}"
        ) from error
    except (subprocess.TimeoutExpired, audio.UnreadableAudio) as error:
        raise SynthesisFailed(f"espeak-ng gave no usable audio for {text!r}: {error}") from error
    finally:
        raw.unlink(missing_ok=True)
    clip = audio.fade(audio.trim_silence(audio.normalise_peak(clip)))
    audio.write_wav(target, clip)
    return clip


def _espeak_version(espeak: str) -> str:
    try:
        result = subprocess.run([espeak, "--version"], check=True, capture_output=True, text=True, timeout=10)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
        return "unknown"
    return result.stdout.strip().splitlines()[0] if result.stdout.strip() else "unknown"


def generate_pack(
    output: Path | None = None,
    *,
    if_missing: bool = False,
    wordings: Sequence[str] = (DEFAULT_WORDING,),
    voice: str = DEFAULT_VOICE,
    speed: int = DEFAULT_SPEED,
    pitch: int = DEFAULT_PITCH,
    espeak: str | None = None,
) -> GenerationResult:
    """Synthesise the default pack into `output`, replaced atomically; with if_missing, keep a current one."""
    started = time.monotonic()
    output = Path(output) if output is not None else default_pack_dir()
    wordings = list(dict.fromkeys([DEFAULT_WORDING, *wordings]))
    words = vocabulary(wordings)
    fingerprint = _fingerprint(words, voice, speed, pitch)
    if if_missing and _is_up_to_date(output, fingerprint):
        logger.info("voice pack %s is up to date", output)
        seconds = time.monotonic() - started
        return GenerationResult(output, False, len(words) + 2, _folder_size(output), seconds)

    espeak_path = find_espeak(espeak)
    _check_output_is_ours(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{output.name}-new-", dir=output.parent))
    try:
        clips: dict[str, dict[str, str]] = {}
        sample_rate = 0
        for clip_id, text in words.items():
            # Letter names are written "e-lờ"; the hyphen only joins syllables.
            spoken = SYNTHESIS_SPELLING.get(clip_id, text).replace("-", " ")
            clip = _synthesise(espeak_path, spoken, work / f"{clip_id}.wav", voice, speed, pitch)
            sample_rate = sample_rate or clip.sample_rate
            clips[clip_id] = {"file": f"{clip_id}.wav", "text": text}
            logger.debug("clip %s (%s): %.3f s", clip_id, text, clip.duration_s)
        audio.write_wav(work / f"{CHIME}.wav", audio.chime(sample_rate))
        audio.write_wav(work / f"{PAUSE}.wav", audio.silence(PAUSE_S, sample_rate))
        clips[CHIME] = {"file": f"{CHIME}.wav", "text": ""}
        clips[PAUSE] = {"file": f"{PAUSE}.wav", "text": ""}
        manifest = {
            "format_version": FORMAT_VERSION,
            "name": f"espeak-ng ({voice})",
            "language": "vi",
            "variants": list(VARIANTS),
            "letters": ALL_LETTERS,
            "wordings": wordings,
            "sample_rate": sample_rate,
            "format": "wav",
            "clips": clips,
            "generator": {
                "tool": GENERATOR_TOOL,
                "synthesizer": _espeak_version(espeak_path),
                "voice": voice,
                "speed": speed,
                "pitch": pitch,
                "fingerprint": fingerprint,
            },
        }
        manifest_text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
        (work / MANIFEST).write_text(manifest_text, encoding="utf-8")
        _replace_folder(work, output)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    seconds = time.monotonic() - started
    logger.info("voice pack %s generated: %d clips in %.1f s", output, len(clips), seconds)
    return GenerationResult(output, True, len(clips), _folder_size(output), seconds)


def _replace_folder(new: Path, output: Path) -> None:
    """Swap the freshly built folder in, so a display never sees a half-written pack."""
    old = output.with_name(f".{output.name}-old-{os.getpid()}")
    if output.exists():
        output.rename(old)
    new.rename(output)
    shutil.rmtree(old, ignore_errors=True)


def _folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir() if f.is_file()) if path.is_dir() else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m display.voice.generate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--output", type=Path, default=None, help=f"pack folder (default {default_pack_dir()})"
    )
    parser.add_argument("--if-missing", action="store_true", help="do nothing if an up-to-date pack exists")
    parser.add_argument(
        "--wording", action="append", default=[],
        help='extra call wording to voice, e.g. "Xin mời số {number} đến quầy {counter}" (repeatable)',
    )
    parser.add_argument("--voice", default=DEFAULT_VOICE, help="espeak-ng voice (vi, vi-vn-x-south, …)")
    parser.add_argument("--speed", type=int, default=DEFAULT_SPEED, help="words per minute")
    parser.add_argument("--pitch", type=int, default=DEFAULT_PITCH, help="0–99")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        result = generate_pack(
            args.output, if_missing=args.if_missing, wordings=args.wording,
            voice=args.voice, speed=args.speed, pitch=args.pitch,
        )
    except (SynthesizerMissing, SynthesisFailed, GenerationRefused, ValueError) as error:
        print(f"voice pack not generated: {error}", file=sys.stderr)
        return 2
    if result.generated:
        print(f"voice pack written to {result.path}: {result.clip_count} clips, "
              f"{result.size_bytes / 1024:.0f} KiB, {result.seconds:.1f} s")
    else:
        print(f"voice pack {result.path} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
