"""Host-name attribution for web logs: a request goes to the claim on its host (and path)
valid at its time, the most specific first: an exact host before `*.domain` patterns
(the longest first), and for the same host pattern the longest path prefix first (a
claim without a path last). The claim names a producer and, optionally, a content item.

Matching runs once per distinct host name in the batch (a dictionary encoding); paths
and validity times are checked per row, vectorized."""

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
    path: str = ""  # a path prefix in canonical form (pahna.webnames), or "" for any path
    content: int = -1  # index into the rules' content items, -1 for none


def _covered(paths: pa.Array, prefix: str) -> np.ndarray:
    """Mask of the paths the prefix covers (claimbook.path_covers, vectorized)."""
    if not prefix:
        return np.ones(len(paths), bool)
    if prefix.endswith("/"):
        hit = pc.starts_with(paths, prefix)
    else:
        hit = pc.or_(pc.equal(paths, prefix), pc.starts_with(paths, prefix + "/"))
    return hit.to_numpy(zero_copy_only=False).astype(bool)


class HostIndex:
    def __init__(self, claims: Sequence[TimedHost]) -> None:
        self.by_pattern: dict[str, list[TimedHost]] = {}
        for claim in claims:
            self.by_pattern.setdefault(claim.pattern, []).append(claim)
        for found in self.by_pattern.values():
            found.sort(key=lambda c: -len(c.path))

    def candidates(self, host: str) -> list[TimedHost]:
        """Claims that may cover `host`, most specific first."""
        host = host.lower().rstrip(".")
        labels = host.split(".")
        patterns = [host] + ["*." + ".".join(labels[i:]) for i in range(1, len(labels))]
        return [c for p in patterns for c in self.by_pattern.get(p, [])]

    def lookup(self, hosts: pa.Array | pa.ChunkedArray, times_ms: np.ndarray,
               paths: pa.Array | pa.ChunkedArray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """(owner index, content index) per request at its time; -1 where nobody claims
        it (or the claim names no content item)."""
        owner = np.full(len(hosts), -1, dtype=np.int32)
        content = np.full(len(hosts), -1, dtype=np.int32)
        if not self.by_pattern or not len(hosts):
            return owner, content
        encoded = pc.dictionary_encode(hosts)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        if isinstance(paths, pa.ChunkedArray):
            paths = paths.combine_chunks()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        valid = encoded.is_valid().to_numpy(zero_copy_only=False)
        for code, host in enumerate(encoded.dictionary.to_pylist()):
            found = self.candidates(host) if host else []
            if found:
                self._resolve(found, np.flatnonzero((codes == code) & valid), times_ms,
                              paths, owner, content)
        return owner, content

    @staticmethod
    def _resolve(found: list[TimedHost], rows: np.ndarray, times_ms: np.ndarray,
                 paths: pa.Array | None, owner: np.ndarray, content: np.ndarray) -> None:
        pending = rows
        for claim in found:
            if not len(pending):
                return
            end = FOREVER if claim.valid_to_ms is None else claim.valid_to_ms
            at = times_ms[pending]
            hit = (at >= claim.valid_from_ms) & (at < end)
            if claim.path:
                if paths is None:
                    continue
                hit &= _covered(paths.take(pa.array(pending)), claim.path)
            owner[pending[hit]] = claim.owner
            content[pending[hit]] = claim.content
            pending = pending[~hit]
