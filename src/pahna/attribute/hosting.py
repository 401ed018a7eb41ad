"""Hosting space: whether a client address (or its AS number) was in a hosting or
data-centre list in force at an instant. The lists themselves, effective-dated versions
of prefixes and AS numbers, are integrity's (`integrity.hosting`)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pyarrow as pa

from pahna.attribute.asns import AsnIndex, TimedAsn
from pahna.attribute.claims import ClaimIndex, TimedPrefix


class HostingSpan(Protocol):
    """A list version: its prefixes and AS numbers, in force over [from, to)."""

    @property
    def valid_from_ms(self) -> int: ...
    @property
    def valid_to_ms(self) -> int | None: ...
    @property
    def prefixes(self) -> tuple[str, ...]: ...
    @property
    def asns(self) -> tuple[int, ...]: ...


class HostingIndex:
    """Whether a client address (or its AS number) was in hosting space at an instant."""

    def __init__(self, versions: Sequence[HostingSpan]) -> None:
        self._prefixes = ClaimIndex.build([
            TimedPrefix("hosting", ipaddress.ip_network(p), v.valid_from_ms, v.valid_to_ms)
            for v in versions for p in v.prefixes])
        timed = [TimedAsn(0, a, v.valid_from_ms, v.valid_to_ms)
                 for v in versions for a in v.asns]
        self._asns = AsnIndex(timed) if timed else None

    @property
    def has_asns(self) -> bool:
        """Whether any version lists AS numbers (then `contains` reads them)."""
        return self._asns is not None

    def contains(self, addresses: pa.Array | pa.ChunkedArray, asns: np.ndarray | None,
                 times_ms: np.ndarray) -> np.ndarray:
        inside: np.ndarray = self._prefixes.lookup(addresses, times_ms) >= 0
        if self._asns is not None and asns is not None:
            inside |= self._asns.lookup(asns, times_ms) >= 0
        return inside
