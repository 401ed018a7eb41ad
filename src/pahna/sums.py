"""Exact sums of byte counters: a sum either is right or raises, it never wraps.

NumPy and Arrow add and multiply 64-bit integers modulo 2^64 without a word, so a single
absurd counter (2^63 bytes) or a product of bytes and sampling rate can turn a month's
total into a small or negative number. Every sum or product of bytes that feeds money
goes through these functions: they take the vectorized path when the operands' size
proves the result fits, and otherwise compute exactly (Python integers, or 32-bit
halves) or raise CounterOverflowError naming what did not fit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from pahna.errors import CounterOverflowError

INT64_MAX = int(np.iinfo(np.int64).max)
_LOW = np.uint64(0xFFFF_FFFF)
_HALF = np.uint64(32)


def exact_sum(values: np.ndarray) -> int:
    """The exact sum of an integer array, as a Python int."""
    if values.size == 0:
        return 0
    if values.dtype.kind not in "iu":
        raise TypeError(f"exact_sum needs integers, not {values.dtype}")
    bound = max(abs(int(values.max())), abs(int(values.min())))
    if bound <= INT64_MAX // values.size:
        return int(values.sum(dtype=np.int64))
    return sum(values.tolist())


def row_sums(matrix: np.ndarray, what: str = "bytes") -> np.ndarray:
    """Per-row sums (int64) of a non-negative integer matrix; raises when one does not fit."""
    if matrix.size == 0:
        return np.zeros(matrix.shape[0], dtype=np.int64)
    if int(matrix.min()) < 0:
        raise CounterOverflowError(f"{what}: negative counter")
    if int(matrix.max()) <= INT64_MAX // max(matrix.shape[1], 1):
        return matrix.sum(axis=1, dtype=np.int64)
    exact = [sum(row) for row in matrix.tolist()]
    if max(exact) > INT64_MAX:
        raise CounterOverflowError(f"{what}: a sum of {max(exact):,} does not fit 64 bits")
    return np.array(exact, dtype=np.int64)


def scaled(counts: np.ndarray, rates: np.ndarray, what: str = "bytes") -> np.ndarray:
    """counts x max(rate, 1) as int64, or CounterOverflowError when one product does not
    fit a signed 64-bit integer (NumPy would wrap it)."""
    counts = counts.astype(np.uint64, copy=False)
    rates = np.maximum(rates.astype(np.uint64, copy=False), np.uint64(1))
    if counts.size and bool((counts > np.uint64(INT64_MAX) // rates).any()):
        row = int(np.flatnonzero(counts > np.uint64(INT64_MAX) // rates)[0])
        raise CounterOverflowError(
            f"{what}: {int(counts[row]):,} x sampling rate {int(rates[row])} does not fit "
            "64 bits (retract the batch holding it: `pahna store retract`)")
    return (counts * rates).astype(np.int64)


def grouped_sums(keys: Sequence[np.ndarray], values: np.ndarray, what: str = "bytes"
                 ) -> tuple[list[np.ndarray], np.ndarray]:
    """Exact sums of non-negative `values` per distinct key tuple: (keys, int64 sums).

    Summed as two 32-bit halves, each of whose sums fits 64 bits for up to 2^32 rows, then
    recombined; a group whose total does not fit int64 raises CounterOverflowError."""
    values = values.astype(np.uint64, copy=False)
    names = [f"k{i}" for i in range(len(keys))]
    table = pa.table({**dict(zip(names, keys, strict=True)),
                      "lo": values & _LOW, "hi": values >> _HALF})
    summed = table.group_by(names, use_threads=False).aggregate([("lo", "sum"), ("hi", "sum")])
    lo = summed["lo_sum"].to_numpy().astype(np.uint64)
    hi = summed["hi_sum"].to_numpy().astype(np.uint64) + (lo >> _HALF)
    if hi.size and int(hi.max()) > INT64_MAX >> 32:
        raise CounterOverflowError(f"{what}: a group's sum does not fit 64 bits")
    total = ((hi << _HALF) | (lo & _LOW)).astype(np.int64)
    return [summed[name].to_numpy() for name in names], total
