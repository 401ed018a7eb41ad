"""What settlement is given about each producer for a month: who it is and what it served.

Everything is already sampling-scaled and spread over 5-minute bins by aggregation;
settlement only prices it. Per-bin counters are int64 NumPy arrays, so a month of
thousands of producers with 8,640 bins each is priced with vectorized sums, never
per-bin objects; every sum goes through `pahna.sums`, so it is exact (a Python int) or
raises CounterOverflowError, and never wraps.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pahna.calendar import jalali_date_text
from pahna.parties import Producer
from pahna.schema import BIN_MS, TRAFFIC_CLASSES
from pahna.sums import INT64_MAX, exact_sum, row_sums

COLUMNS = (*TRAFFIC_CLASSES, "received")


@dataclass(frozen=True)
class BinUsage:
    """One 5-minute bin written out by hand (tests, golden cases)."""

    bin_start_ms: int
    domestic: int = 0
    international: int = 0
    unknown: int = 0
    received: int = 0


@dataclass(frozen=True, eq=False)
class BinSeries:
    """Bins with traffic, in time order: start and one int64 array per column."""

    start_ms: np.ndarray
    counters: np.ndarray  # shape (bins, 4): domestic, international, unknown, received

    @classmethod
    def from_bins(cls, bins: Iterable[BinUsage]) -> BinSeries:
        ordered = sorted(bins, key=lambda b: b.bin_start_ms)
        start = np.array([b.bin_start_ms for b in ordered], dtype=np.int64)
        counters = np.array([[getattr(b, c) for c in COLUMNS] for b in ordered],
                            dtype=np.int64).reshape(-1, 4)
        return cls(start, counters)

    def of(self, klass: str) -> np.ndarray:
        column: np.ndarray = self.counters[:, COLUMNS.index(klass)]
        return column

    @cached_property
    def _fits(self) -> bool:
        """No sum over these counters can pass int64 (non-negative, and the largest times
        their number fits), so NumPy's sums are exact; else pahna.sums decides."""
        size = self.counters.size
        return size == 0 or (int(self.counters.min()) >= 0
                             and int(self.counters.max()) <= INT64_MAX // size)

    @cached_property
    def totals(self) -> tuple[int, ...]:
        """Exact total of each column (domestic, international, unknown, received)."""
        if self._fits:
            return tuple(int(v) for v in self.counters.sum(axis=0, dtype=np.int64))
        return tuple(exact_sum(self.counters[:, i]) for i in range(len(COLUMNS)))

    def billed(self, classes: Sequence[str]) -> np.ndarray:
        chosen = self.counters[:, [COLUMNS.index(c) for c in classes]]
        if self._fits:
            summed: np.ndarray = chosen.sum(axis=1, dtype=np.int64)
            return summed
        return row_sums(chosen, "billed bytes")

    @cached_property
    def sent(self) -> np.ndarray:
        return self.billed(COLUMNS[:3])


@dataclass(frozen=True, eq=False)
class ProducerUsage:
    """A producer's month. `bins` may be given as BinUsage rows; it is kept as a series."""

    producer: Producer
    bins: BinSeries | tuple[BinUsage, ...] = ()
    client_networks: int = 0  # distinct client /24 (IPv4) plus /48 (IPv6)
    intra_province_bytes: int = 0  # sent bytes to addresses in the producer's province
    flows: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.bins, BinSeries):
            object.__setattr__(self, "bins", BinSeries.from_bins(self.bins))

    @property
    def series(self) -> BinSeries:
        assert isinstance(self.bins, BinSeries)
        return self.bins

    def total(self, klass: str) -> int:
        return self.series.totals[COLUMNS.index(klass)]

    @property
    def sent_bytes(self) -> int:
        return sum(self.series.totals[:3])

    @property
    def received_bytes(self) -> int:
        return self.total("received")


def _column(table: pa.Table, name: str) -> np.ndarray:
    values: np.ndarray = table.column(name).to_numpy(zero_copy_only=False)
    return values


def _positions(column: pa.ChunkedArray | pa.Array, values: Sequence[str]) -> np.ndarray:
    """Index of each entry in `values` (vectorized); -1 for nulls and strangers."""
    found = pc.index_in(column.cast(pa.string()), value_set=pa.array(list(values), pa.string()))
    positions: np.ndarray = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
    return positions.astype(np.int64)


def _cells(producers: list[Producer], usage: pa.Table, received: pa.Table
           ) -> tuple[np.ndarray, np.ndarray]:
    """(producer index, bin start, column) and bytes of every usage and received cell."""
    ids = [p.id for p in producers]
    parts = []
    for table, kinds in ((usage, "traffic_class"), (received, None)):
        pid = _positions(table.column("producer_id"), ids)
        col = (_positions(table.column(kinds), COLUMNS) if kinds
               else np.full(len(pid), 3, np.int64))
        start = _column(table, "bin_start_ms").astype(np.int64)
        values = _column(table, "bytes").astype(np.int64)
        keep = (pid >= 0) & (col >= 0)
        parts.append((pid[keep], start[keep], col[keep], values[keep]))
    pid, start, col, values = (np.concatenate([p[i] for p in parts]) for i in range(4))
    return np.stack([pid, start, col]), values


def assemble_usage(producers: list[Producer], usage: pa.Table, received: pa.Table,
                   client_networks: dict[str, int], intra_province: dict[str, int],
                   flows: dict[str, int] | None = None) -> list[ProducerUsage]:
    """Every producer's month from the usage table (producer_id, traffic_class,
    bin_start_ms, bytes) and the received table (producer_id, bin_start_ms, bytes)."""
    keys, values = _cells(producers, usage, received)
    cell = keys[0] * (1 << 42) + keys[1] // BIN_MS
    unique, inverse = np.unique(cell, return_inverse=True)
    counters = np.zeros((len(unique), 4), dtype=np.int64)
    np.add.at(counters, (inverse, keys[2]), values)
    owner = unique >> 42
    starts = (unique & ((1 << 42) - 1)) * BIN_MS
    bounds = np.searchsorted(owner, np.arange(len(producers) + 1))
    return [ProducerUsage(
        p, BinSeries(starts[bounds[i]:bounds[i + 1]], counters[bounds[i]:bounds[i + 1]]),
        client_networks.get(p.id, 0), intra_province.get(p.id, 0), (flows or {}).get(p.id, 0))
        for i, p in enumerate(producers)]


def daily_bytes(usage: ProducerUsage) -> list[tuple[str, int]]:
    """Bytes sent per Tehran-local Jalali day (days with traffic), in order."""
    days: dict[str, int] = {}
    for start, sent in zip(usage.series.start_ms.tolist(), usage.series.sent.tolist(),
                           strict=True):
        day = jalali_date_text(start)
        days[day] = days.get(day, 0) + sent
    return sorted(days.items())
