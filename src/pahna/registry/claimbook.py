"""The claim rules, checked in memory over every claim the registry holds.

- Two producers may not hold the same prefix, AS number or host pattern (with the same
  path prefix) at overlapping times: the second is refused with an error naming both.
- A claim nested in another producer's claim (a longer prefix inside a shorter one, a
  host inside a `*.domain`, a host and path inside the same host or a shorter path of
  it, or the other way round) at overlapping times needs an approval; the caller
  records it.
- A producer may not hold the same value twice at overlapping times.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from dataclasses import dataclass

from pahna.errors import ClaimConflictError
from pahna.webnames import canonical_path

FOREVER = 2**62
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)\Z")


@dataclass(frozen=True)
class ClaimSpec:
    """A claim as asked for: kind is prefix, asn or host; value is normalized."""

    producer_id: str
    kind: str
    value: str
    valid_from_ms: int
    valid_to_ms: int | None = None
    content_id: str | None = None

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
    """`host` or `host/path-prefix`: the host in lower case, the path in the canonical
    form of pahna.webnames (so a Persian path compares with what logs record)."""
    name, slash, path = value.strip().partition("/")
    host = name.lower().rstrip(".")
    labels = host.split(".")
    body = labels[1:] if labels[0] == "*" else labels
    if len(body) < 2 or not all(_LABEL.match(label) for label in body):
        raise ValueError(f"host {value!r}: expected a name like www.example.ir, *.example.ir "
                         "or www.example.ir/video/")
    if not slash:
        return host
    path = canonical_path("/" + path)
    if "?" in value or "#" in value:
        raise ValueError(f"host {value!r}: a path prefix has no query or fragment")
    return host + path


def split_host(value: str) -> tuple[str, str]:
    """(host pattern, path prefix or "") of a normalized host claim value."""
    host, slash, path = value.partition("/")
    return host, slash + path


def path_covers(outer: str, inner: str) -> bool:
    """True when the path prefix `outer` covers `inner` (or equals it): `/video` covers
    `/video` and `/video/x` but not `/videos`; `/video/` covers `/video/x`; "" covers
    every path."""
    if not outer or outer == inner:
        return True
    return inner.startswith(outer) and (outer.endswith("/") or inner[len(outer)] == "/")


def _host_name_covers(outer: str, inner: str) -> bool:
    return outer == inner or (outer.startswith("*.") and inner.endswith(outer[1:]))


def host_covers(outer: str, inner: str) -> bool:
    """True when the host claim `outer` covers every request `inner` matches (and is
    wider): by its host pattern and its path prefix."""
    if outer == inner:
        return False
    (outer_host, outer_path), (inner_host, inner_path) = split_host(outer), split_host(inner)
    return _host_name_covers(outer_host, inner_host) and path_covers(outer_path, inner_path)


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
