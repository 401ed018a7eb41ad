"""Spark (local mode) and DuckDB give the same usage, to the byte, on a generated month."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from tests.exchange import AS_RECEIVER, AS_SENDER, METERED

from pahna.aggregate.engines import get_engine
from pahna.aggregate.kernel import Rules
from pahna.aggregate.queries import GROUP_KEYS, UsageQuery
from pahna.bench.scenario import NESTED_CLAIMS
from pahna.calendar import JalaliMonth
from pahna.config import SparkSettings
from pahna.errors import CounterOverflowError, EngineError
from pahna.registry.database import open_registry
from pahna.registry.producers import list_producers
from pahna.schema import FLOW_SCHEMA
from pahna.store.reader import committed_files
from pahna.workspace import Workspace

PERIOD = "1404-08"  # the bench month of conftest.py
MONTH = JalaliMonth.parse(PERIOD)
FULL = UsageQuery(PERIOD, MONTH.start_ms, MONTH.end_ms, GROUP_KEYS)


def both(workspace: Workspace, settings: SparkSettings, query: UsageQuery, rules: Rules,
         files: list[Path] | None = None) -> tuple[pa.Table, pa.Table]:
    if files is None:
        files = sorted((workspace.store_dir / "flows").glob("day=*/*.parquet"))
    duck = get_engine("duckdb").usage(files, query, rules)
    spark = get_engine("spark", spark=settings, store_dir=workspace.store_dir)
    return duck, spark.usage(files, query, rules)


def by_province(workspace: Workspace, usage: pa.Table) -> dict[str, int]:
    province = {p.id: p.province for p in list_producers(open_registry(workspace.registry_url))}
    out: dict[str, int] = {}
    for row in usage.to_pylist():
        key = province.get(row["producer_id"], "(unattributed)")
        out[key] = out.get(key, 0) + row["bytes"]
    return out


def test_usage_per_producer_class_and_bin_is_identical(
        bench_month: Workspace, bench_rules: Rules, spark_settings: SparkSettings) -> None:
    duck, spark = both(bench_month, spark_settings, FULL, bench_rules)
    assert spark.schema == duck.schema
    assert spark.equals(duck)
    assert by_province(bench_month, spark) == by_province(bench_month, duck)
    # the month exercised what it should: every class, nested claims, the remainder
    assert set(pc.unique(duck["traffic_class"]).to_pylist()) == {
        "domestic", "international", "unknown"}
    producers = set(duck["producer_id"].to_pylist())
    assert {c.producer_id for c in NESTED_CLAIMS} <= producers and None in producers
    assert pc.min(duck["bin_start_ms"]).as_py() == MONTH.start_ms
    assert len(by_province(bench_month, duck)) > 10
    # the zip shipped to executors stays off the driver's own path (a child the driver
    # spawns, as the portal's snapshot builder, would import pahna from it)
    assert not [p for p in sys.path if p.endswith(".zip") and "pahna-" in p]


def test_partial_window_agrees_and_matches_the_full_month(
        bench_month: Workspace, bench_rules: Rules, spark_settings: SparkSettings) -> None:
    """A window that starts off a bin edge, while a time-limited claim begins."""
    start = MONTH.start_ms + 7 * 86_400_000 + 12_345
    query = UsageQuery(PERIOD, start, start + 5 * 86_400_000, GROUP_KEYS)
    duck, spark = both(bench_month, spark_settings, query, bench_rules)
    assert spark.equals(duck)
    files = committed_files(bench_month.store_dir, MONTH.start_ms - 2**32, MONTH.end_ms)
    full = get_engine("duckdb").usage(files, FULL, bench_rules)
    inside = pc.and_(pc.greater_equal(full["bin_start_ms"], start),
                     pc.less(full["bin_start_ms"], start + 5 * 86_400_000))
    assert full.filter(inside).equals(duck)


def test_whole_month_totals_and_empty_input_agree(
        bench_month: Workspace, bench_rules: Rules, spark_settings: SparkSettings) -> None:
    total = UsageQuery(PERIOD, MONTH.start_ms, MONTH.end_ms, ())
    duck, spark = both(bench_month, spark_settings, total, bench_rules)
    assert spark.equals(duck) and duck["flows"][0].as_py() > 30_000
    empty_duck, empty_spark = both(bench_month, spark_settings, FULL, bench_rules, files=[])
    assert empty_spark.equals(empty_duck) and empty_duck.num_rows == 0


def test_spark_reads_the_store_from_the_configured_location(
        bench_month: Workspace, bench_rules: Rules, spark_settings: SparkSettings,
        tmp_path: Path) -> None:
    """Manifests stay in the workspace; the flow files are read from `store`."""
    mirror = tmp_path / "mirror"
    shutil.copytree(bench_month.store_dir / "flows", mirror / "flows")
    files = committed_files(bench_month.store_dir, MONTH.start_ms - 2**32, MONTH.end_ms)
    moved = bench_month.store_dir.parent / "elsewhere"
    (bench_month.store_dir / "flows").rename(moved)
    try:
        settings = spark_settings.model_copy(update={"store": f"file://{mirror}"})
        spark = get_engine("spark", spark=settings, store_dir=bench_month.store_dir)
        usage = spark.usage(files, FULL, bench_rules)
        with pytest.raises(EngineError, match=r"PATH_NOT_FOUND|does not exist"):
            get_engine("spark", spark=spark_settings).usage(files, FULL, bench_rules)
    finally:
        moved.rename(bench_month.store_dir / "flows")
    assert usage.equals(get_engine("duckdb").usage(files, FULL, bench_rules))


def test_a_counter_spark_cannot_hold_fails_loudly(
        bench_rules: Rules, spark_settings: SparkSettings, tmp_path: Path) -> None:
    """Usage is BIGINT: 2**63 bytes stops the run on either engine, never wraps, with
    the same error saying how to take the batch out."""
    flow = {name: [0] for name in FLOW_SCHEMA.names}
    flow.update(exporter=[bytes(16)], src_addr=[bytes(16)], dst_addr=[bytes(16)],
                batch_id=["x"], bytes=[2**63 + 5], packets=[1], sampling_rate=[1],
                start_ms=[MONTH.start_ms + 1000], end_ms=[MONTH.start_ms + 2000])
    path = tmp_path / "huge.parquet"
    pq.write_table(pa.table(flow, schema=FLOW_SCHEMA), path)
    spark = get_engine("spark", spark=spark_settings)
    with pytest.raises(CounterOverflowError, match=r"pahna store retract` \(spark: .*OVERFLOW"):
        spark.usage([path], FULL, bench_rules)
    with pytest.raises(CounterOverflowError, match=r"(?i)pahna store retract.*out of range"):
        get_engine("duckdb").usage([path], FULL, bench_rules)


def test_settlement_tables_are_identical_and_exercised(
        bench_month: Workspace, bench_rules: Rules, spark_settings: SparkSettings) -> None:
    """One pass gives usage, received bytes, client networks and intra-province bytes,
    the same on both engines, with received-side attribution through prefixes, AS
    numbers (dst_as) and metering points."""
    files = sorted((bench_month.store_dir / "flows").glob("day=*/*.parquet"))
    duck = get_engine("duckdb").settlement(files, FULL, bench_rules)
    spark = get_engine("spark", spark=spark_settings, store_dir=bench_month.store_dir
                       ).settlement(files, FULL, bench_rules)
    assert spark.usage.equals(duck.usage)
    assert spark.received.equals(duck.received)
    assert spark.client_networks == duck.client_networks
    assert spark.intra_province_bytes == duck.intra_province_bytes
    # the settlement's usage is the usage query's
    assert duck.usage.equals(get_engine("duckdb").usage(files, FULL, bench_rules))
    receivers = set(duck.received["producer_id"].to_pylist())
    assert {AS_RECEIVER[0], METERED} <= receivers and len(receivers) > 10
    assert duck.client_networks[AS_SENDER[0]] > 0 and duck.intra_province_bytes


def test_largest_flows_and_file_digests_are_identical(
        bench_month: Workspace, bench_rules: Rules, spark_settings: SparkSettings) -> None:
    files = sorted((bench_month.store_dir / "flows").glob("day=*/*.parquet"))
    duck = get_engine("duckdb")
    spark = get_engine("spark", spark=spark_settings, store_dir=bench_month.store_dir)
    window = (MONTH.start_ms, MONTH.end_ms)
    for producer in (METERED, AS_SENDER[0], "teh-aparat", "nobody"):
        expected = duck.largest_flows(files, window, bench_rules, producer, 7)
        assert spark.largest_flows(files, window, bench_rules, producer, 7).equals(expected)
        assert expected.num_rows == (0 if producer == "nobody" else 7)
    missing = bench_month.store_dir / "flows" / "day=1999-01-01" / "gone.parquet"
    digests = duck.file_digests([*files, missing])
    assert spark.file_digests([*files, missing]) == digests
    assert digests[missing] is None and all(digests[f] for f in files)
