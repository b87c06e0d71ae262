"""Check a voice pack and say what is missing or broken.

    python -m display.voice.check PATH [--variant northern] [--number-style digits] [--letters ABC]
                                       [--wording TEXT] [--no-chime] [--repeat N] [--announce 1005 3]

Without options the pack is checked against everything its manifest claims (its variants, letters and
wordings, with chime and repeats). Exit status 0 when complete, 1 otherwise. --announce prints the clip
sequence of one call with each clip's file and duration, to hear (read) how a call is put together.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from display.voice.audio import UnreadableAudio, wav_info
from display.voice.pack import VoicePack, VoicePackIncomplete, inspect_pack
from display.voice.reading import (
    NUMBER_STYLES,
    VARIANTS,
    InvalidVoiceSettings,
    UnreadableNumber,
    VoiceSettings,
    announcement,
    tokens_text,
)

logger = logging.getLogger(__name__)


def _settings_from_args(args: argparse.Namespace, pack: VoicePack, repeat: int) -> list[VoiceSettings]:
    variants = args.variant or list(pack.variants)
    wordings = args.wording or list(pack.wordings)
    letters = pack.letters if args.letters is None else args.letters.upper()
    return [
        VoiceSettings(
            variant=variant, number_style=args.number_style, wording=wording,
            chime=not args.no_chime, repeat=repeat, letters=letters,
        )
        for variant in variants
        for wording in wordings
    ]


def describe_announcement(pack: VoicePack, number: str, counter: str, settings: VoiceSettings) -> list[str]:
    """Lines showing each clip of a call with its file and duration, and the total."""
    clips = announcement(number, counter, settings)
    lines = [f'{number} → quầy {counter}: "{tokens_text(clips, settings)}"']
    total = 0.0
    for clip_id, path in zip(clips, pack.resolve(clips)):
        try:
            duration = wav_info(path).duration_s if path.suffix.lower() == ".wav" else 0.0
        except UnreadableAudio:
            duration = 0.0
        total += duration
        lines.append(f"  {clip_id:<28} {path.name:<32} {duration * 1000:6.0f} ms")
    lines.append(f"  {'total':<28} {'':<32} {total * 1000:6.0f} ms")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m display.voice.check", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("path", type=Path, help="voice pack folder (holding manifest.json)")
    parser.add_argument(
        "--variant", action="append", choices=VARIANTS, help="default: the manifest's variants"
    )
    parser.add_argument("--number-style", choices=NUMBER_STYLES, default="cardinal")
    parser.add_argument(
        "--letters", default=None, help='ticket prefix letters in use, e.g. "ABC" ("" for none)'
    )
    parser.add_argument("--wording", action="append", help="call wording with {number} and {counter}")
    parser.add_argument("--no-chime", action="store_true", help="the centre plays no chime")
    parser.add_argument("--repeat", type=int, default=None,
                        help="times a call is said (default: checked as 2, so the pause clip is needed)")
    parser.add_argument("--announce", nargs=2, metavar=("NUMBER", "COUNTER"), action="append", default=[],
                        help="print the clips of this call with durations (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    report = inspect_pack(args.path, settings=[])
    if report.pack is not None:
        try:
            report = inspect_pack(args.path, _settings_from_args(args, report.pack, args.repeat or 2))
        except InvalidVoiceSettings as error:
            print(f"bad option: {error}", file=sys.stderr)
            return 2
    pack = report.pack
    if pack is not None:
        print(f"voice pack {args.path}: \"{pack.name}\", {len(pack.clips)} clips, {pack.format}, "
              f"{pack.sample_rate} Hz, variants {', '.join(pack.variants)}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    if report.problems:
        print(f"{len(report.problems)} problem(s):")
        for problem in report.problems:
            print(f"  {problem}")
    if report.missing:
        print(f"{len(report.missing)} clip(s) missing; record these and list them in manifest.json:")
        for clip_id, text in sorted(report.missing.items()):
            print(f"  {clip_id:<28} {text or '(a sound: copy it from the default pack)'}")
    if report.ok:
        print("complete: every call can be voiced")
    if pack is not None and args.announce:
        settings = _settings_from_args(args, pack, args.repeat or 1)[0]
        for number, counter in args.announce:
            try:
                print("\n".join(describe_announcement(pack, number, counter, settings)))
            except (UnreadableNumber, VoicePackIncomplete) as error:
                print(f"cannot voice {number} → {counter}: {error}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
