"""What settlement sums beside usage (DuckDB over real Parquet, through the kernel)
equals a naive reference written with the standard library, flow by flow: received
bytes per bin, intra-province bytes and distinct client networks, with prefix and AS
claims in both directions and a metering point that holds from an instant on."""

from __future__ import annotations

import ipaddress
import itertools
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.aggregate.test_settlement_tables import flows

from pahna.aggregate.engines.duckdb import DuckDbEngine
from pahna.aggregate.kernel import Rules
from pahna.aggregate.queries import GROUP_KEYS, UsageQuery
from pahna.attribute.asns import AsnIndex, TimedAsn
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.attribute.domestic import DomesticIndex
from pahna.attribute.metering import EGRESS, MeteringFilter, TimedPoint
from pahna.calendar import JalaliMonth
from pahna.schema import address_to_bytes
from pahna.store.reader import committed_files
from pahna.store.writer import write_batch

MONTH = JalaliMonth.parse("1404-08")
T0 = MONTH.start_ms
NETS = {"a": "185.1.0.0/16", "b": "185.2.0.0/16", "c": "2a0e::/32"}
OWNERS = ["a", "b", "c", "d"]
PROVINCE = {"a": "IR-25", "b": "IR-25", "c": "IR-23", "d": "IR-23"}
AS_OF_D = 64600
METERED_FROM = T0 + 500_000
"""b is metered at 127.0.0.1 (egress, interface 0: every test flow) from this instant."""
ADDRESSES = ["185.1.0.1", "185.1.9.2", "185.2.0.3", "2a0e::5", "2a0e:0:7::1", "2.176.1.1",
             "2.176.2.1", "2a01:5ec0:1::1"]
QUERY = UsageQuery("1404-08", T0, MONTH.end_ms, GROUP_KEYS)
counter = itertools.count()


def owner(address: str, asn: int) -> str | None:
    ip = ipaddress.ip_address(address)
    by_prefix = next((o for o, n in NETS.items() if ip in ipaddress.ip_network(n)), None)
    return by_prefix or ("d" if asn == AS_OF_D else None)


def counted(who: str | None, start: int) -> str | None:
    return None if who == "b" and start < METERED_FROM else who


def client(address: str) -> str:
    ip = ipaddress.ip_address(address)
    return str(ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 48}", strict=False))


def pieces(size: int, start: int, duration: int) -> list[tuple[int, int]]:
    """(bin start, bytes) by the cumulative-floor rule, in plain integers."""
    if duration == 0:
        return [(start - start % 300_000, size)]
    out, edge = [], start - start % 300_000
    while edge < start + duration:
        lo, hi = max(edge, start) - start, min(edge + 300_000, start + duration) - start
        out.append((edge, size * hi // duration - size * lo // duration))
        edge += 300_000
    return out


def rules() -> Rules:
    prefixes = ClaimIndex(OWNERS, [TimedPrefix(o, ipaddress.ip_network(n), 0, None)
                                   for o, n in NETS.items()])
    provinces = sorted(set(PROVINCE.values()))
    return Rules(prefixes, DomesticIndex.empty(), asns=AsnIndex([TimedAsn(3, AS_OF_D, 0, None)]),
                 metering=MeteringFilter([TimedPoint(1, address_to_bytes("127.0.0.1"), 0,
                                                     EGRESS, METERED_FROM, None)], 4),
                 provinces=np.array([provinces.index(PROVINCE[o]) for o in OWNERS]))


rows_st = st.lists(st.tuples(st.sampled_from(ADDRESSES), st.sampled_from(ADDRESSES),
                             st.integers(0, 10**6), st.integers(-600_000, 10**6),
                             st.integers(0, 900_000), st.integers(1, 3),
                             st.sampled_from([0, AS_OF_D]), st.sampled_from([0, AS_OF_D])),
                   min_size=1, max_size=30)


@given(rows_st)
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_settlement_tables_equal_the_reference(
        tmp_path: Path, rows: list[tuple[str, str, int, int, int, int, int, int]]) -> None:
    store = tmp_path / f"store{next(counter)}"
    write_batch(store, flows(rows), "test", "h")
    files = committed_files(store, T0 - 2**32, MONTH.end_ms)
    got = DuckDbEngine().settlement(files, QUERY, rules())
    received: dict[tuple[str, int], int] = {}
    intra: dict[str, int] = {}
    sent: dict[tuple[str | None, int], int] = {}
    clients: set[tuple[str, str]] = set()
    for src, dst, size, offset, duration, rate, src_as, dst_as in rows:
        start = T0 + offset
        inside = [(b, v * rate) for b, v in pieces(size, start, duration)
                  if T0 <= b < MONTH.end_ms]
        s, holder = counted(owner(src, src_as), start), owner(dst, dst_as)
        d = counted(holder, start)
        metered_out = owner(src, src_as) is not None and s is None
        for b, v in inside:
            if d:
                received[(d, b)] = received.get((d, b), 0) + v
            if s and holder and PROVINCE[s] == PROVINCE[holder]:
                intra[s] = intra.get(s, 0) + v
            if not metered_out:
                sent[(s, b)] = sent.get((s, b), 0) + v
        if s and inside:
            clients.add((s, client(dst)))
    want_clients: dict[str, int] = {}
    for s, _ in clients:
        want_clients[s] = want_clients.get(s, 0) + 1
    assert {(r["producer_id"], r["bin_start_ms"]): r["bytes"]
            for r in got.received.to_pylist()} == received
    assert got.intra_province_bytes == {k: v for k, v in intra.items() if v}
    assert got.client_networks == want_clients
    usage: dict[tuple[str | None, int], int] = {}
    for r in got.usage.to_pylist():
        usage[(r["producer_id"], r["bin_start_ms"])] = (
            usage.get((r["producer_id"], r["bin_start_ms"]), 0) + r["bytes"])
    assert usage == {k: v for k, v in sent.items()}
