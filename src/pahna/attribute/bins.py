"""Spread each flow's bytes over the 5-minute bins it spans, exactly.

A flow [start, end) of duration d holding B bytes gives bin i the bytes between the
cumulative shares at the bin's edges, where the share up to instant t is
floor(B * (t - start) / d). The pieces telescope, so they sum to B exactly, and the
rule depends on nothing but the flow, so every engine gets the same integers. A flow
with d = 0 puts everything in the bin of its start.
"""

from __future__ import annotations

import numpy as np

from pahna.schema import BIN_MS


def _cumulative(total: np.ndarray, elapsed: np.ndarray, duration: np.ndarray) -> np.ndarray:
    """floor(total * elapsed / duration) without overflow, for elapsed <= duration < 2**32."""
    whole = total // duration
    rest = total % duration
    return whole * elapsed + (rest * elapsed) // duration


def spread_bins(start_ms: np.ndarray, end_ms: np.ndarray, values: list[np.ndarray]
                ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Return (row index, bin start ms, [spread value arrays]) for every piece.

    `values` are uint64 counters (bytes, packets) spread with the same rule; `row index`
    says which input row each piece came from, in input order.
    """
    start = start_ms.astype(np.int64)
    end = np.maximum(end_ms.astype(np.int64), start)
    duration = end - start
    long = duration >= 2**32
    end = np.where(long, start + (2**32 - 1), end)  # clocks gone wild: cap at ~49 days
    duration = end - start
    first = start // BIN_MS
    last = np.where(duration > 0, (end - 1) // BIN_MS, first)
    pieces = (last - first + 1).astype(np.int64)
    rows = np.repeat(np.arange(len(start)), pieces)
    offset = np.arange(len(rows)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    bins = (first[rows] + offset) * BIN_MS
    # a flow in one bin keeps its value whole; only the others are cut (most flows are
    # shorter than a bin, so the divisions below run on a few pieces)
    cut = np.flatnonzero(pieces[rows] > 1)
    at = rows[cut]
    lo = (np.maximum(bins[cut], start[at]) - start[at]).astype(np.uint64)
    hi = (np.minimum(bins[cut] + BIN_MS, end[at]) - start[at]).astype(np.uint64)
    d = duration[at].astype(np.uint64)
    spread = []
    for value in values:
        whole = value.astype(np.uint64)
        piece = whole[rows]
        v = whole[at]
        piece[cut] = _cumulative(v, hi, d) - _cumulative(v, lo, d)
        spread.append(piece)
    return rows, bins, spread
