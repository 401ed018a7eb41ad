"""Batch attribution equals a naive one-flow-at-a-time reference built on `ipaddress`,
for random nested IPv4/IPv6 claims whose validity starts, ends and changes hands inside
the month."""

from __future__ import annotations

import ipaddress

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pahna.attribute import claims as claims_module
from pahna.attribute import ranges
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.calendar import JalaliMonth
from pahna.schema import address_to_bytes

MONTH = JalaliMonth(1404, 8)
START, END = MONTH.start_ms, MONTH.end_ms
OWNERS = ("a", "b", "c", "d")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@st.composite
def networks(draw: st.DrawFn) -> list[Network]:
    """Prefixes, many nested inside earlier ones, both families."""
    out: list[Network] = []
    for _ in range(draw(st.integers(1, 12))):
        if out and draw(st.booleans()):
            parent = draw(st.sampled_from(out))
            limit = parent.max_prefixlen
            length = draw(st.integers(parent.prefixlen, min(parent.prefixlen + 12, limit)))
            offset = draw(st.integers(0, 2 ** (length - parent.prefixlen) - 1))
            base = int(parent.network_address) + offset * 2 ** (limit - length)
            net = ipaddress.ip_network((base, length))
        elif draw(st.booleans()):
            net = ipaddress.ip_network((draw(st.integers(0, 2**32 - 1)), draw(st.integers(0, 32))),
                                       strict=False)
        else:
            net = ipaddress.ip_network((draw(st.integers(0, 2**128 - 1)),
                                        draw(st.integers(0, 128))), strict=False)
        if net not in out:
            out.append(net)
    return out


instants = st.integers(START - 86_400_000, END + 86_400_000)


@st.composite
def claims(draw: st.DrawFn) -> list[TimedPrefix]:
    """Each prefix held by one owner, or handed from one owner to another mid-month."""
    out = []
    for net in draw(networks()):
        first, second = draw(st.sampled_from(OWNERS)), draw(st.sampled_from(OWNERS))
        begin = draw(st.one_of(st.just(0), instants))
        end = draw(st.one_of(st.none(), st.integers(begin + 1, max(begin + 1, END + 86_400_000))))
        if end is not None and draw(st.booleans()):
            out.append(TimedPrefix(first, net, begin, end))
            out.append(TimedPrefix(second, net, end, None))
        else:
            out.append(TimedPrefix(first, net, begin, end))
    return out


def reference(claims: list[TimedPrefix], address: str, at: int) -> str | None:
    """The owner of the longest prefix holding `address` that is valid at `at`."""
    addr = ipaddress.ip_address(address)
    addr = getattr(addr, "ipv4_mapped", None) or addr  # stored, and matched, as IPv4
    best: TimedPrefix | None = None
    for claim in claims:
        valid = claim.valid_from_ms <= at and (claim.valid_to_ms is None or at < claim.valid_to_ms)
        covers = valid and addr.version == claim.network.version and addr in claim.network
        if covers and (best is None or claim.network.prefixlen > best.network.prefixlen):
            best = claim
    return None if best is None else best.owner


@st.composite
def flows(draw: st.DrawFn, claims: list[TimedPrefix]) -> list[tuple[str, int]]:
    edges = sorted({c.valid_from_ms for c in claims} | {c.valid_to_ms or START for c in claims})
    out = []
    for _ in range(draw(st.integers(1, 60))):
        if claims and draw(st.integers(0, 3)):
            net = draw(st.sampled_from(claims)).network
            address = net.network_address + draw(st.integers(0, net.num_addresses - 1))
        elif draw(st.booleans()):
            address = ipaddress.IPv4Address(draw(st.integers(0, 2**32 - 1)))
        else:
            address = ipaddress.IPv6Address(draw(st.integers(0, 2**128 - 1)))
        near_edge = st.sampled_from(edges).map(lambda t: t + draw(st.sampled_from((-1, 0, 1))))
        at = draw(st.one_of(st.integers(START, END - 1), near_edge))
        out.append((str(address), at))
    return out


def batch_owners(index: ClaimIndex, sample: list[tuple[str, int]]) -> list[str | None]:
    column = pa.array([address_to_bytes(a) for a, _ in sample], pa.binary(16))
    times = np.array([t for _, t in sample], dtype=np.int64)
    return [index.owners[i] if i >= 0 else None for i in index.lookup(column, times)]


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_batch_attribution_equals_reference(data: st.DataObject) -> None:
    held = data.draw(claims())
    sample = data.draw(flows(held))
    expected = [reference(held, a, t) for a, t in sample]
    assert batch_owners(ClaimIndex.build(held), sample) == expected


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_dir_24_8_path_equals_reference(data: st.DataObject) -> None:
    """Large batches take the DIR-24-8 tables (64 MB each, so fewer examples), in chunks
    of rows (here 7, so a batch spans several)."""
    held = data.draw(claims())
    sample = data.draw(flows(held))
    expected = [reference(held, a, t) for a, t in sample]
    saved = ranges.DIR_MIN_KEYS, ranges.DIR_MIN_RANGES, claims_module.LOOKUP_ROWS
    ranges.DIR_MIN_KEYS, ranges.DIR_MIN_RANGES, claims_module.LOOKUP_ROWS = 1, 1, 7
    try:
        assert batch_owners(ClaimIndex.build(held), sample) == expected
    finally:
        ranges.DIR_MIN_KEYS, ranges.DIR_MIN_RANGES, claims_module.LOOKUP_ROWS = saved
