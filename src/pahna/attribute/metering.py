"""Metering points in the kernel: a producer with metering points counts only the flows
observed at one of them (exporter, interface, direction), so a flow that two routers
export counts once. Producers without metering points count every flow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pahna.attribute.addresses import address_matrix

INGRESS, EGRESS = 0, 1  # IPFIX flowDirection
FOREVER = np.iinfo(np.int64).max


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
        for p in points:
            self.metered[p.owner] = True
            end = FOREVER if p.valid_to_ms is None else p.valid_to_ms
            key = (p.owner, p.exporter, p.interface, p.direction)
            self.windows.setdefault(key, []).append((p.valid_from_ms, end))

    def keep(self, batch: pa.RecordBatch, owner: np.ndarray, times_ms: np.ndarray) -> np.ndarray:
        """Mask of flows that count: unmetered owners, or seen at a metering point."""
        keep = np.ones(len(owner), dtype=bool)
        rows = np.flatnonzero((owner >= 0) & self.metered[np.maximum(owner, 0)])
        if not rows.size:
            return keep
        keep[rows] = False
        if "exporter" not in batch.schema.names:
            return keep
        direction = _column(batch, "direction", rows, np.uint8, 255)
        interface = np.where(direction == EGRESS, _column(batch, "output_if", rows, np.int64, 0),
                             _column(batch, "input_if", rows, np.int64, 0))
        exporters = address_matrix(batch.column("exporter"))[rows]
        record = np.zeros(len(rows), dtype=[("o", "<i4"), ("e", "V16"), ("i", "<i8"),
                                            ("d", "u1")])
        record["o"], record["e"] = owner[rows], exporters.view("V16").ravel()
        record["i"], record["d"] = interface, direction
        combos, inverse = np.unique(record, return_inverse=True)
        order = np.argsort(inverse.ravel(), kind="stable")
        bounds = np.searchsorted(inverse.ravel()[order], np.arange(len(combos) + 1))
        for k, combo in enumerate(combos):
            windows = self.windows.get((int(combo["o"]), bytes(combo["e"]), int(combo["i"]),
                                        int(combo["d"])))
            if not windows:
                continue
            members = order[bounds[k]:bounds[k + 1]]
            at = times_ms[rows[members]]
            inside = np.zeros(len(members), dtype=bool)
            for start, end in windows:
                inside |= (at >= start) & (at < end)
            keep[rows[members]] = inside
        return keep


def _column(batch: pa.RecordBatch, name: str, rows: np.ndarray, dtype: type,
            missing: int) -> np.ndarray:
    if name not in batch.schema.names:
        return np.full(len(rows), missing, dtype=dtype)
    return batch.column(name).to_numpy(zero_copy_only=False)[rows].astype(dtype)
