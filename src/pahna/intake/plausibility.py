"""Counters no link can produce: quarantined at intake, so one absurd record cannot break
a month's sums.

A flow record whose bytes or packets, scaled by its sampling rate, exceed
MAX_SCALED_COUNT is not stored: it is kept in quarantine with the reason
`implausible_counter` and counted per exporter. The bound is 2^50 (about 1.13 PB): more
than a 100 Gbit/s link carries in a whole day (1.08 PB), so no real record comes near
it, and a month's sums stay far below 2^63 however many records it holds.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

MAX_SCALED_COUNT = 2**50
REASON = "implausible_counter"


def implausible_rows(flows: pa.Table) -> np.ndarray:
    """Mask of records whose bytes or packets times max(sampling rate, 1) pass the bound
    (compared as count > bound // rate, so nothing is multiplied and nothing wraps)."""
    if flows.num_rows == 0:
        return np.zeros(0, dtype=bool)
    rate = np.maximum(flows.column("sampling_rate").to_numpy().astype(np.uint64), 1)
    limit = np.uint64(MAX_SCALED_COUNT) // rate
    mask = np.zeros(flows.num_rows, dtype=bool)
    for name in ("bytes", "packets"):
        mask |= flows.column(name).to_numpy().astype(np.uint64) > limit
    return mask


def split_implausible(flows: pa.Table) -> tuple[pa.Table, pa.Table]:
    """(records kept, records with an implausible counter)."""
    mask = implausible_rows(flows)
    if not mask.any():
        return flows, flows.slice(0, 0)
    return flows.filter(pa.array(~mask)), flows.filter(pa.array(mask))
