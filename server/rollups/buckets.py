"""Fixed histogram buckets for waiting and service times, and percentiles read back from them.

Bucket edges (seconds): 5 s wide below 10 min, 30 s wide below 1 h, 2 min wide below 6 h, 10 min wide
below 24 h, and one open bucket from 24 h on. A duration is represented by its bucket's midpoint (the
open bucket by 24 h); the map is monotone, so percentile_cont over the representatives differs from
percentile_cont over the exact durations by at most half the width of the bucket(s) the percentile
falls in: ±2.5 s below 10 min, ±15 s below 1 h, ±60 s below 6 h, ±300 s below 24 h (docs/rollups.md).
"""
from __future__ import annotations

import math
import operator
from typing import Iterable, Mapping

# (upper edge in seconds, bucket width) for each band, in order.
BANDS: tuple[tuple[int, int], ...] = ((600, 5), (3_600, 30), (21_600, 120), (86_400, 600))
OVERFLOW_FROM = BANDS[-1][0]


def _band_starts() -> list[tuple[int, int, int, int]]:
    """(first bucket index, lower edge, upper edge, width) per band."""
    starts, index, lower = [], 0, 0
    for upper, width in BANDS:
        starts.append((index, lower, upper, width))
        index += (upper - lower) // width
        lower = upper
    return starts


_STARTS = _band_starts()
OVERFLOW_BUCKET = _STARTS[-1][0] + (_STARTS[-1][2] - _STARTS[-1][1]) // _STARTS[-1][3]
BUCKET_COUNT = OVERFLOW_BUCKET + 1


def bucket_of(seconds: float) -> int:
    """The bucket holding a duration (negative durations, a clock step back, count as 0)."""
    value = max(0.0, float(seconds))
    for first, lower, upper, width in _STARTS:
        if value < upper:
            return first + int((value - lower) // width)
    return OVERFLOW_BUCKET


def representative(bucket: int) -> float:
    """The value a bucket stands for: its midpoint (the open bucket: its lower edge)."""
    if bucket >= OVERFLOW_BUCKET:
        return float(OVERFLOW_FROM)
    for first, lower, upper, width in reversed(_STARTS):
        if bucket >= first:
            return lower + (bucket - first) * width + width / 2
    raise ValueError(bucket)


def half_width(seconds: float) -> float:
    """The error bound of a percentile near `seconds` (infinite in the open bucket)."""
    for _first, _lower, upper, width in _STARTS:
        if seconds < upper:
            return width / 2
    return math.inf


Histogram = dict[str, int]  # bucket index (as a JSON key) → count; zero counts are left out


def add_into(target: dict[int, int], histogram: Mapping[str, int] | Mapping[int, int] | None, sign: int = 1) -> None:
    for key, count in (histogram or {}).items():
        bucket = int(key)
        value = target.get(bucket, 0) + sign * int(count)
        if value:
            target[bucket] = value
        else:
            target.pop(bucket, None)


def as_json(histogram: Mapping[int, int]) -> Histogram:
    return {str(bucket): count for bucket, count in sorted(histogram.items()) if count}


def percentile(histogram: Mapping[int, int], fraction: float) -> float | None:
    """percentile_cont over the bucket representatives, without expanding the counts."""
    total = sum(count for count in histogram.values() if count > 0)
    if total == 0:
        return None
    position = fraction * (total - 1)
    lower_rank = math.floor(position)
    upper_rank = min(lower_rank + 1, total - 1)
    lower_value = upper_value = None
    seen = 0
    for bucket in sorted(histogram):
        count = histogram[bucket]
        if count <= 0:
            continue
        if lower_value is None and lower_rank < seen + count:
            lower_value = representative(bucket)
        if upper_rank < seen + count:
            upper_value = representative(bucket)
            break
        seen += count
    assert lower_value is not None and upper_value is not None
    return lower_value + (upper_value - lower_value) * (position - lower_rank)


def histogram_of(values: Iterable[float]) -> dict[int, int]:
    histogram: dict[int, int] = {}
    for value in values:
        bucket = bucket_of(value)
        histogram[bucket] = histogram.get(bucket, 0) + 1
    return histogram


# A dense histogram is a list of counts by bucket index, trailing zeros cut: what per-site rows store,
# because merging a year of them is a C-level list addition instead of a loop over dictionary keys.
Dense = list[int]


def dense_add(total: Dense, histogram: Dense | None) -> Dense:
    """Add `histogram` into `total` (returned; `total` grows as needed)."""
    if not histogram:
        return total
    if len(histogram) > len(total):
        total.extend([0] * (len(histogram) - len(total)))
    size = len(histogram)
    total[:size] = map(operator.add, total[:size], histogram)
    return total


def dense_from(histogram: dict[int, int]) -> Dense:
    if not histogram:
        return []
    dense = [0] * (max(histogram) + 1)
    for bucket, count in histogram.items():
        dense[bucket] = count
    while dense and dense[-1] == 0:
        dense.pop()
    return dense


def sparse_from(dense: Dense | dict[str, int] | None) -> dict[int, int]:
    if not dense:
        return {}
    if isinstance(dense, dict):
        return {int(bucket): int(count) for bucket, count in dense.items() if count}
    return {bucket: count for bucket, count in enumerate(dense) if count}
