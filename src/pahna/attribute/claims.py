"""Effective-dated claim index: which producer held an address at a given instant.

Claim validity splits time into epochs at every instant a claim starts or ends; each
epoch has its own pair of range tables (IPv4, IPv6), built on first use. A flow is
matched against the epoch its start time falls in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from pahna.attribute.addresses import address_matrix, split_families
from pahna.attribute.ranges import Network, RangeTable, build_table


@dataclass(frozen=True)
class TimedPrefix:
    owner: str
    network: Network
    valid_from_ms: int
    valid_to_ms: int | None  # exclusive; None is open-ended


@dataclass
class ClaimIndex:
    owners: list[str]
    claims: Sequence[TimedPrefix]
    instants: np.ndarray = field(init=False)
    _tables: dict[int, tuple[RangeTable, RangeTable]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        points = {c.valid_from_ms for c in self.claims}
        points |= {c.valid_to_ms for c in self.claims if c.valid_to_ms is not None}
        self.instants = np.array(sorted(points), dtype=np.int64)

    @classmethod
    def build(cls, claims: Sequence[TimedPrefix]) -> ClaimIndex:
        owners = sorted({c.owner for c in claims})
        return cls(owners, list(claims))

    def _epoch_tables(self, epoch: int) -> tuple[RangeTable, RangeTable]:
        if epoch not in self._tables:
            at = int(self.instants[epoch]) if epoch >= 0 else -(2**62)
            position = {owner: i for i, owner in enumerate(self.owners)}
            live = [
                (c.network, position[c.owner])
                for c in self.claims
                if c.valid_from_ms <= at and (c.valid_to_ms is None or at < c.valid_to_ms)
            ]
            self._tables[epoch] = (build_table(live, 4), build_table(live, 6))
        return self._tables[epoch]

    def lookup(self, addresses: pa.Array | pa.ChunkedArray, times_ms: np.ndarray) -> np.ndarray:
        """Owner index (into `owners`) per address at its time; -1 where unclaimed."""
        matrix = address_matrix(addresses)
        is_v4, v4_keys, v6_keys = split_families(matrix)
        epochs = np.searchsorted(self.instants, times_ms, side="right") - 1
        out = np.full(len(matrix), -1, dtype=np.int32)
        v4_rows, v6_rows = np.flatnonzero(is_v4), np.flatnonzero(~is_v4)
        for epoch in np.unique(epochs):
            table4, table6 = self._epoch_tables(int(epoch))
            in4 = epochs[v4_rows] == epoch
            out[v4_rows[in4]] = table4.lookup(v4_keys[in4])
            in6 = epochs[v6_rows] == epoch
            out[v6_rows[in6]] = table6.lookup(v6_keys[in6])
        return out

    def owner_column(self, addresses: pa.Array | pa.ChunkedArray, times_ms: np.ndarray) -> pa.Array:
        """The owner id per address, as a dictionary-encoded Arrow column (null = none)."""
        index = self.lookup(addresses, times_ms)
        dictionary = pa.array(self.owners, pa.string())
        indices = pa.array(index, pa.int32(), mask=index < 0)
        return pa.DictionaryArray.from_arrays(indices, dictionary)
