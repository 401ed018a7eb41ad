"""Effective-dated claim index: which producer held an address at a given instant.

The address space is cut once into elementary ranges, each with its chain of covering
prefixes, most specific first (`ranges.cut_ranges`). A flow's owner is the first claim
in its range's chain that is valid at the flow's start time. For a batch, ranges whose
most specific claim is valid over the batch's whole time span are answered with one
gather; only flows in ranges where validity changes inside the span walk their chain,
vectorized level by level. No per-epoch table is ever rebuilt.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pahna.attribute.addresses import address_matrix, family_mask, v6_halves
from pahna.attribute.ranges import V4Ranges, V6Ranges, chain_matrix, cut_ranges

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FOREVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class TimedPrefix:
    owner: str
    network: Network
    valid_from_ms: int
    valid_to_ms: int | None  # exclusive; None is open-ended


class ClaimIndex:
    """Owner lookups over effective-dated prefix claims (IPv4 and IPv6)."""

    def __init__(self, owners: list[str], claims: Sequence[TimedPrefix]) -> None:
        self.owners = owners
        position = {owner: i for i, owner in enumerate(owners)}
        self.claim_owner = np.array([position[c.owner] for c in claims], dtype=np.int32)
        self.valid_from = np.array([c.valid_from_ms for c in claims], dtype=np.int64)
        self.valid_to = np.array([FOREVER if c.valid_to_ms is None else c.valid_to_ms
                                  for c in claims], dtype=np.int64)
        v4_starts, v4_chains = cut_ranges(_spans(claims, 4), 32)
        v6_starts, v6_chains = cut_ranges(_spans(claims, 6), 128)
        self.v4 = V4Ranges(np.array(v4_starts, dtype=np.uint32))
        self.v4_chains = chain_matrix(v4_chains)
        self.v6 = V6Ranges.from_starts(v6_starts)
        self.v6_chains = chain_matrix(v6_chains)

    @classmethod
    def build(cls, claims: Sequence[TimedPrefix]) -> ClaimIndex:
        owners = sorted({c.owner for c in claims})
        return cls(owners, list(claims))

    def lookup(self, addresses: pa.Array | pa.ChunkedArray, times_ms: np.ndarray) -> np.ndarray:
        """Owner index (into `owners`) per address at its time; -1 where unclaimed."""
        matrix = address_matrix(addresses)
        times = np.asarray(times_ms, dtype=np.int64)
        if len(self.claim_owner) == 0:
            return np.full(len(matrix), -1, dtype=np.int32)
        is_v4, keys = family_mask(matrix)
        # every row goes through the IPv4 path (cheaper than gathering the IPv4 rows
        # out); the IPv6 rows are then answered again, properly
        out = self.lookup_v4(keys, times)
        v6_rows = np.flatnonzero(~is_v4)
        if v6_rows.size:
            high, low = v6_halves(matrix, v6_rows)
            out[v6_rows] = self.resolve(self.v6_chains, self.v6.find(high, low),
                                        times[v6_rows])
        return out

    def lookup_v4(self, keys: np.ndarray, times_ms: np.ndarray) -> np.ndarray:
        """Owner index per IPv4 address given as uint32 keys."""
        if len(keys) == 0 or len(self.claim_owner) == 0:
            return np.full(len(keys), -1, dtype=np.int32)
        fast = self._steady(self.v4_chains, times_ms)
        out = self.v4.values(keys, fast)
        if (fast == -2).any():
            walk = np.flatnonzero(out == -2)
            if walk.size:
                ranges = self.v4.find(keys[walk])
                out[walk] = self._walk(self.v4_chains, ranges, times_ms[walk])
        return out

    def resolve(self, chains: np.ndarray, ranges: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Owner per flow from its range and time: the first valid claim of the chain."""
        if len(ranges) == 0:
            return np.empty(0, dtype=np.int32)
        fast = self._steady(chains, times)
        out = fast[ranges]
        if (fast == -2).any():
            walk = np.flatnonzero(out == -2)
            if walk.size:
                out[walk] = self._walk(chains, ranges[walk], times[walk])
        return out

    def _steady(self, chains: np.ndarray, times: np.ndarray) -> np.ndarray:
        """Per range: the owner when its most specific claim is valid over the whole span
        of `times`, -1 when nobody claims it, -2 when flows must walk the chain."""
        first = chains[:, 0]
        safe = np.maximum(first, 0)
        steady = ((self.valid_from[safe] <= times.min())
                  & (self.valid_to[safe] > times.max()))
        return np.where(first < 0, -1, np.where(steady, self.claim_owner[safe], -2)).astype(
            np.int32)

    def _walk(self, chains: np.ndarray, ranges: np.ndarray, times: np.ndarray) -> np.ndarray:
        out = np.full(len(ranges), -1, dtype=np.int32)
        pending = np.arange(len(ranges))
        for depth in range(chains.shape[1]):
            claim = chains[ranges[pending], depth]
            present = claim >= 0
            safe = np.maximum(claim, 0)
            at = times[pending]
            valid = present & (self.valid_from[safe] <= at) & (self.valid_to[safe] > at)
            out[pending[valid]] = self.claim_owner[safe[valid]]
            pending = pending[present & ~valid]
            if not pending.size:
                break
        return out

    def owner_column(self, addresses: pa.Array | pa.ChunkedArray, times_ms: np.ndarray) -> pa.Array:
        """The owner id per address, as a dictionary-encoded Arrow column (null = none)."""
        index = self.lookup(addresses, times_ms)
        dictionary = pa.array(self.owners, pa.string())
        indices = pa.array(index, pa.int32(), mask=index < 0)
        return pa.DictionaryArray.from_arrays(indices, dictionary)


def _spans(claims: Sequence[TimedPrefix], version: int) -> list[tuple[int, int, int]]:
    return [
        (int(c.network.network_address), int(c.network.network_address) + c.network.num_addresses,
         i)
        for i, c in enumerate(claims)
        if c.network.version == version
    ]
