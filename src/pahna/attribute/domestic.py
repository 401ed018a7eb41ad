"""Traffic class of a destination: domestic (in the list of Iranian prefixes in force at
the flow's time), international, or unknown (no list in force then)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from pahna.attribute.claims import ClaimIndex, TimedPrefix

_LIST, _NOTHING = "in-list", "list-in-force"


class DomesticIndex:
    """Effective-dated domestic prefix lists. Each list is (prefixes, from, to)."""

    def __init__(self, lists: Sequence[tuple[Sequence[TimedPrefix], int, int | None]]) -> None:
        claims: list[TimedPrefix] = []
        for prefixes, valid_from, valid_to in lists:
            claims += [TimedPrefix(_LIST, p.network, valid_from, valid_to) for p in prefixes]
        self._index = ClaimIndex.build(claims)
        self._coverage = [(valid_from, valid_to) for _, valid_from, valid_to in lists]

    @classmethod
    def empty(cls) -> DomesticIndex:
        return cls([])

    def classify(self, addresses: pa.Array | pa.ChunkedArray, times_ms: np.ndarray) -> np.ndarray:
        """Class index (into TRAFFIC_CLASSES) per address at its time."""
        inside = self._index.lookup(addresses, times_ms) >= 0
        covered = np.zeros(len(times_ms), dtype=bool)
        for valid_from, valid_to in self._coverage:
            upper = valid_to if valid_to is not None else np.iinfo(np.int64).max
            covered |= (times_ms >= valid_from) & (times_ms < upper)
        return np.where(inside, 0, np.where(covered, 1, 2)).astype(np.int8)
