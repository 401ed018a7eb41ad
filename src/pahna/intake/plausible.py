"""What a decoded record must be to be stored, and the reason a datagram is rejected when
one of its records is not.

Rules are checked on whole columns after decoding; a datagram with any record that
breaks one is rejected whole (for quarantine, with its bytes and the first rule it
broke), so a datagram is either stored entirely or not at all.

- ``implausible_time``: a start or end outside what exporters' clocks can express:
  from 2^32 ms before the epoch (a 32-bit seconds clock at 0, less the 49.7 days a 32-bit
  millisecond uptime reaches back) to 2^32 s after it (the last second a 32-bit seconds
  clock shows, 2106-02-07). 64-bit time elements can say anything; such values are noise
  or hostile, and they cannot be placed in a day of the store.
- ``implausible_sampling``: a sampling rate that does not fit 32 bits (the decoders mark
  it 0), so the sampled counters could not be scaled.
- ``implausible_counter``: bytes or packets which, scaled by the sampling rate, pass
  MAX_SCALED_COUNT = 2^50 (about 1.13 PB: more than a 100 Gbit/s link carries in a whole
  day, 1.08 PB). No real record comes near it, and with it a month's sums stay far below
  2^63 however many records it holds, so one absurd counter cannot break a month.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

EARLIEST_MS = -(2**32)
LATEST_MS = 2**32 * 1000
MAX_SCALED_COUNT = 2**50


def broken_rules(flows: pa.Table) -> list[tuple[str, np.ndarray]]:
    """(reason, mask of rows that break it) for every rule some row breaks."""
    if not flows.num_rows:
        return []
    start = flows.column("start_ms").to_numpy()
    end = flows.column("end_ms").to_numpy()
    rules = [
        ("implausible_time", (start < EARLIEST_MS) | (start > LATEST_MS) | (end < EARLIEST_MS)
         | (end > LATEST_MS)),
        ("implausible_sampling", flows.column("sampling_rate").to_numpy() == 0),
        ("implausible_counter", _counter_past_bound(flows)),
    ]
    return [(reason, mask) for reason, mask in rules if mask.any()]


def _counter_past_bound(flows: pa.Table) -> np.ndarray:
    """Rows whose bytes or packets times max(sampling rate, 1) pass MAX_SCALED_COUNT
    (compared as count > bound // rate, so nothing is multiplied and nothing wraps)."""
    rate = np.maximum(flows.column("sampling_rate").to_numpy().astype(np.uint64), 1)
    limit = np.uint64(MAX_SCALED_COUNT) // rate
    past = np.zeros(flows.num_rows, dtype=bool)
    for name in ("bytes", "packets"):
        past |= flows.column(name).to_numpy().astype(np.uint64) > limit
    return past
