"""A batch's pieces summed before the SQL sees them (the DuckDB engine's usage and
settlement).

A 10 M-flow month is some 18 M pieces; handing them one by one to DuckDB, and summing
them there (through settlement's three grouping sets, or usage's one), cost more than
attributing them. So the DuckDB engine sums each batch's pieces here first, per group
of the settlement SQL (which usage's groups are unions of), and hands the SQL rows of
the same PIECES_SCHEMA that it sums to the same integers:

- per (producer, traffic class, bin, same province): sampling-scaled bytes and packets
  (the row's sampling_rate is then 1) and flows; receiver NOBODY, client null;
- with receivers, per (receiver, bin) for receivers that count: the same sums, with
  producer NOT_COUNTED, so that the first grouping set leaves them out as it leaves
  out every piece not counted for its sender;
- with receivers, one row per distinct (producer, client network) with zero counters,
  traffic class null and the window's first bin (inside the window, so the SQL keeps
  it, in a group of its own that `results.settlement_tables` does not read). A batch's
  distinct pairs are gathered across batches (`ClientNetworks`, compacted as they grow)
  and handed over once at the end: most pairs recur in every batch.

Only pieces whose bin lies in the query's window are summed, as the SQL would. The
sums are exact: float64 adds integers exactly while every partial sum stays below
2**53, which holds when the batch's total does; a batch whose scaled counters could
overflow, or whose total does not stay below that bound, returns None and its raw
pieces go to the SQL, which checks every product and sum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pahna.aggregate.kernel import NOBODY, NOT_COUNTED, PIECES_SCHEMA, Flows
from pahna.attribute.bins import Pieces
from pahna.schema import BIN_MS, TRAFFIC_CLASSES

EXACT_BELOW = 2**53
"""float64 sums of non-negative integers are exact while they stay below this."""
COMPACT_ROWS = 1 << 20
"""ClientNetworks compacts its pairs once it holds this many (or twice as many as at the
last compaction, if more): memory stays within a few times the distinct pairs."""
DENSE_CELLS_PER_PIECE = 4
"""Groups are counted in a dense array when it has at most this many cells per piece
(plus 2**16); beyond, the keys are first made dense with a sort."""


@dataclass(frozen=True)
class WindowPieces:
    """The pieces of a batch whose bin lies in the window: the flow each came from, its
    bin's index from `first_bin`, and its sampling-scaled bytes, packets and flows
    (whole numbers below 2**53, as float64)."""

    flow: np.ndarray
    first_bin: int
    bin: np.ndarray
    counters: list[np.ndarray]


@dataclass(frozen=True)
class BatchSums:
    """A batch's sums as PIECES_SCHEMA rows and, with receivers, its distinct (producer,
    client) pairs (for ClientNetworks)."""

    rows: list[pa.RecordBatch]
    clients: pa.Table | None


class ClientNetworks:
    """Distinct (producer, client) pairs gathered over a month's batches."""

    def __init__(self) -> None:
        self.parts: list[pa.Table] = []
        self.held = 0
        self.compacted = 0

    def add(self, pairs: pa.Table) -> None:
        self.parts.append(pairs)
        self.held += pairs.num_rows
        if self.held > max(COMPACT_ROWS, 2 * self.compacted):
            self._compact()

    def _compact(self) -> None:
        pairs = _distinct(pa.concat_tables(self.parts)) if self.parts else None
        self.parts = [] if pairs is None else [pairs]
        self.held = self.compacted = 0 if pairs is None else pairs.num_rows

    def rows(self, window_start: int) -> list[pa.RecordBatch]:
        """The pairs as PIECES_SCHEMA rows (see the module)."""
        self._compact()
        if not self.parts:
            return []
        pairs, count = self.parts[0], self.held
        return [_batch(pairs.column("producer").to_numpy(), np.full(count, NOBODY),
                       pa.nulls(count, pa.int32()), np.full(count, window_start, np.int64),
                       None, np.zeros(count, bool), pairs.column("client").combine_chunks())]


def summed_pieces(flows: Flows, pieces: Pieces | WindowPieces | None,
                  window: tuple[int, int]) -> BatchSums | None:
    """The batch's pieces in `window` summed per group (see the module), or None when
    they cannot be summed exactly here. The receiving side is summed when `flows` has
    it (kernel.flow_parts with receivers). The pieces may come already cut to the window
    (`window_pieces`; None: they could not be)."""
    cut = window_pieces(flows, pieces, window) if isinstance(pieces, Pieces) else pieces
    if cut is None:
        return None
    if flows.client is None:
        return BatchSums([_sender_rows(flows, cut)], None)
    return BatchSums([_sender_rows(flows, cut), _receiver_rows(flows, cut)],
                     _client_pairs(flows, cut))


def window_pieces(flows: Flows, pieces: Pieces, window: tuple[int, int]
                  ) -> WindowPieces | None:
    """The pieces whose bin lies in `window`, scaled (WindowPieces), or None when a
    scaled counter or the batch's total might not be exact in float64."""
    count = len(pieces.first_bins)
    flow = np.concatenate([np.arange(count), pieces.rows])
    bins = np.concatenate([pieces.first_bins, pieces.bins])
    kept: np.ndarray | slice = slice(None)  # most batches lie wholly in the window
    if bins.size and (int(bins.min()) < window[0] or int(bins.max()) >= window[1]):
        kept = np.flatnonzero((bins >= window[0]) & (bins < window[1]))
        flow, bins = flow[kept], bins[kept]
    rate = np.maximum(flows.sampling.astype(np.uint64), np.uint64(1))[flow]
    counters = []
    for first, rest in zip(pieces.first_values, pieces.values, strict=True):
        values = np.concatenate([first, rest])[kept].astype(np.uint64, copy=False)
        if values.size and int(values.max()) * int(rate.max()) >= EXACT_BELOW:
            return None  # a product might not be exact in float64
        scaled = (values * rate).astype(np.float64)  # exact: every product < 2**53
        if float(scaled.sum()) >= EXACT_BELOW / 2:  # within rounding of the exact sum
            return None
        counters.append(scaled)
    counters.append(_flow_first(kept, count, len(flow)))  # a flow's first piece counts it
    first_bin = int(bins.min()) if bins.size else int(window[0])
    return WindowPieces(flow, first_bin, (bins - first_bin) // BIN_MS, counters)


def _flow_first(kept: np.ndarray | slice, count: int, pieces: int) -> np.ndarray:
    """1.0 on each kept piece that is its flow's first (the first `count` of all the
    pieces), else 0.0."""
    if isinstance(kept, slice):
        first = np.zeros(pieces, np.float64)
        first[:count] = 1.0
        return first
    return (kept < count).astype(np.float64)


def _cells(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(dense index per row, key of each dense index) for keys in [0, size)."""
    if size <= DENSE_CELLS_PER_PIECE * len(key) + 2**16:
        return key, np.arange(size, dtype=np.int64)
    keys, index = np.unique(key, return_inverse=True)
    return index.reshape(-1), keys


def _sums(key: np.ndarray, size: int, cut: WindowPieces
          ) -> tuple[np.ndarray, list[np.ndarray]]:
    """(keys of the groups present, [bytes, packets, flows] per group) of the pieces
    grouped by `key` in [0, size)."""
    return grouped_sums(key, size, cut.counters)


def grouped_sums(key: np.ndarray, size: int, values: list[np.ndarray]
                 ) -> tuple[np.ndarray, list[np.ndarray]]:
    """(keys of the groups present, the sum of each of `values` per group, as uint64) of
    rows grouped by `key` in [0, size); the values are float64 whose sums are exact
    (below 2**53)."""
    index, keys = _cells(key, size)
    cells = len(keys)
    present = np.bincount(index, minlength=cells) > 0
    sums = [np.bincount(index, weights=value, minlength=cells)[present].astype(np.uint64)
            for value in values]
    return keys[present], sums


def _batch(producer: np.ndarray, receiver: np.ndarray, klass: pa.Array, bins: np.ndarray,
           sums: list[np.ndarray] | None, same: np.ndarray, client: pa.Array
           ) -> pa.RecordBatch:
    count = len(producer)
    if sums is None:
        sums = [np.zeros(count, np.uint64)] * 3
    return pa.RecordBatch.from_arrays(
        [pa.array(producer, pa.int32()), pa.array(receiver, pa.int32()), klass,
         pa.array(bins, pa.int64()), pa.array(sums[0], pa.uint64()),
         pa.array(sums[1], pa.uint64()), pa.array(sums[2].astype(np.int64), pa.int64()),
         pa.array(np.ones(count, np.uint32)), pa.array(same, pa.bool_()), client],
        schema=PIECES_SCHEMA)


def _sender_rows(flows: Flows, cut: WindowPieces) -> pa.RecordBatch:
    """Sums per (producer, traffic class, bin, same province)."""
    classes, bins = len(TRAFFIC_CLASSES), int(cut.bin.max(initial=0)) + 1
    producers = int(flows.sender.max(initial=0)) + 3  # codes from NOT_COUNTED = -2
    same = (np.zeros(len(cut.flow), np.int64) if flows.same is None
            else flows.same[cut.flow].astype(np.int64))
    key = (((flows.sender[cut.flow].astype(np.int64) - NOT_COUNTED) * classes
            + flows.klass[cut.flow]) * bins + cut.bin) * 2 + same
    keys, sums = _sums(key, producers * classes * bins * 2, cut)
    keys, same = np.divmod(keys, 2)
    keys, bin_index = np.divmod(keys, bins)
    producer, klass = np.divmod(keys, classes)
    count = len(keys)
    return _batch(producer + NOT_COUNTED, np.full(count, NOBODY), pa.array(klass, pa.int32()),
                  bin_index * BIN_MS + cut.first_bin, sums, same.astype(bool),
                  pa.nulls(count, pa.int64()))


def _receiver_rows(flows: Flows, cut: WindowPieces) -> pa.RecordBatch:
    """Sums per (receiver, bin), for the pieces whose receiver counts."""
    bins = int(cut.bin.max(initial=0)) + 1
    receiver = flows.receiver[cut.flow]
    rows = np.flatnonzero(receiver >= 0)
    key = receiver[rows].astype(np.int64) * bins + cut.bin[rows]
    keys, sums = _sums(key, (int(flows.receiver.max(initial=0)) + 1) * bins,
                       _restricted(cut, rows))
    receivers, bin_index = np.divmod(keys, bins)
    count = len(keys)
    return _batch(np.full(count, NOT_COUNTED), receivers, pa.array(np.zeros(count, np.int32)),
                  bin_index * BIN_MS + cut.first_bin, sums, np.zeros(count, bool),
                  pa.nulls(count, pa.int64()))


def _restricted(cut: WindowPieces, rows: np.ndarray) -> WindowPieces:
    return WindowPieces(cut.flow[rows], cut.first_bin, cut.bin[rows],
                        [values[rows] for values in cut.counters])


def _client_pairs(flows: Flows, cut: WindowPieces) -> pa.Table:
    """The distinct (producer, client) pairs among the window's pieces with a sender."""
    assert flows.client is not None
    seen = np.zeros(len(flows.sender), bool)
    seen[cut.flow] = True
    chosen = np.flatnonzero(seen & (flows.sender >= 0))
    return _distinct(pa.table({"producer": pa.array(flows.sender[chosen], pa.int32()),
                               "client": pa.array(flows.client[chosen], pa.int64())}))


def _distinct(pairs: pa.Table) -> pa.Table:
    return pairs.group_by(["producer", "client"], use_threads=False).aggregate([])
