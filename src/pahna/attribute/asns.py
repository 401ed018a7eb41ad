"""AS-number attribution: flows that carry a source AS (src_as != 0) and match no
prefix claim go to the producer holding that AS number at the flow's time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FOREVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class TimedAsn:
    owner: int  # index into the rules' owner list
    asn: int
    valid_from_ms: int
    valid_to_ms: int | None


class AsnIndex:
    def __init__(self, claims: Sequence[TimedAsn]) -> None:
        ordered = sorted(claims, key=lambda c: (c.asn, c.valid_from_ms))
        self.asns = np.array([c.asn for c in ordered], dtype=np.int64)
        self.owner = np.array([c.owner for c in ordered], dtype=np.int32)
        self.valid_from = np.array([c.valid_from_ms for c in ordered], dtype=np.int64)
        self.valid_to = np.array([FOREVER if c.valid_to_ms is None else c.valid_to_ms
                                  for c in ordered], dtype=np.int64)

    def lookup(self, asns: np.ndarray, times_ms: np.ndarray) -> np.ndarray:
        """Owner index per AS number at its time; -1 where nobody holds it (or AS 0)."""
        out = np.full(len(asns), -1, dtype=np.int32)
        if not len(self.asns):
            return out
        keys = asns.astype(np.int64)
        position = np.searchsorted(self.asns, keys, side="left")
        end = np.searchsorted(self.asns, keys, side="right")
        pending = np.flatnonzero((end > position) & (keys != 0))
        while pending.size:
            at, when = position[pending], times_ms[pending]
            valid = (self.valid_from[at] <= when) & (self.valid_to[at] > when)
            out[pending[valid]] = self.owner[at[valid]]
            position[pending] += 1
            pending = pending[~valid & (position[pending] < end[pending])]
        return out
