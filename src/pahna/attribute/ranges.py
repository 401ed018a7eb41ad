"""Nested prefixes flattened to disjoint, sorted address ranges with one owner each.

Longest-prefix match over nested prefixes equals a lookup in the flat partition of the
address space where each piece belongs to the most specific prefix covering it, so a
whole batch is matched with one ``np.searchsorted``. IPv4 lives in its own table of
uint32 keys (fast path); IPv6 uses 16-byte big-endian keys, ordered like the addresses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class RangeTable:
    """Sorted range starts (covering the whole space) and the owner of each range."""

    starts: np.ndarray  # uint32 for IPv4, 'S16' for IPv6
    owners: np.ndarray  # int32, -1 where nobody claims

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        index = np.searchsorted(self.starts, keys, side="right") - 1
        return self.owners[index]


def flatten(prefixes: Sequence[tuple[Network, int]], bits: int) -> list[tuple[int, int]]:
    """(network, owner) pairs -> [(range start, owner)], most specific prefix winning.

    Ranges cover [0, 2**bits) from 0; owner -1 means unclaimed. When two equal prefixes
    appear, the later one wins (the registry forbids that across producers).
    """
    ordered = sorted(prefixes, key=lambda p: (int(p[0].network_address), p[0].prefixlen))
    out: list[tuple[int, int]] = [(0, -1)]
    stack: list[tuple[int, int]] = []  # (end exclusive, owner) of enclosing prefixes

    def emit(start: int, owner: int) -> None:
        if out[-1][0] == start:
            out[-1] = (start, owner)
        elif out[-1][1] != owner:
            out.append((start, owner))

    for network, owner in ordered:
        start = int(network.network_address)
        end = start + network.num_addresses
        while stack and stack[-1][0] <= start:  # close prefixes that ended before this one
            closed_end, _ = stack.pop()
            emit(closed_end, stack[-1][1] if stack else -1)
        emit(start, owner)
        stack.append((end, owner))
    while stack:
        closed_end, _ = stack.pop()
        if closed_end < 2**bits:
            emit(closed_end, stack[-1][1] if stack else -1)
    return out


def build_table(prefixes: Sequence[tuple[Network, int]], version: int) -> RangeTable:
    bits = 32 if version == 4 else 128
    flat = flatten([p for p in prefixes if p[0].version == version], bits)
    owners = np.array([owner for _, owner in flat], dtype=np.int32)
    if version == 4:
        starts = np.array([start for start, _ in flat], dtype=np.uint32)
    else:
        starts = np.array([start.to_bytes(16, "big") for start, _ in flat], dtype="S16")
    return RangeTable(starts, owners)
