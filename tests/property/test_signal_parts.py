"""Integrity's sums made in settlement's pass (signal_sums.py) are those of every flow's
signal rows summed in SQL (signals.signal_queries, the path Spark takes), to the byte:
on random months with flows across bins and across the month's start, claims that
change hands in the month, a producer held by an AS claim, hosting clients and repeats;
when every flow falls in one repeat bucket; and past float64's exact range, where the
rows' path takes over."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.flowgen import Flow, flow_table
from tests.unit.integrity.conftest import MONTH, QUERY, write_flows

from pahna.aggregate import signal_sums
from pahna.aggregate.engines.duckdb import DuckDbEngine
from pahna.aggregate.signals import SignalRequest, SignalRules, changing_prefixes
from pahna.attribute.addresses import address_matrix, ipv4_keys
from pahna.attribute.hosting import HostingIndex
from pahna.errors import CounterOverflowError
from pahna.integrity.hosting import HostingVersion
from pahna.registry.rules import rules_from_snapshot

HOUR = 3_600_000
MID = MONTH.start_ms + 10 * 24 * HOUR
SNAPSHOT = {"format": 1, "window_ms": None, "metering": [], "domestic": [],
            "claims": [["alpha", "prefix", "10.1.0.0/16", 0, None],
                       ["beta", "prefix", "10.2.0.0/16", 0, None],
                       ["beta", "prefix", "10.1.7.0/24", MID, None],  # changes hands
                       ["gamma", "asn", "64500", 0, None]]}
RULES = rules_from_snapshot(SNAPSHOT)
SIGNAL_RULES = SignalRules(
    RULES, HostingIndex((HostingVersion(1, MID, None, ("203.0.113.0/24",), (64501,)),)),
    changing_prefixes(SNAPSHOT["claims"], MONTH.start_ms, MONTH.end_ms))
SOURCES = ["10.1.0.1", "10.1.7.7", "10.2.0.1", "151.232.0.1"]  # the last: gamma's AS
CLIENTS = ["2.176.1.5", "2.176.1.9", "5.112.3.4", "10.1.9.9", "10.2.0.7", "203.0.113.10",
           "198.51.100.1", "2a01:5ec0::1", "151.232.0.5", "151.232.0.9"]

flow = st.builds(
    Flow, src=st.sampled_from(SOURCES), dst=st.sampled_from(CLIENTS),
    bytes=st.sampled_from([100, 1500, 64_000, 7_777_777]),
    start_ms=st.integers(-3, 24 * 20).map(lambda h: MONTH.start_ms + h * HOUR + 61_000),
    end_ms=st.none(), sampling_rate=st.sampled_from([1, 1, 100]))
spanning = st.tuples(flow, st.integers(0, 4 * HOUR)).map(
    lambda pair: Flow(pair[0].src, pair[0].dst, pair[0].bytes, pair[0].start_ms,
                      pair[0].start_ms + pair[1], sampling_rate=pair[0].sampling_rate))
months = st.lists(spanning, min_size=1, max_size=80)


def with_asns(paths: list[Path]) -> None:
    """AS numbers on 151.232.0.0/24: 151.232.0.1 and .5 in AS 64500 (gamma's claim:
    gamma sends from one and holds the other, though no prefix claim of it does, so
    settlement's receiver and integrity's client producer differ), .9 in AS 64501
    (listed hosting)."""
    numbers = {0x97E80001: 64500, 0x97E80005: 64500, 0x97E80009: 64501}
    for path in paths:
        table = pq.read_table(path)
        for name in ("src_as", "dst_as"):
            keys = ipv4_keys(address_matrix(table[name.replace("_as", "_addr")]))
            index = table.schema.get_field_index(name)
            table = table.set_column(index, table.schema.field(index), pa.array(
                [numbers.get(int(k), 0) for k in keys], table.schema.field(index).type))
        pq.write_table(table, path)


def both_ways(paths: list[Path], min_repeats: int = 2):  # type: ignore[no-untyped-def]
    engine = DuckDbEngine()
    fused = engine.signals(paths, QUERY, SIGNAL_RULES, min_repeats)
    rows = engine._signals_from_rows(paths, QUERY, SIGNAL_RULES, min_repeats)
    settled = engine.settlement(paths, QUERY, RULES, SignalRequest(SIGNAL_RULES, min_repeats))
    return ({k: t.to_pylist() for k, t in fused.items()},
            {k: t.to_pylist() for k, t in rows.items()},
            {k: t.to_pylist() for k, t in (settled.signals or {}).items()})


@settings(max_examples=10, deadline=None)
@given(months, st.integers(1, 3))
def test_the_pass_makes_the_rows_sums(flows: list[Flow], parts: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = write_flows(Path(folder), flows, parts)
        with_asns(paths)
        fused, rows, settled = both_ways(paths)
    assert fused == rows == settled


def test_a_month_exercising_every_sum_agrees(tmp_path: Path) -> None:
    """A fixed month that reaches every query: repeats, peers, hosting (by prefix and
    by AS), a claim changing hands, flows across bins and the month's start."""
    start = MONTH.start_ms
    flows = ([Flow("10.1.0.1", "198.51.100.1", 100, MID + i * HOUR) for i in range(3)]
             + [Flow("10.1.7.7", "10.2.0.7", 1500, start - HOUR, start + HOUR),
                Flow("10.2.0.1", "10.1.9.9", 64_000, MID, MID + 3 * HOUR, sampling_rate=100),
                Flow("10.1.0.1", "203.0.113.10", 777, MID + HOUR),
                Flow("151.232.0.1", "151.232.0.9", 999, MID + 2 * HOUR),
                Flow("10.1.0.1", "151.232.0.5", 444, MID + 2 * HOUR),
                Flow("10.1.7.7", "2a01:5ec0::1", 5, MID + 4 * HOUR)])
    paths = write_flows(tmp_path, flows)
    with_asns(paths)
    fused, rows, settled = both_ways(paths)
    assert fused == rows == settled
    assert fused["repeats"] == [{"producer_id": "alpha", "bytes": 300}]
    assert {(r["producer_id"], r["peer_id"]) for r in fused["peers"]} == {
        ("alpha", "beta"), ("beta", "alpha")}
    assert [r["hosting"] for r in fused["excludable"]].count(True) == 2
    assert sum(r["steady_records"] for r in fused["records"]) < sum(
        r["records"] for r in fused["records"])


def test_repeats_are_exact_when_every_flow_shares_a_bucket(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The repeat filter only narrows what SQL groups: with every key in one bucket,
    the sums are the same."""
    flows = ([Flow("10.1.0.1", "198.51.100.1", 100, MID + i * HOUR) for i in range(3)]
             + [Flow("10.1.0.1", "198.51.100.1", 101 + i, MID + i * HOUR) for i in range(5)]
             + [Flow("10.2.0.1", "198.51.100.1", 100, MID + i * HOUR) for i in range(2)])
    paths = write_flows(tmp_path, flows)
    honest = both_ways(paths, 3)
    monkeypatch.setattr(signal_sums, "key_hashes",
                        lambda producer, client, size: size * 0)
    colliding = both_ways(paths, 3)
    assert honest == colliding
    assert colliding[0]["repeats"] == [{"producer_id": "alpha", "bytes": 300}]


def test_counters_past_float64_take_the_rows_path(tmp_path: Path) -> None:
    """A batch whose scaled bytes reach 2**53 is not summed in float64: the month's
    signals come from the rows, exact, or refused when a sum passes 64 bits."""
    big = [Flow("10.1.0.1", "2.176.1.5", 2**53 + 1, MID),
           Flow("10.1.0.1", "2.176.1.5", 3, MID + HOUR)]
    got = DuckDbEngine().signals(write_flows(tmp_path / "big", big), QUERY, SIGNAL_RULES, 2)
    assert got["networks"].to_pylist() == [
        {"producer_id": "alpha", "client_net": got["networks"]["client_net"][0].as_py(),
         "bytes": 2**53 + 4, "records": 2}]
    huge = [Flow("10.1.0.1", "2.176.1.5", 2**62, MID, sampling_rate=100)]
    with pytest.raises(CounterOverflowError, match="integrity sum of bytes"):
        DuckDbEngine().signals(write_flows(tmp_path / "huge", huge), QUERY, SIGNAL_RULES, 2)


def test_a_scaled_size_past_64_bits_is_refused_whether_or_not_it_repeats(
        tmp_path: Path) -> None:
    """A flow starting in the month's last millisecond and lasting 49 days puts a sliver
    of its bytes in the month (float64 holds that), but its size times its sampling rate
    passes 64 bits: the rows' SQL refuses every such flow, repeated or not, and so does
    the pass, whatever shares its repeat bucket."""
    odd = [Flow("10.1.0.1", "2.176.1.5", 2**60, MONTH.end_ms - 1,
                MONTH.end_ms - 1 + 49 * 24 * HOUR, sampling_rate=32),
           Flow("10.1.0.1", "2.176.1.9", 100, MID)]
    paths = write_flows(tmp_path, odd)
    for make in (DuckDbEngine().signals, DuckDbEngine()._signals_from_rows):
        with pytest.raises(CounterOverflowError, match="integrity sum of bytes"):
            make(paths, QUERY, SIGNAL_RULES, 2)


def test_the_parts_go_to_duckdb_as_they_come(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Every kind of part is inserted into a temporary table (spilled past the memory
    limit) once a million rows are held, not kept in memory for the month: with the
    bound at one row, every batch's parts are inserted at once, to the same sums."""
    from pahna.aggregate.engines import duckdb as engine_module

    flows = ([Flow("10.1.0.1", "198.51.100.1", 100, MID + i * HOUR) for i in range(3)]
             + [Flow("10.2.0.1", "10.1.9.9", 64_000, MID, MID + 3 * HOUR, sampling_rate=100),
                Flow("10.1.0.1", "203.0.113.10", 777, MID + HOUR)])
    paths = write_flows(tmp_path, flows, 2)
    whole = both_ways(paths)
    monkeypatch.setattr(engine_module, "BATCH_ROWS", 1)
    held: list[int] = []
    add = engine_module._SignalSink.add

    def counted(sink, parts):  # type: ignore[no-untyped-def]
        add(sink, parts)
        held.append(sum(b.num_rows for batches in sink.held.values() for b in batches))

    monkeypatch.setattr(engine_module._SignalSink, "add", counted)
    assert both_ways(paths) == whole
    assert held and set(held) == {0}


WIDE_CLAIMS = ([["alpha", "prefix", "10.1.0.0/16", 0, None],
                ["beta", "prefix", "10.2.0.0/16", 0, None],
                ["beta", "prefix", "10.1.7.0/24", MID, None],
                ["gamma", "asn", "64500", 0, None],
                ["delta", "prefix", "2001:db8::/32", 0, None],
                ["eps", "prefix", "10.5.0.0/16", 0, MONTH.end_ms - HOUR]]
               + [[f"p{i:02d}", "prefix", f"10.{100 + i}.0.0/16", 0, None] for i in range(40)])
WIDE = {"format": 1, "window_ms": None, "domestic": [], "claims": WIDE_CLAIMS,
        "metering": [["alpha", "127.0.0.1", 2, "egress", 0, None],
                     ["beta", "127.0.0.9", 2, "egress", 0, None]]}
WIDE_SIGNALS = SignalRules(rules_from_snapshot(WIDE), HostingIndex((HostingVersion(
    1, MID, None, ("203.0.113.0/24", "2001:db8:5::/48"), (64501,)),)),
    changing_prefixes(WIDE_CLAIMS, MONTH.start_ms, MONTH.end_ms))
wide_flow = st.builds(
    lambda src, dst, size, start, length, rate, packets: Flow(
        src, dst, size, start, start + length, packets=packets, sampling_rate=rate),
    st.sampled_from(["10.1.0.1", "10.1.7.7", "10.2.0.1", "2001:db8::1", "10.5.0.1",
                     "10.101.0.1", "10.139.3.3", "9.9.9.9"]),
    st.sampled_from(["2.176.1.5", "10.1.9.9", "10.2.0.7", "203.0.113.10", "2001:db8:5::1",
                     "2001:db8:6::1", "2a01:5ec0::1", "10.120.0.1", "10.5.0.9"]),
    st.sampled_from([0, 1, 1500, 7_777_777, 2**40 + 3]),
    st.one_of(st.integers(MONTH.start_ms - 5 * HOUR, MONTH.start_ms + 5 * HOUR),
              st.integers(MONTH.end_ms - 5 * HOUR, MONTH.end_ms + HOUR),
              st.integers(MONTH.start_ms, MONTH.end_ms - 1)),
    st.sampled_from([0, 1, 299_999, 300_000, 4 * HOUR, 3 * 24 * HOUR]),
    st.sampled_from([0, 1, 100, 4096]), st.sampled_from([0, 1, 3]))


@settings(max_examples=10, deadline=None)
@given(st.lists(wide_flow, max_size=50), st.integers(1, 3),
       st.sampled_from([0, 1, 2, 3, 70_000]))
def test_the_pass_makes_the_rows_sums_with_metering_points_and_many_producers(
        flows: list[Flow], parts: int, min_repeats: int) -> None:
    """Metering points (files from two exporters), 46 producers (so the claims take the
    DIR-24-8 path), IPv6 claims and hosting, a claim ending in the month, flows around
    both ends of the month, zero sizes, rates and packets, an empty month."""
    engine = DuckDbEngine()
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for part in range(parts):
            path = Path(folder) / f"part-{part}.parquet"
            pq.write_table(flow_table(flows[part::parts], exporter=("127.0.0.1", "127.0.0.9")[
                part % 2]), path)
            paths.append(path)
        fused = engine.signals(paths, QUERY, WIDE_SIGNALS, min_repeats)
        rows = engine._signals_from_rows(paths, QUERY, WIDE_SIGNALS, min_repeats)
        settled = engine.settlement(paths, QUERY, rules_from_snapshot(WIDE),
                                    SignalRequest(WIDE_SIGNALS, min_repeats)).signals
    assert settled is not None
    for name, table in rows.items():
        assert fused[name].equals(table) and settled[name].equals(table), name
