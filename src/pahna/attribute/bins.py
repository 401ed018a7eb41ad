"""Spread each flow's bytes over the 5-minute bins it spans, exactly.

A flow [start, end) of duration d holding B bytes gives bin i the bytes between the
cumulative shares at the bin's edges, where the share up to instant t is
floor(B * (t - start) / d). The pieces telescope, so they sum to B exactly, and the
rule depends on nothing but the flow, so every engine gets the same integers. A flow
with d = 0 puts everything in the bin of its start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pahna.schema import BIN_MS


@dataclass(frozen=True)
class Pieces:
    """A batch's pieces in two parts: every flow's first piece, in flow order (flow i is
    row i, so per-flow columns need no gathering), then the further pieces of the flows
    that span bins (`rows` says whose)."""

    first_bins: np.ndarray  # bin start ms of each flow's first piece
    first_values: list[np.ndarray]  # uint64, one array per counter
    rows: np.ndarray  # flow index of each further piece
    bins: np.ndarray
    values: list[np.ndarray]


def split_bins(start_ms: np.ndarray, end_ms: np.ndarray, values: list[np.ndarray],
               whole_within: tuple[int, int] | None = None,
               binned: np.ndarray | None = None) -> Pieces:
    """Every flow's pieces (see Pieces); `values` are uint64 counters (bytes, packets)
    spread with the same rule. With `whole_within` (for sums not grouped by bin), a
    flow all of whose bins start in that window [from, to) is left whole: its first
    piece holds all of it, in its first bin; except the flows `binned` marks (a bool
    per flow), which are cut all the same."""
    start = start_ms.astype(np.int64)
    end = np.maximum(end_ms.astype(np.int64), start)
    duration = end - start
    long = duration >= 2**32
    end = np.where(long, start + (2**32 - 1), end)  # clocks gone wild: cap at ~49 days
    duration = end - start
    first = start // BIN_MS
    last = np.where(duration > 0, (end - 1) // BIN_MS, first)
    # a flow in one bin keeps its value whole; only the others are cut (most flows are
    # shorter than a bin, so the divisions below run on a few of them)
    cut = last > first
    if whole_within is not None:
        edge = (first * BIN_MS < whole_within[0]) | (last * BIN_MS >= whole_within[1])
        cut &= edge if binned is None else edge | binned
    spans = np.flatnonzero(cut)
    more = (last - first)[spans]
    span = np.repeat(np.arange(len(spans)), more)  # the span each further piece is of
    rows = spans[span]
    opening = np.cumsum(more) - more  # each span's first further piece
    bins = (first[rows] + np.arange(1, len(rows) + 1) - opening[span]) * BIN_MS
    d = duration[spans].astype(np.uint64)
    first_edge = (np.minimum((first[spans] + 1) * BIN_MS, end[spans]) - start[spans])
    hi = (np.minimum(bins + BIN_MS, end[rows]) - start[rows]).astype(np.uint64)
    firsts, rest = [], []
    for value in values:
        whole = value.astype(np.uint64)
        head = whole.copy()
        share = _Shares(whole[spans], d)
        head[spans] = share.at(first_edge.astype(np.uint64), None)
        firsts.append(head)
        upto = share.at(hi, span)  # cumulative share at each further piece's far edge
        before = np.empty_like(upto)  # ... and at its near edge: the previous far edge
        before[1:] = upto[:-1]
        before[opening] = head[spans]
        rest.append(upto - before)
    return Pieces(first * BIN_MS, firsts, rows, bins, rest)


class _Shares:
    """floor(total * elapsed / duration) for the spans' totals, without overflow for
    elapsed <= duration < 2**32: the quotient and remainder by the duration are taken
    once per span, then each share costs one division."""

    def __init__(self, total: np.ndarray, duration: np.ndarray) -> None:
        self.duration = duration
        self.whole = total // duration
        self.rest = total % duration

    def at(self, elapsed: np.ndarray, span: np.ndarray | None) -> np.ndarray:
        """The share at `elapsed` of each span (`span` says which; None: each in turn)."""
        if span is None:
            return self.whole * elapsed + (self.rest * elapsed) // self.duration
        return (self.whole[span] * elapsed
                + (self.rest[span] * elapsed) // self.duration[span])


def spread_bins(start_ms: np.ndarray, end_ms: np.ndarray, values: list[np.ndarray]
                ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Return (row index, bin start ms, [spread value arrays]) for every piece, in input
    order (split_bins, merged)."""
    pieces = split_bins(start_ms, end_ms, values)
    n = len(pieces.first_bins)
    rows = np.concatenate([np.arange(n), pieces.rows])
    order = np.argsort(rows, kind="stable")
    bins = np.concatenate([pieces.first_bins, pieces.bins])[order]
    spread = [np.concatenate([f, r])[order]
              for f, r in zip(pieces.first_values, pieces.values, strict=True)]
    return rows[order], bins, spread
