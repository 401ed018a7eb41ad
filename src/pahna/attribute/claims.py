"""Effective-dated claim index: which producer held an address at a given instant.

The address space is cut once into elementary ranges, each with its chain of covering
prefixes, most specific first (`ranges.cut_ranges`). A flow's owner is the first claim
in its range's chain that is valid at the flow's start time. For a batch, ranges whose
most specific claim is valid over the batch's whole time span are answered with two
gathers (the range, then its answer for the span); only flows in ranges where validity
changes inside the span walk their chain, vectorized level by level. No per-epoch table
is ever rebuilt.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pahna.attribute.addresses import address_matrix, ipv4_keys, ipv6_rows
from pahna.attribute.ranges import V4Ranges, V6Ranges, chain_matrix, cut_ranges

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FOREVER = np.iinfo(np.int64).max
LOOKUP_ROWS = 1 << 17
"""Rows looked up together: a chunk's temporaries stay in the core's cache."""
STEADY_SPAN_MS = 86_400_000


@dataclass(frozen=True)
class TimedPrefix:
    owner: str
    network: Network
    valid_from_ms: int
    valid_to_ms: int | None  # exclusive; None is open-ended


@dataclass(frozen=True)
class FirstClaims:
    """Per elementary range, its most specific claim's validity and owner (a range
    nobody claims: valid forever, owner -1)."""

    valid_from: np.ndarray  # int64
    valid_to: np.ndarray  # int64, exclusive
    owner: np.ndarray  # int32


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
        self.v4_first = self._first_claims(self.v4_chains)
        self.v6_first = self._first_claims(self.v6_chains)

    def _first_claims(self, chains: np.ndarray) -> FirstClaims:
        first = chains[:, 0]  # -1 (nobody) picks the sentinel appended last
        return FirstClaims(np.append(self.valid_from, np.iinfo(np.int64).min)[first],
                           np.append(self.valid_to, FOREVER)[first],
                           np.append(self.claim_owner, np.int32(-1))[first])

    @classmethod
    def build(cls, claims: Sequence[TimedPrefix]) -> ClaimIndex:
        owners = sorted({c.owner for c in claims})
        return cls(owners, list(claims))

    def lookup(self, addresses: pa.Array | pa.ChunkedArray, times_ms: np.ndarray) -> np.ndarray:
        """Owner index (into `owners`) per address at its time; -1 where unclaimed."""
        matrix = address_matrix(addresses)
        times = np.asarray(times_ms, dtype=np.int64)
        out = np.full(len(matrix), -1, dtype=np.int32)
        if len(matrix) == 0 or len(self.claim_owner) == 0:
            return out
        self.v4.prepare(len(matrix))
        steady = (self._steady(self.v4_first, times), self._steady(self.v6_first, times))
        for begin in range(0, len(matrix), LOOKUP_ROWS):
            rows = slice(begin, begin + LOOKUP_ROWS)
            self._lookup_rows(matrix[rows], times[rows], steady, out[rows])
        return out

    def _lookup_rows(self, matrix: np.ndarray, times: np.ndarray,
                     steady: tuple[np.ndarray, np.ndarray], out: np.ndarray) -> None:
        """Answer one chunk of rows into `out`. Every row takes the IPv4 path (cheaper
        than gathering the IPv4 rows out); the IPv6 rows are then answered again."""
        self._resolve_v4(ipv4_keys(matrix), times, steady[0], out)
        rows = ipv6_rows(matrix)
        if rows.size:
            found = np.empty(rows.size, dtype=np.int32)
            ranges = self.v6.find(matrix.view(">u8"), rows)
            self._resolve(self.v6_chains, ranges, times[rows], steady[1], found)
            out[rows] = found

    def lookup_v4(self, keys: np.ndarray, times_ms: np.ndarray) -> np.ndarray:
        """Owner index per IPv4 address given as uint32 keys."""
        keys = np.asarray(keys, dtype=np.uint32)
        times = np.asarray(times_ms, dtype=np.int64)
        out = np.full(len(keys), -1, dtype=np.int32)
        if len(keys) == 0 or len(self.claim_owner) == 0:
            return out
        self.v4.prepare(len(keys))
        steady = self._steady(self.v4_first, times)
        for begin in range(0, len(keys), LOOKUP_ROWS):
            rows = slice(begin, begin + LOOKUP_ROWS)
            self._resolve_v4(keys[rows], times[rows], steady, out[rows])
        return out

    def _resolve_v4(self, keys: np.ndarray, times: np.ndarray, steady: np.ndarray,
                    out: np.ndarray) -> None:
        self._resolve(self.v4_chains, self.v4.find(keys), times, steady, out)

    def _resolve(self, chains: np.ndarray, ranges: np.ndarray, times: np.ndarray,
                 steady: np.ndarray, out: np.ndarray) -> None:
        """Owner per flow from its range and time into `out`: the steady owner of its
        range, or (-2) the first claim of the chain valid at the flow's time."""
        np.take(steady, ranges, out=out)
        walk = np.flatnonzero(out == -2)
        if walk.size:
            out[walk] = self._walk(chains, ranges[walk], times[walk])

    def _steady(self, first: FirstClaims, times: np.ndarray) -> np.ndarray:
        """Per range: the owner when its most specific claim is valid over the whole span
        of `times` (-1 when nobody claims it), else -2: its flows walk the chain. The span
        is widened to whole days, so batches of the same days share the answer (and the
        DIR-24-8 table of values built from it)."""
        begin = int(times.min()) // STEADY_SPAN_MS * STEADY_SPAN_MS
        end = (int(times.max()) // STEADY_SPAN_MS + 1) * STEADY_SPAN_MS
        steady = (first.valid_from <= begin) & (first.valid_to >= end)
        return np.where(steady, first.owner, -2).astype(np.int32)

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
