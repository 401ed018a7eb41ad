"""Metering points in the kernel: a producer with metering points counts only the flows
observed at one of them, so a flow that two routers export counts once. Producers
without metering points count every flow.

A point is (exporter, interface, direction, validity). A flow is seen at it when it
comes from that exporter, at an instant inside the validity, and:
- its flowDirection is known (0 ingress, 1 egress) and equals the point's direction, on
  the interface of that direction (input interface for ingress, output for egress);
- or its direction is unknown (255: NetFlow v5, sFlow, IPFIX/v9 templates without
  flowDirection) and the interface the point's direction names (input for an ingress
  point, output for an egress point) is the point's interface.

What the filter drops is counted by reason (flows and sampling-scaled bytes of the
flows starting in `count_window`, set by whoever reads the counts; see `pahna usage`):
`exporter_not_metered` (the producer has no point on that exporter), `interface_not_metered`
(no point on that exporter matches the flow's interface and direction),
`outside_validity` (a point matches, but not at the flow's instant).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pahna.attribute.addresses import address_matrix

INGRESS, EGRESS, UNKNOWN = 0, 1, 255  # IPFIX flowDirection
FOREVER = np.iinfo(np.int64).max
REASONS = ("exporter_not_metered", "interface_not_metered", "outside_validity")
_KEY = np.dtype([("o", "<i4"), ("e", "V16"), ("i", "<i8"), ("d", "u1")])


@dataclass(frozen=True)
class TimedPoint:
    owner: int  # index into the rules' owner list
    exporter: bytes  # 16-byte address (IPv4-mapped for IPv4)
    interface: int
    direction: int  # INGRESS or EGRESS
    valid_from_ms: int
    valid_to_ms: int | None


class MeteringFilter:
    def __init__(self, points: Sequence[TimedPoint], owners: int) -> None:
        self.metered = np.zeros(max(owners, 1), dtype=bool)
        self.windows: dict[tuple[int, bytes, int, int], list[tuple[int, int]]] = {}
        self.exporters: set[tuple[int, bytes]] = set()
        for p in points:
            self.metered[p.owner] = True
            end = FOREVER if p.valid_to_ms is None else p.valid_to_ms
            key = (p.owner, p.exporter, p.interface, p.direction)
            self.windows.setdefault(key, []).append((p.valid_from_ms, end))
            self.exporters.add((p.owner, p.exporter))
        self.count_window: tuple[int, int] | None = None
        self.dropped_flows: Counter[str] = Counter()
        self.dropped_bytes: Counter[str] = Counter()
        self._counting = threading.Lock()

    def __getstate__(self) -> dict[str, object]:  # shipped to Spark's executors: no lock
        return {name: value for name, value in vars(self).items() if name != "_counting"}

    def __setstate__(self, state: dict[str, object]) -> None:
        vars(self).update(state)
        self._counting = threading.Lock()

    def keep(self, batch: pa.RecordBatch, owner: np.ndarray, times_ms: np.ndarray,
             count: bool = True) -> np.ndarray:
        """Mask of flows that count: unmetered owners, or seen at a metering point. What
        is dropped is added to the counters when `count` (the sending side)."""
        keep = np.ones(len(owner), dtype=bool)
        rows = np.flatnonzero((owner >= 0) & self.metered[np.maximum(owner, 0)])
        if not rows.size:
            return keep
        keep[rows] = False
        if "exporter" not in batch.schema.names:
            if count:
                self._count(batch, rows, np.full(len(rows), 0), times_ms)
            return keep
        direction = _column(batch, "direction", rows, np.uint8, UNKNOWN)
        input_if = _column(batch, "input_if", rows, np.int64, 0)
        output_if = _column(batch, "output_if", rows, np.int64, 0)
        exporters = address_matrix(batch.column("exporter"))[rows].view("V16").ravel()
        known = direction != UNKNOWN
        reason = self._metered_exporter(owner[rows], exporters).astype(np.int64)
        # known direction: one try; unknown: as an ingress point, then as an egress one
        for tried, interface, as_direction in (
                (known, np.where(direction == EGRESS, output_if, input_if), direction),
                (~known, input_if, np.full(len(rows), INGRESS, np.uint8)),
                (~known, output_if, np.full(len(rows), EGRESS, np.uint8))):
            picked = np.flatnonzero(tried)
            seen, matched = self._seen(owner[rows[picked]], exporters[picked],
                                       interface[picked], as_direction[picked],
                                       times_ms[rows[picked]])
            keep[rows[picked]] |= seen
            reason[picked[matched]] = 2
        if count:
            self._count(batch, rows[~keep[rows]], reason[~keep[rows]], times_ms)
        return keep

    def _metered_exporter(self, owner: np.ndarray, exporter: np.ndarray) -> np.ndarray:
        """Per row: has the owner a metering point on this exporter at all?"""
        pairs = np.zeros(len(owner), dtype=[("o", "<i4"), ("e", "V16")])
        pairs["o"], pairs["e"] = owner, exporter
        combos, inverse = np.unique(pairs, return_inverse=True)
        known = np.array([(int(c["o"]), bytes(c["e"])) in self.exporters for c in combos],
                         dtype=bool)
        return known[inverse.ravel()] if len(owner) else np.zeros(0, dtype=bool)

    def _seen(self, owner: np.ndarray, exporter: np.ndarray, interface: np.ndarray,
              direction: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(seen at a point in its validity, matched a point at all) per row."""
        seen = np.zeros(len(owner), dtype=bool)
        matched = np.zeros(len(owner), dtype=bool)
        if not len(owner):
            return seen, matched
        record = np.zeros(len(owner), dtype=_KEY)
        record["o"], record["e"], record["i"], record["d"] = owner, exporter, interface, direction
        combos, inverse = np.unique(record, return_inverse=True)
        order = np.argsort(inverse.ravel(), kind="stable")
        bounds = np.searchsorted(inverse.ravel()[order], np.arange(len(combos) + 1))
        for k, combo in enumerate(combos):
            windows = self.windows.get((int(combo["o"]), bytes(combo["e"]), int(combo["i"]),
                                        int(combo["d"])))
            if not windows:
                continue
            members = order[bounds[k] : bounds[k + 1]]
            matched[members] = True
            for start, end in windows:
                seen[members] |= (at[members] >= start) & (at[members] < end)
        return seen, matched

    def _count(self, batch: pa.RecordBatch, rows: np.ndarray, reason: np.ndarray,
               times_ms: np.ndarray) -> None:
        """Add the dropped rows (in the counting window) to the counters, by reason."""
        if self.count_window is None or not rows.size:
            return
        start, end = self.count_window
        inside = (times_ms[rows] >= start) & (times_ms[rows] < end)
        scaled = (_column(batch, "bytes", rows, np.uint64, 0).astype(object)
                  * np.maximum(_column(batch, "sampling_rate", rows, np.uint64, 1), 1))
        for code, name in enumerate(REASONS):
            chosen = inside & (reason == code)
            flows, dropped = int(chosen.sum()), int(sum(scaled[chosen]))
            with self._counting:  # batches may be attributed in several threads
                self.dropped_flows[name] += flows
                self.dropped_bytes[name] += dropped


def _column(batch: pa.RecordBatch, name: str, rows: np.ndarray, dtype: type,
            missing: int) -> np.ndarray:
    if name not in batch.schema.names:
        return np.full(len(rows), missing, dtype=dtype)
    return batch.column(name).to_numpy(zero_copy_only=False)[rows].astype(dtype)
