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
from tests.flowgen import Flow
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


@settings(max_examples=15, deadline=None)
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
