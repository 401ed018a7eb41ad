"""The kernel with metering points, AS claims and host claims."""

from __future__ import annotations

import ipaddress
import pickle

import numpy as np
import pyarrow as pa

from pahna.aggregate.kernel import NOT_COUNTED, Rules, flow_pieces
from pahna.attribute import ranges
from pahna.attribute.asns import AsnIndex, TimedAsn
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.attribute.domestic import DomesticIndex
from pahna.attribute.hosts import HostIndex, TimedHost
from pahna.attribute.metering import EGRESS, INGRESS, MeteringFilter, TimedPoint
from pahna.schema import address_to_bytes

T = 1_760_000_000_000
R1, R2 = address_to_bytes("10.255.0.1"), address_to_bytes("10.255.0.2")


def batch(rows: list[dict[str, object]]) -> pa.RecordBatch:
    base = {"dst_addr": address_to_bytes("8.8.8.8"), "start_ms": T, "end_ms": T, "bytes": 100,
            "packets": 1, "sampling_rate": 1, "exporter": R1, "input_if": 1, "output_if": 2,
            "direction": INGRESS, "src_as": 0}
    full = [base | row for row in rows]
    types = {"src_addr": pa.binary(16), "dst_addr": pa.binary(16), "exporter": pa.binary(16),
             "start_ms": pa.int64(), "end_ms": pa.int64(), "bytes": pa.uint64(),
             "packets": pa.uint64(), "sampling_rate": pa.uint32(), "input_if": pa.uint32(),
             "output_if": pa.uint32(), "direction": pa.uint8(), "src_as": pa.uint32(),
             "dst_as": pa.uint32(), "host": pa.string()}
    names = [n for n in types if n in full[0]]
    return pa.RecordBatch.from_arrays([pa.array([r[n] for r in full], types[n]) for n in names],
                                      names=names)


def senders(out: pa.RecordBatch, owners: list[str]) -> list[str | None]:
    """Each piece's sender (None: nobody; '-': kept out by metering points)."""
    return [None if code == -1 else "-" if code == NOT_COUNTED else owners[code]
            for code in out.column("producer").to_pylist()]


def bytes_by_producer(out: pa.RecordBatch, owners: list[str]) -> dict[str | None, int]:
    totals: dict[str | None, int] = {}
    for producer, size in zip(senders(out, owners), out.column("bytes").to_pylist(),
                              strict=True):
        if producer != "-":
            totals[producer] = totals.get(producer, 0) + size
    return totals


def test_flow_seen_by_two_routers_counts_once() -> None:
    owners = ["a", "b"]
    claims = ClaimIndex(owners, [TimedPrefix("a", ipaddress.ip_network("185.10.0.0/16"), 0, None),
                                 TimedPrefix("b", ipaddress.ip_network("185.20.0.0/16"), 0, None)])
    metering = MeteringFilter([TimedPoint(0, R1, 1, INGRESS, 0, None),
                               TimedPoint(0, R2, 7, EGRESS, T + 1, None)], len(owners))
    rules = Rules(claims, DomesticIndex.empty(), metering=metering)
    a, b = address_to_bytes("185.10.0.1"), address_to_bytes("185.20.0.1")
    out = flow_pieces(batch([
        {"src_addr": a, "exporter": R1},                      # a at its point: counts
        {"src_addr": a, "exporter": R2, "input_if": 1},       # same flow seen by R2: not
        {"src_addr": a, "exporter": R1, "input_if": 9},       # other interface: not
        {"src_addr": a, "exporter": R2, "direction": EGRESS, "output_if": 7},  # not yet valid
        {"src_addr": a, "exporter": R2, "direction": EGRESS, "output_if": 7,
         "start_ms": T + 1, "end_ms": T + 1},                 # valid now: counts
        {"src_addr": b, "exporter": R2},                      # b has no points: counts
        {"src_addr": address_to_bytes("1.1.1.1"), "exporter": R2},  # nobody's: kept
    ]), rules)
    assert bytes_by_producer(out, owners) == {"a": 200, "b": 100, None: 100}


def test_asn_when_no_prefix_and_flows_never_by_host() -> None:
    """Host claims attribute web-log records (attribute.logs), never a flow."""
    owners = ["a", "b", "c"]
    claims = ClaimIndex(owners, [TimedPrefix("a", ipaddress.ip_network("185.10.0.0/16"), 0, None)])
    asns = AsnIndex([TimedAsn(1, 64512, 0, T), TimedAsn(2, 64512, T, None)])
    hosts = HostIndex([TimedHost(2, "*.example.ir", 0, None), TimedHost(1, "www.example.ir", 0,
                                                                        None)])
    rules = Rules(claims, DomesticIndex.empty(), asns=asns, hosts=hosts)
    a, x = address_to_bytes("185.10.0.1"), address_to_bytes("9.9.9.9")
    out = flow_pieces(batch([
        {"src_addr": a, "src_as": 64512, "host": "other.ir"},        # prefix wins over AS
        {"src_addr": x, "src_as": 64512, "start_ms": T - 1, "end_ms": T - 1, "host": None},  # b
        {"src_addr": x, "src_as": 64512, "host": "nowhere.ir"},      # AS handed to c at T
        {"src_addr": x, "src_as": 0, "host": None},                  # nothing: unattributed
        {"src_addr": a, "host": "www.example.ir"},                   # by its prefix: a
        {"src_addr": x, "host": "cdn.example.ir"},                   # nobody's
    ]), rules)
    assert senders(out, owners) == ["a", "b", "c", None, "a", None]


def test_host_claims_most_specific_first_with_paths_times_and_content() -> None:
    index = HostIndex([
        TimedHost(0, "*.example.ir", 0, None),
        TimedHost(1, "www.example.ir", 0, None),
        TimedHost(2, "www.example.ir", 0, T, "/video", 5),
        TimedHost(3, "www.example.ir", 0, None, "/video/live/", 7),
    ])
    hosts = pa.array(["cdn.example.ir", "WWW.example.ir", "www.example.ir", "www.example.ir",
                      "www.example.ir", "www.example.ir", "example.ir", None])
    paths = pa.array(["/", "/", "/video/a", "/videos", "/video/live/1", "/video/a", "/", "/"])
    times = np.array([0, 0, 0, 0, 0, T, 0, 0], np.int64)
    owner, content = index.lookup(hosts, times, paths)
    # wildcard; exact host; /video covers /video/a but not /videos; the longer path first;
    # the /video claim ended at T; example.ir itself is not under *.example.ir; no host
    assert owner.tolist() == [0, 1, 2, 1, 3, 1, -1, -1]
    assert content.tolist() == [-1, -1, 5, -1, 7, -1, -1, -1]


def test_index_survives_pickling_and_dir_path() -> None:
    index = ClaimIndex(["a"], [TimedPrefix("a", ipaddress.ip_network("10.0.0.128/25"), 0, None)])
    keys = np.array([0x0A000080, 0x0A00007F, 0x0A0000FF], dtype=np.uint32)
    saved = ranges.DIR_MIN_KEYS, ranges.DIR_MIN_RANGES
    ranges.DIR_MIN_KEYS = ranges.DIR_MIN_RANGES = 1
    try:
        assert index.lookup_v4(keys, np.zeros(3, dtype=np.int64)).tolist() == [0, -1, 0]
        assert index.v4._dir24 is not None
        copy = pickle.loads(pickle.dumps(index))
        assert copy.v4._dir24 is None
        assert copy.lookup_v4(keys, np.zeros(3, dtype=np.int64)).tolist() == [0, -1, 0]
    finally:
        ranges.DIR_MIN_KEYS, ranges.DIR_MIN_RANGES = saved


def test_few_ranges_are_searched_without_building_the_table() -> None:
    """A large batch builds the 64 MB DIR-24-8 table only for an index of many ranges
    (hosting lists and the month's changed claims are a handful)."""
    few = ClaimIndex(["a"], [TimedPrefix("a", ipaddress.ip_network("10.0.0.128/25"), 0, None)])
    keys = np.full(ranges.DIR_MIN_KEYS, 0x0A000080, dtype=np.uint32)
    assert (few.lookup_v4(keys, np.zeros(len(keys), dtype=np.int64)) == 0).all()
    assert few.v4._dir24 is None
    many = ClaimIndex(["a"], [TimedPrefix("a", ipaddress.ip_network(f"10.{i}.0.0/16"), 0, None)
                              for i in range(0, 2 * ranges.DIR_MIN_RANGES, 2)])
    assert (many.lookup_v4(keys, np.zeros(len(keys), dtype=np.int64)) == 0).all()
    assert many.v4._dir24 is not None


def test_no_claims_at_all() -> None:
    index = ClaimIndex.build([])
    column = pa.array([address_to_bytes("10.0.0.1"), address_to_bytes("::1")], pa.binary(16))
    assert index.lookup(column, np.array([0, 0])).tolist() == [-1, -1]


def test_large_ipv6_batches_search_in_key_order() -> None:
    rng = np.random.default_rng(7)
    nets = {ipaddress.IPv6Network((int(rng.integers(0, 2**62)) << 66, int(rng.integers(8, 64))),
                                  strict=False) for _ in range(300)}
    claims = [TimedPrefix(f"p{i % 7}", n, 0, None) for i, n in enumerate(sorted(nets))]
    index = ClaimIndex.build(claims)
    picks = [sorted(nets)[i] for i in rng.integers(0, len(nets), 5000)]
    addresses = [n.network_address + int(rng.integers(0, min(n.num_addresses, 2**62)))
                 for n in picks]
    column = pa.array([a.packed for a in addresses], pa.binary(16))
    got = index.lookup(column, np.zeros(len(addresses), dtype=np.int64))
    small = np.concatenate([index.lookup(column.slice(i, 1000), np.zeros(1000, dtype=np.int64))
                            for i in range(0, 5000, 1000)])  # below the sorting threshold
    assert got.tolist() == small.tolist()
    best = [max((c for c in claims if a in c.network), key=lambda c: c.network.prefixlen).owner
            for a in addresses[:200]]
    assert [index.owners[i] for i in got[:200]] == best


def test_flows_without_a_direction_are_matched_on_the_points_interface() -> None:
    """v5/sFlow/templates without flowDirection: an ingress point looks at input_if, an
    egress point at output_if; what is dropped is counted by reason."""
    owners = ["a"]
    claims = ClaimIndex(owners, [TimedPrefix("a", ipaddress.ip_network("185.10.0.0/16"), 0,
                                             None)])
    metering = MeteringFilter([TimedPoint(0, R1, 1, INGRESS, 0, None),
                               TimedPoint(0, R2, 7, EGRESS, T + 1, None)], len(owners))
    metering.count_window = (0, 2 * T)
    rules = Rules(claims, DomesticIndex.empty(), metering=metering)
    a = address_to_bytes("185.10.0.1")
    unknown = {"src_addr": a, "direction": 255}
    out = flow_pieces(batch([
        {**unknown, "exporter": R1, "input_if": 1, "output_if": 7},    # R1 in on 1: counts
        {**unknown, "exporter": R1, "input_if": 7, "output_if": 1},    # R1 out on 1: not
        {**unknown, "exporter": R2, "input_if": 7, "output_if": 3,
         "start_ms": T + 5, "end_ms": T + 5},                          # R2 in on 7: not
        {**unknown, "exporter": R2, "input_if": 3, "output_if": 7},    # R2 out on 7, early
        {**unknown, "exporter": R2, "input_if": 3, "output_if": 7,
         "start_ms": T + 5, "end_ms": T + 5},                          # valid now: counts
        {**unknown, "exporter": address_to_bytes("10.0.0.99")},        # unmetered router
    ]), rules)
    assert bytes_by_producer(out, owners) == {"a": 200}
    assert dict(metering.dropped_flows) == {"exporter_not_metered": 1,
                                            "interface_not_metered": 2, "outside_validity": 1}
    assert metering.dropped_bytes["interface_not_metered"] == 200


def test_receivers_by_prefix_and_asn_under_their_metering_points() -> None:
    """The destination's producer receives a flow: its prefix, else its AS number
    (dst_as); a metered receiver only where one of its points saw the flow. The sender
    side is decided apart, so a flow can count for one and not the other."""
    owners = ["a", "b", "c"]
    claims = ClaimIndex(owners, [TimedPrefix("a", ipaddress.ip_network("185.10.0.0/16"), 0, None),
                                 TimedPrefix("b", ipaddress.ip_network("185.20.0.0/16"), 0, None)])
    asns = AsnIndex([TimedAsn(2, 64512, 0, None)])
    metering = MeteringFilter([TimedPoint(1, R1, 2, EGRESS, 0, None)], len(owners))
    rules = Rules(claims, DomesticIndex.empty(), asns=asns, metering=metering,
                  provinces=np.array([0, 0, 1], np.int32))
    a, b, x = (address_to_bytes(t) for t in ("185.10.0.1", "185.20.0.1", "9.9.9.9"))
    rows = [
        {"src_addr": a, "dst_addr": b, "direction": EGRESS},                 # b saw it
        {"src_addr": a, "dst_addr": b, "direction": EGRESS, "exporter": R2},  # b did not
        {"src_addr": a, "dst_addr": x, "dst_as": 64512},                      # c by AS
        {"src_addr": x, "dst_addr": a},                                       # a receives
        {"src_addr": x, "dst_addr": x},                                       # nobody's
    ]
    flows = batch([{"dst_as": 0} | row for row in rows])
    out = flow_pieces(flows, rules)
    assert senders(out, owners) == ["a", "a", "a", None, None]
    assert out.column("receiver").to_pylist() == [1, -1, 2, 0, -1]
    # a and b share a province (whether b counted the flow or not); c is elsewhere
    assert out.column("same_province").to_pylist() == [True, True, False, False, False]
    assert out.column("client").null_count == 2
