"""The claim rules, checked in memory over every claim the registry holds.

- Two producers may not hold the same prefix, AS number or host pattern at overlapping
  times: the second is refused with an error naming both.
- A claim nested in another producer's claim (a longer prefix inside a shorter one, a
  host inside a `*.domain`, or the other way round) at overlapping times needs an
  approval; the caller records it.
- A producer may not hold the same value twice at overlapping times.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from dataclasses import dataclass

from pahna.errors import ClaimConflictError

FOREVER = 2**62
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True)
class ClaimSpec:
    """A claim as asked for: kind is prefix, asn or host; value is normalized."""

    producer_id: str
    kind: str
    value: str
    valid_from_ms: int
    valid_to_ms: int | None = None

    def overlaps_in_time(self, other: ClaimSpec) -> bool:
        end_a = FOREVER if self.valid_to_ms is None else self.valid_to_ms
        end_b = FOREVER if other.valid_to_ms is None else other.valid_to_ms
        return self.valid_from_ms < end_b and other.valid_from_ms < end_a

    def describe(self) -> str:
        return f"{self.kind} {self.value} for {self.producer_id}"


def normalize_value(kind: str, value: str) -> str:
    """The canonical text of a claim value; ValueError saying what is wrong."""
    value = value.strip()
    if kind == "prefix":
        return str(ipaddress.ip_network(value, strict=True))
    if kind == "asn":
        digits = value.upper().removeprefix("AS")
        if not digits.isdigit() or not 0 < int(digits) < 2**32:
            raise ValueError(f"AS number {value!r}: expected 1..4294967295, e.g. AS12880")
        return str(int(digits))
    if kind == "host":
        return _normalize_host(value)
    raise ValueError(f"kind {kind!r}: expected prefix, asn or host")


def _normalize_host(value: str) -> str:
    host = value.lower().rstrip(".")
    labels = host.split(".")
    body = labels[1:] if labels[0] == "*" else labels
    if len(body) < 2 or not all(_LABEL.match(label) for label in body):
        raise ValueError(f"host {value!r}: expected a name like www.example.ir or *.example.ir")
    return host


def host_covers(outer: str, inner: str) -> bool:
    """True when the pattern `outer` covers every name `inner` matches (and is wider)."""
    return outer.startswith("*.") and inner != outer and inner.endswith(outer[1:])


class ClaimBook:
    """Every claim, indexed for the rules above."""

    def __init__(self) -> None:
        self._by_value: dict[tuple[str, str], list[ClaimSpec]] = {}
        self._starts: dict[int, list[tuple[int, int, str]]] = {4: [], 6: []}

    def add(self, claim: ClaimSpec) -> None:
        key = (claim.kind, claim.value)
        if key not in self._by_value and claim.kind == "prefix":
            net = ipaddress.ip_network(claim.value)
            bisect.insort(self._starts[net.version],
                          (int(net.network_address), net.prefixlen, claim.value))
        self._by_value.setdefault(key, []).append(claim)

    def check(self, claim: ClaimSpec) -> list[ClaimSpec]:
        """Raise ClaimConflictError if `claim` breaks a rule; else the other producers'
        claims it nests with (empty when no approval is needed)."""
        for other in self._live(claim.kind, claim.value, claim):
            if other.producer_id == claim.producer_id:
                raise ClaimConflictError(
                    f"{claim.producer_id} already holds {claim.kind} {claim.value} at an "
                    "overlapping time")
            raise ClaimConflictError(
                f"{claim.describe()} conflicts with {other.kind} {other.value} of "
                f"{other.producer_id}: same "
                f"{claim.kind} at the same specificity over overlapping times")
        nested = [other for value in self._related(claim)
                  for other in self._live(claim.kind, value, claim)]
        return [other for other in nested if other.producer_id != claim.producer_id]

    def _live(self, kind: str, value: str, claim: ClaimSpec) -> list[ClaimSpec]:
        return [other for other in self._by_value.get((kind, value), [])
                if other.overlaps_in_time(claim)]

    def _related(self, claim: ClaimSpec) -> list[str]:
        if claim.kind == "prefix":
            return self._related_prefixes(claim.value)
        if claim.kind == "host":
            hosts = [value for kind, value in self._by_value if kind == "host"]
            return [h for h in hosts if host_covers(h, claim.value) or host_covers(claim.value, h)]
        return []

    def _related_prefixes(self, value: str) -> list[str]:
        net = ipaddress.ip_network(value)
        out = [str(net.supernet(new_prefix=length)) for length in range(net.prefixlen)]
        out = [v for v in out if ("prefix", v) in self._by_value]
        starts = self._starts[net.version]
        first = int(net.network_address)
        last = first + net.num_addresses
        lo = bisect.bisect_left(starts, (first, -1, ""))
        hi = bisect.bisect_left(starts, (last, -1, ""))
        out += [v for _, length, v in starts[lo:hi] if length > net.prefixlen]
        return out
