"""Ticket printing figures: ESC/POS bytes per ticket (58 / 80 mm), time on the wire at 9600 and 115200 baud
(8N1: 10 bits per byte), the size a naive full-ticket raster would have, and the median render time.

    .venv/bin/python bench/bench_ticket_print.py [--rounds 50]

Prints numbers; passes or fails nothing.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hardware.printing.samples import LONGEST_JOB, SAMPLE_JOB  # noqa: E402
from hardware.printing.ticket import PROFILE_58, PROFILE_80, TicketRenderer  # noqa: E402

BITS_PER_BYTE_8N1 = 10
BAUD_RATES = (9600, 115200)


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=50, help="renders per case for the median time")
    arguments = parser.parse_args()
    renderer = TicketRenderer()
    header = (f"{'ticket':8} {'paper':6} {'bytes':>6} {'budget':>7} {'@9600':>8} {'@115200':>8} "
              f"{'naive raster':>13} {'render median':>14}")
    print(header)
    print("-" * len(header))
    for name, job in (("sample", SAMPLE_JOB), ("longest", LONGEST_JOB)):
        for profile in (PROFILE_58, PROFILE_80):
            renderer.render(job, profile)  # warm the font cache
            durations = []
            for _ in range(arguments.rounds):
                started = time.perf_counter()
                data = renderer.render(job, profile)
                durations.append(time.perf_counter() - started)
            preview = renderer.preview(job, profile)
            naive = profile.width_dots // 8 * preview.height
            wire = [len(data) * BITS_PER_BYTE_8N1 / baud for baud in BAUD_RATES]
            print(f"{name:8} {profile.name:6} {len(data):6d} {len(data) / 6656:6.0%} {wire[0]:7.2f}s {wire[1]:7.3f}s "
                  f"{naive:7d} bytes {statistics.median(durations) * 1000:11.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
