"""Nested prefixes cut into disjoint elementary ranges, each with its chain of covering
prefixes (most specific first).

Longest-prefix match is then: find the range holding the address with one vectorized
search, and take the first prefix of its chain that is valid at the flow's time (see
`claims.ClaimIndex`). The cut ignores time, so it is built once, not per epoch.

IPv4 ranges are found through a DIR-24-8 table (one gather per key, a second for the
few /24 blocks that hold a range boundary) when a batch is large, else a binary search;
IPv6 ranges by a binary search on the high 64 bits, refined on the full 128 bits only
where a range boundary falls inside a /64.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

DIR_MIN_KEYS = 1 << 16
"""Batches with at least this many IPv4 keys use (and build) the DIR-24-8 table."""
DIR_MIN_RANGES = 32
"""...when there are at least this many ranges: over fewer, a binary search costs a few
steps a key, without the table's 64 MB and its building (hosting lists and the month's
changed claims are a handful of ranges)."""
_BUILDING = threading.Lock()
"""Held while a DIR-24-8 table is built, so threads attributing batches build it once."""


def cut_ranges(prefixes: Sequence[tuple[int, int, int]], bits: int
               ) -> tuple[list[int], list[tuple[int, ...]]]:
    """(start, end exclusive, claim id) triples -> (range starts, chain per range).

    Ranges cover [0, 2**bits) from 0; a chain lists the claims covering the range, most
    specific first (an empty chain: nobody claims it).
    """
    ordered = sorted(prefixes, key=lambda p: (p[0], -(p[1] - p[0])))
    starts: list[int] = [0]
    chains: list[tuple[int, ...]] = [()]
    stack: list[tuple[int, int]] = []  # (end, claim id) of the prefixes open here

    def emit(position: int) -> None:
        chain = tuple(claim for _, claim in reversed(stack))
        if starts[-1] == position:
            chains[-1] = chain
        elif chains[-1] != chain:
            starts.append(position)
            chains.append(chain)

    for start, end, claim in ordered:
        while stack and stack[-1][0] <= start:
            closed, _ = stack.pop()
            emit(closed)
        stack.append((end, claim))
        emit(start)
    while stack:
        closed, _ = stack.pop()
        if closed < 2**bits:
            emit(closed)
    return starts, chains


def chain_matrix(chains: list[tuple[int, ...]]) -> np.ndarray:
    """Chains as an (ranges, depth) int32 matrix padded with -1."""
    depth = max((len(c) for c in chains), default=0) or 1
    out = np.full((len(chains), depth), -1, dtype=np.int32)
    for row, chain in enumerate(chains):
        out[row, : len(chain)] = chain
    return out


@dataclass
class V4Ranges:
    starts: np.ndarray  # uint32, sorted, starts[0] == 0
    _dir24: np.ndarray | None = field(default=None, repr=False)
    _dir8: np.ndarray | None = field(default=None, repr=False)

    def prepare(self, count: int) -> None:
        """Build the DIR-24-8 table (64 MB, once, whatever the threads asking) when a
        batch of `count` keys is large; from then on every batch uses it."""
        if self._dir24 is None and count >= DIR_MIN_KEYS and len(self.starts) >= DIR_MIN_RANGES:
            with _BUILDING:
                if self._dir24 is None:
                    self._build_dir()

    def find(self, keys: np.ndarray) -> np.ndarray:
        """Range index per uint32 key (int32): one gather from the DIR-24-8 table once it
        is built (a second for keys in the few /24 blocks split by a range boundary),
        else a binary search."""
        if self._dir24 is None or self._dir8 is None:
            return np.searchsorted(self.starts, keys, side="right").astype(np.int32) - 1
        found = np.take(self._dir24, np.right_shift(keys, 8, dtype=np.intp))
        split = np.flatnonzero(found < 0)
        if split.size:
            slot = (-1 - found[split].astype(np.intp)) * 256
            found[split] = np.take(self._dir8, slot + (keys[split] & 0xFF))
        return found

    def _build_dir(self) -> None:
        starts = self.starts.astype(np.int64)
        first_block = (starts + 255) >> 8  # first /24 whose base address is in the range
        counts = np.diff(np.append(first_block, 1 << 24))
        table = np.repeat(np.arange(len(starts), dtype=np.int32), counts)
        blocks = np.unique(starts[(starts & 0xFF) != 0] >> 8)
        bases = (blocks[:, None] << 8) + np.arange(256)[None, :]
        inner = np.searchsorted(starts, bases.ravel(), side="right") - 1
        table[blocks] = -1 - np.arange(len(blocks), dtype=np.int32)
        self._dir8 = inner.astype(np.int32)
        self._dir24 = table  # last: `find` uses the tables once this one is set

    def __getstate__(self) -> dict[str, object]:  # ship without the 64 MB tables
        return {"starts": self.starts, "_dir24": None, "_dir8": None}


@dataclass(frozen=True)
class V6Ranges:
    high: np.ndarray  # uint64 high halves of the range starts
    low: np.ndarray  # uint64 low halves
    full: np.ndarray  # 'S16' big-endian starts, for the refinement

    @classmethod
    def from_starts(cls, starts: list[int]) -> V6Ranges:
        high = np.array([s >> 64 for s in starts], dtype=np.uint64)
        low = np.array([s & (2**64 - 1) for s in starts], dtype=np.uint64)
        full = np.array([s.to_bytes(16, "big") for s in starts], dtype="S16")
        return cls(high, low, full)

    def find(self, halves: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Range index per address in `rows` of `halves`, the (n, 2) big-endian 64-bit
        view ('>u8') of the address matrix."""
        high = halves[rows, 0].astype(np.uint64)
        found = _search_sorted_first(self.high, high)
        if not self.low.any():  # no range starts inside a /64: the high half decides
            return found
        # ranges sharing the key's high half: only a start above the key's low half
        # means the answer lies further back (a boundary inside this /64)
        low = halves[rows, 1].astype(np.uint64)
        tie = np.flatnonzero((self.high[found] == high) & (self.low[found] > low))
        if tie.size:
            keys = np.ascontiguousarray(halves[rows[tie]])
            found[tie] = np.searchsorted(self.full, keys.view("S16").ravel(),
                                         side="right") - 1
        return found


def _search_sorted_first(starts: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Index of the last start <= key, per key (int32). A large batch of keys is sorted
    first: a binary search over keys in order hits the cache, one at random does not."""
    if len(keys) < 4096:
        return np.searchsorted(starts, keys, side="right").astype(np.int32) - 1
    order = np.argsort(keys)
    found = np.empty(len(keys), dtype=np.int32)
    found[order] = np.searchsorted(starts, keys[order], side="right") - 1
    return found
