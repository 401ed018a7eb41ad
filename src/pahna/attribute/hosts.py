"""Host-name attribution for web logs: a request's host goes to the producer holding an
exact claim on it, else the longest `*.domain` claim covering it, valid at its time.

Matching runs once per distinct host name in the batch (a dictionary encoding), then the
validity times are checked per row, vectorized."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

FOREVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class TimedHost:
    owner: int  # index into the rules' owner list
    pattern: str  # www.example.ir or *.example.ir
    valid_from_ms: int
    valid_to_ms: int | None


class HostIndex:
    def __init__(self, claims: Sequence[TimedHost]) -> None:
        self.by_pattern: dict[str, list[TimedHost]] = {}
        for claim in claims:
            self.by_pattern.setdefault(claim.pattern, []).append(claim)

    def candidates(self, host: str) -> list[TimedHost]:
        """Claims that may cover `host`, most specific first."""
        host = host.lower().rstrip(".")
        labels = host.split(".")
        patterns = [host] + ["*." + ".".join(labels[i:]) for i in range(1, len(labels))]
        return [c for p in patterns for c in self.by_pattern.get(p, [])]

    def lookup(self, hosts: pa.Array | pa.ChunkedArray, times_ms: np.ndarray) -> np.ndarray:
        """Owner index per host name at its time; -1 where nobody claims it."""
        out = np.full(len(hosts), -1, dtype=np.int32)
        if not self.by_pattern or not len(hosts):
            return out
        encoded = pc.dictionary_encode(hosts)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        valid = encoded.is_valid().to_numpy(zero_copy_only=False)
        for code, host in enumerate(encoded.dictionary.to_pylist()):
            rows = np.flatnonzero((codes == code) & valid)
            pending = rows
            for claim in self.candidates(host):
                end = FOREVER if claim.valid_to_ms is None else claim.valid_to_ms
                at = times_ms[pending]
                hit = (at >= claim.valid_from_ms) & (at < end)
                out[pending[hit]] = claim.owner
                pending = pending[~hit]
        return out
