"""Log-scale duration histograms: small, additive, and good enough for p50/p90.

A duration falls into one of ``BUCKETS`` buckets: bucket 0 holds [0 s, 1 s), bucket
``i`` holds [R**(i-1), R**i) seconds with R = sqrt(2) (two buckets per doubling), and
the last bucket everything from about 97 days on.
Histograms of different rows add up element by element, which is what lets
rollups be maintained by appending deltas. A percentile read from a histogram is
interpolated geometrically inside its bucket; its error is bounded by the bucket
width (at most ~19 % either way) and is usually a few percent. 48 buckets is a
trade-off: every bucket is a column a report sums (see rollups.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

BUCKETS = 48
RATIO = 2**0.5
_LOG_RATIO = math.log(RATIO)


def bucket_of(seconds: float) -> int:
    """The 0-based bucket of a duration (negative durations count as zero)."""
    if seconds < 1:
        return 0
    index = int(math.log(seconds) / _LOG_RATIO) + 1
    return min(index, BUCKETS - 1)


def bucket_bounds(index: int) -> tuple[float, float]:
    if index == 0:
        return 0.0, 1.0
    low = RATIO ** (index - 1)
    # The overflow bucket has no upper edge; report it as one more bucket wide.
    return low, low * RATIO


def _value_at(histogram: Sequence[int], rank: int) -> float:
    """The estimated ``rank``-th smallest duration (0-based): geometric inside its bucket."""
    seen = 0
    for index, count in enumerate(histogram):
        if count <= 0:
            continue
        if rank < seen + count:
            low, high = bucket_bounds(index)
            inside = (rank - seen + 0.5) / count
            if index == 0:
                return low + (high - low) * inside
            return float(low * (high / low) ** inside)
        seen += count
    return bucket_bounds(len(histogram) - 1)[1]


def percentile(histogram: Sequence[int], fraction: float) -> float | None:
    """The ``fraction`` quantile (0..1) of the durations counted in ``histogram``.

    Like PostgreSQL's percentile_cont: linear interpolation between the two closest
    ranks, each rank's value estimated from its bucket.
    """
    total = sum(histogram)
    if total <= 0:
        return None
    position = fraction * (total - 1)
    low = math.floor(position)
    high = min(low + 1, total - 1)
    below = _value_at(histogram, low)
    above = _value_at(histogram, high) if high != low else below
    return below + (above - below) * (position - low)
