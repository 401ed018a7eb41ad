"""Producer profiles (DuckDB over real Parquet) equal a naive reference written with the
standard library, flow by flow."""

from __future__ import annotations

import ipaddress
import itertools
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.aggregate.test_profiles import flows

from pahna.aggregate.profiles import producer_profiles
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.calendar import JalaliMonth
from pahna.store.reader import committed_files
from pahna.store.writer import write_batch

MONTH = JalaliMonth.parse("1404-08")
NETS = {"a": "185.1.0.0/16", "b": "185.2.0.0/16", "c": "2a0e::/32"}
PROVINCE = {"a": "IR-25", "b": "IR-25", "c": "IR-23"}
ADDRESSES = ["185.1.0.1", "185.1.9.2", "185.2.0.3", "2a0e::5", "2a0e:0:7::1", "2.176.1.1",
             "2.176.2.1", "2a01:5ec0:1::1"]
counter = itertools.count()


def owner(address: str) -> str | None:
    ip = ipaddress.ip_address(address)
    return next((o for o, n in NETS.items() if ip in ipaddress.ip_network(n)), None)


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


rows_st = st.lists(st.tuples(st.sampled_from(ADDRESSES), st.sampled_from(ADDRESSES),
                             st.integers(0, 10**6), st.integers(-600_000, 10**6),
                             st.integers(0, 900_000), st.integers(1, 3)), min_size=1,
                   max_size=30)


@given(rows_st)
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_profiles_equal_the_reference(tmp_path: Path,
                                      rows: list[tuple[str, str, int, int, int, int]]) -> None:
    store = tmp_path / f"store{next(counter)}"
    write_batch(store, flows(rows), "test", "h")
    index = ClaimIndex.build([TimedPrefix(o, ipaddress.ip_network(n), 0, None)
                              for o, n in NETS.items()])
    files = committed_files(store, MONTH.start_ms - 2**32, MONTH.end_ms)
    got = producer_profiles(files, (MONTH.start_ms, MONTH.end_ms), index, PROVINCE)
    received: dict[tuple[str, int], int] = {}
    intra: dict[str, int] = {}
    clients: set[tuple[str, str]] = set()
    for src, dst, size, offset, duration, rate in rows:
        inside = [(b, v * rate) for b, v in pieces(size, MONTH.start_ms + offset, duration)
                  if MONTH.start_ms <= b < MONTH.end_ms]
        s, d = owner(src), owner(dst)
        for b, v in inside:
            if d:
                received[(d, b)] = received.get((d, b), 0) + v
            if s and d and PROVINCE[s] == PROVINCE[d]:
                intra[s] = intra.get(s, 0) + v
        if s and inside:
            clients.add((s, client(dst)))
    want_clients: dict[str, int] = {}
    for s, _ in clients:
        want_clients[s] = want_clients.get(s, 0) + 1
    table = got.received.to_pylist()
    assert {(r["producer_id"], r["bin_start_ms"]): r["bytes"] for r in table} == {
        k: v for k, v in received.items()}
    assert {k: v for k, v in got.intra_province_bytes.items() if v} == {
        k: v for k, v in intra.items() if v}
    assert got.client_networks == want_clients
