"""Claims as officers review them: each with the other producers' prefixes it overlaps."""

from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pahna.registry.models import ClaimRow


@dataclass
class ClaimView:
    id: int
    producer_id: str
    kind: str
    value: str
    valid_from_ms: int
    valid_to_ms: int | None
    nested_approved: bool
    overlaps: list[str] = field(default_factory=list)


def list_claims(engine: Engine, producer_ids: set[str] | None = None) -> list[ClaimView]:
    """Claims (of `producer_ids`, or all) with overlap warnings against every claim."""
    with Session(engine) as session:
        rows = [ClaimView(r.id, r.producer_id, r.kind, r.value, r.valid_from_ms,
                          r.valid_to_ms, r.nested_approved)
                for r in session.scalars(select(ClaimRow).order_by(ClaimRow.id))]
    _mark_overlaps([r for r in rows if r.kind == "prefix"])
    return [r for r in rows if producer_ids is None or r.producer_id in producer_ids]


def _mark_overlaps(claims: list[ClaimView]) -> None:
    """Sweep the prefixes in address order: a prefix overlaps exactly the open prefixes
    that contain it (prefixes nest or are disjoint)."""
    spans = []
    for claim in claims:
        net = ipaddress.ip_network(claim.value)
        spans.append((net.version, int(net.network_address), -int(net.broadcast_address),
                      claim))
    spans.sort(key=lambda s: s[:3])
    stack: list[tuple[int, int, ClaimView]] = []
    for version, start, neg_end, claim in spans:
        while stack and (stack[-1][0] != version or stack[-1][1] < start):
            stack.pop()
        for _, _, outer in stack:
            if outer.producer_id != claim.producer_id and _same_time(outer, claim):
                outer.overlaps.append(f"{claim.producer_id} {claim.value}")
                claim.overlaps.append(f"{outer.producer_id} {outer.value}")
        stack.append((version, -neg_end, claim))


def _same_time(a: ClaimView, b: ClaimView) -> bool:
    end_a = a.valid_to_ms if a.valid_to_ms is not None else 2**62
    end_b = b.valid_to_ms if b.valid_to_ms is not None else 2**62
    return a.valid_from_ms < end_b and b.valid_from_ms < end_a


class ClaimBook:
    """All claims with their overlap warnings, recomputed at most every `ttl_s` seconds
    or after the portal itself changed a claim (`invalidate`)."""

    def __init__(self, engine: Engine, ttl_s: float = 30.0) -> None:
        self.engine = engine
        self.ttl_s = ttl_s
        self._loaded = -1e9
        self._claims: list[ClaimView] = []
        self._lock = threading.Lock()

    def claims(self, producer_ids: set[str] | None = None) -> list[ClaimView]:
        with self._lock:
            if time.monotonic() - self._loaded > self.ttl_s:
                self._claims = list_claims(self.engine)
                self._loaded = time.monotonic()
            held = self._claims
        return [c for c in held if producer_ids is None or c.producer_id in producer_ids]

    def invalidate(self) -> None:
        with self._lock:
            self._loaded = -1e9
