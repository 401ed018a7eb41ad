"""The 95th percentile of 5-minute rates, by nearest rank.

For N samples the billed sample is the one at ascending rank ceil(0.95 N): for a 30-day
month (8,640 five-minute samples) the top 432 are dropped and the 433rd highest billed.
Bins without traffic are samples of zero: a month always has days * 288 samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

BIN_SECONDS = 300
BINS_PER_DAY = 288
BITS_PER_MEGABIT = 10**6


def nearest_rank(count: int, percent: int = 95) -> int:
    """The 1-based ascending rank billed among `count` samples: ceil(percent/100 * count)."""
    if count <= 0:
        raise ValueError("a percentile needs at least one sample")
    return max(1, -(-percent * count // 100))


def percentile_bytes(bin_bytes: Sequence[int] | np.ndarray, samples: int, percent: int = 95
                     ) -> int:
    """The nearest-rank percentile of per-bin bytes, padding with zero bins to `samples`."""
    values = np.asarray(bin_bytes, dtype=np.int64)
    values = values[values > 0]
    if len(values) > samples:
        raise ValueError(f"{len(values)} busy bins in a month of {samples} samples")
    position = nearest_rank(samples, percent) - 1 - (samples - len(values))
    if position < 0:
        return 0  # the billed sample is one of the zero bins
    return int(np.partition(values, position)[position])


def megabits_per_second(bytes_in_bin: int) -> Fraction:
    """The exact average rate over a 5-minute bin, in Mbps (10^6 bits per second)."""
    return Fraction(bytes_in_bin * 8, BIN_SECONDS * BITS_PER_MEGABIT)
