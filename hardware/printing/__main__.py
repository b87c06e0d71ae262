"""`python -m hardware.printing`: render a ticket preview PNG (and its ESC/POS bytes) for people to look at.

    python -m hardware.printing --width 58 --out ticket.png [--job job.json] [--bytes ticket.bin]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hardware.errors import FontNotFound
from hardware.printing.samples import SAMPLE_JOB
from hardware.printing.ticket import TicketRenderer, profile_for_width


def main(argv: list[str] | None = None) -> int:
    """Write the preview (and optionally the bytes) of a print job; the sample ticket by default."""
    parser = argparse.ArgumentParser(prog="python -m hardware.printing", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--width", type=int, choices=(58, 80), default=80, help="paper width in mm")
    parser.add_argument("--job", type=Path, help="a print_job JSON file (default: a sample ticket)")
    parser.add_argument("--out", type=Path, default=Path("ticket.png"), help="preview PNG to write")
    parser.add_argument("--bytes", type=Path, help="also write the ESC/POS bytes here")
    arguments = parser.parse_args(argv)
    job = json.loads(arguments.job.read_text(encoding="utf-8")) if arguments.job else SAMPLE_JOB
    try:
        renderer = TicketRenderer()
    except FontNotFound as error:
        print(error, file=sys.stderr)
        return 2
    profile = profile_for_width(arguments.width)
    data = renderer.render(job, profile)
    renderer.preview(job, profile).save(arguments.out)
    if arguments.bytes:
        arguments.bytes.write_bytes(data)
    print(f"{arguments.out}: {profile.name} ticket, {len(data)} bytes of ESC/POS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
