"""Per-batch sums (aggregate/batch_sums.py): hand-computed groups, the
fallback to raw pieces when float64 could round, and the DuckDB engine's answers with
and without them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import pahna.aggregate.engines.duckdb as duckdb_engine
from pahna.aggregate.batch_sums import ClientNetworks, summed_pieces
from pahna.aggregate.engines.duckdb import DuckDbEngine
from pahna.aggregate.kernel import Flows, Rules
from pahna.aggregate.queries import GROUP_KEYS, MAX_FLOW_MS, UsageQuery
from pahna.attribute.bins import split_bins
from pahna.calendar import JalaliMonth
from pahna.schema import BIN_MS
from pahna.store.reader import committed_files
from pahna.workspace import Workspace

PERIOD = "1404-08"  # the bench month of conftest.py


def _batch(byte_counts: list[int], sampling: list[int]) -> tuple[Flows, object]:
    """Three flows: producer 0 domestic in bin 0 (same province); producer 0
    international over bins 0 and 1; not counted for its sender (code -2) but
    received by producer 1, in bin 3."""
    start = np.array([0, 0, 3 * BIN_MS], np.int64)
    end = np.array([BIN_MS - 1, 2 * BIN_MS, 3 * BIN_MS + 5], np.int64)
    counters = [np.array(byte_counts, np.uint64), np.array([1, 4, 1], np.uint64)]
    flows = Flows(sender=np.array([0, 0, -2], np.int32), holder=np.array([1, -1, 1], np.int32),
                  receiver=np.array([-1, -1, 1], np.int32),
                  klass=np.array([0, 1, 0], np.int32),
                  sampling=np.array(sampling, np.uint32),
                  client=np.array([5, 5, 7], np.int64),
                  same=np.array([True, False, False]))
    return flows, split_bins(start, end, counters)


def test_sums_per_group_as_computed_by_hand() -> None:
    flows, pieces = _batch([100, 20, 7], [0, 10, 1])
    summed = summed_pieces(flows, pieces, (0, 10 * BIN_MS))  # type: ignore[arg-type]
    assert summed is not None
    sent, received = (batch.to_pylist() for batch in summed.rows)
    key = ("producer", "traffic_class", "bin_start_ms", "same_province")
    got = {tuple(r[k] for k in key): (r["bytes"], r["packets"], r["flows"]) for r in sent}
    assert got == {(0, 0, 0, True): (100, 1, 1),
                   (0, 1, 0, False): (100, 20, 1),  # 20 bytes x 10 over two bins
                   (0, 1, BIN_MS, False): (100, 20, 0),
                   (-2, 0, 3 * BIN_MS, False): (7, 1, 1)}
    assert all(r["receiver"] == -1 and r["sampling_rate"] == 1 for r in sent)
    assert [(r["producer"], r["receiver"], r["bin_start_ms"], r["bytes"]) for r in received] \
        == [(-2, 1, 3 * BIN_MS, 7)]
    assert summed.clients is not None and summed.clients.to_pylist() == [
        {"producer": 0, "client": 5}]  # flow 3 has no sender


def test_only_the_windows_bins_are_summed() -> None:
    flows, pieces = _batch([100, 20, 7], [0, 10, 1])
    summed = summed_pieces(flows, pieces, (BIN_MS, 3 * BIN_MS))  # type: ignore[arg-type]
    assert summed is not None
    assert [(r["producer"], r["bin_start_ms"], r["bytes"], r["flows"])
            for r in summed.rows[0].to_pylist()] == [(0, BIN_MS, 100, 0)]
    assert summed.rows[1].num_rows == 0
    assert summed.clients is not None and summed.clients.num_rows == 1


@pytest.mark.parametrize("byte_counts, sampling", [
    ([2**53, 1, 1], [1, 1, 1]),  # one counter float64 could round
    ([2**40, 1, 1], [2**13, 1, 1]),  # its sampled product
    ([2**51, 2**51, 1], [1, 1, 1]),  # the batch's total
])
def test_counters_float_could_round_go_to_the_sql_raw(byte_counts: list[int],
                                                      sampling: list[int]) -> None:
    flows, pieces = _batch(byte_counts, sampling)
    assert summed_pieces(flows, pieces, (0, 10 * BIN_MS)) is None  # type: ignore[arg-type]


def test_client_networks_gathered_across_batches_are_distinct(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("pahna.aggregate.batch_sums.COMPACT_ROWS", 3)
    networks = ClientNetworks()
    for producers, clients in (([0, 0, 1], [5, 6, 5]), ([0, 1, 1], [5, 5, 9]),
                               ([2, 0, 0], [1, 6, 7])):
        networks.add(pa.table({"producer": pa.array(producers, pa.int32()),
                               "client": pa.array(clients, pa.int64())}))
    (rows,) = networks.rows(123)
    assert sorted(zip(rows.column("producer").to_pylist(), rows.column("client").to_pylist(),
                      strict=True)) == [(0, 5), (0, 6), (0, 7), (1, 5), (1, 9), (2, 1)]
    assert set(rows.column("bin_start_ms").to_pylist()) == {123}
    assert rows.column("traffic_class").null_count == rows.num_rows


def test_engine_answers_the_same_with_and_without_batch_sums(
        bench_month: Workspace, bench_rules: Rules, monkeypatch: pytest.MonkeyPatch) -> None:
    month = JalaliMonth.parse(PERIOD)
    files = committed_files(bench_month.store_dir, month.start_ms - MAX_FLOW_MS, month.end_ms)
    query = UsageQuery(PERIOD, month.start_ms, month.end_ms, GROUP_KEYS)
    by_producer = UsageQuery(PERIOD, month.start_ms, month.end_ms)
    summed = DuckDbEngine().settlement(files, query, bench_rules)
    usage = [DuckDbEngine().usage(files, q, bench_rules) for q in (query, by_producer)]
    monkeypatch.setattr(duckdb_engine, "summed_pieces", lambda *args: None)
    raw = DuckDbEngine().settlement(files, query, bench_rules)
    raw_usage = [DuckDbEngine().usage(files, q, bench_rules) for q in (query, by_producer)]
    assert all(one.equals(other) for one, other in zip(usage, raw_usage, strict=True))
    assert summed.received.num_rows and summed.client_networks  # both sides exercised
    assert summed.intra_province_bytes
    assert summed.usage.equals(raw.usage) and summed.received.equals(raw.received)
    assert summed.client_networks == raw.client_networks
    assert summed.intra_province_bytes == raw.intra_province_bytes


def test_client_bytes_are_the_raw_pieces_sums(
        bench_month: Workspace, bench_rules: Rules, monkeypatch: pytest.MonkeyPatch) -> None:
    """Client-centric allocation (a tariff with [content]) reads each producer's bytes
    per client network: the batch sums keep only which networks were reached, so that
    query must not be answered from them."""
    month = JalaliMonth.parse(PERIOD)
    files = committed_files(bench_month.store_dir, month.start_ms - MAX_FLOW_MS, month.end_ms)
    query = UsageQuery(PERIOD, month.start_ms, month.end_ms, GROUP_KEYS, client_bytes=True)
    served = DuckDbEngine().settlement(files, query, bench_rules)
    monkeypatch.setattr(duckdb_engine, "summed_pieces", lambda *args: None)
    raw = DuckDbEngine().settlement(files, query, bench_rules)
    assert raw.client_bytes and any(sum(n.values()) for n in raw.client_bytes.values())
    assert served.client_bytes == raw.client_bytes
    assert served.usage.equals(raw.usage) and served.client_networks == raw.client_networks
