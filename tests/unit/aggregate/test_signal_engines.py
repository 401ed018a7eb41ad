"""Spark (local mode) and DuckDB give the same integrity sums, to the byte, on a
generated month (conftest.py), with a hosting list that some of its clients fall in."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from pahna.aggregate.engines import get_engine
from pahna.aggregate.kernel import Rules
from pahna.aggregate.queries import GROUP_KEYS, UsageQuery
from pahna.aggregate.signals import SignalRequest, SignalRules
from pahna.attribute.hosting import HostingIndex
from pahna.calendar import JalaliMonth
from pahna.config import SparkSettings
from pahna.integrity.hosting import HostingVersion
from pahna.workspace import Workspace

PERIOD = "1404-08"
MONTH = JalaliMonth.parse(PERIOD)
QUERY = UsageQuery(PERIOD, MONTH.start_ms, MONTH.end_ms, GROUP_KEYS)
HOSTING = (HostingVersion(1, MONTH.start_ms + 86_400_000 * 9, None,
                          ("93.184.0.0/16", "2606:2800::/32"), ()),)


def test_signal_sums_are_identical(bench_month: Workspace, bench_rules: Rules,
                                   spark_settings: SparkSettings) -> None:
    files: list[Path] = sorted((bench_month.store_dir / "flows").glob("day=*/*.parquet"))
    rules = SignalRules(bench_rules, HostingIndex(HOSTING))
    duck = get_engine("duckdb").signals(files, QUERY, rules, 2)
    spark_engine = get_engine("spark", spark=spark_settings, store_dir=bench_month.store_dir)
    spark = spark_engine.signals(files, QUERY, rules, 2)
    assert set(duck) == set(spark) == {"networks", "peers", "excludable", "repeats",
                                        "records"}
    for name in duck:
        assert spark[name].schema == duck[name].schema, name
        assert spark[name].combine_chunks().equals(duck[name].combine_chunks()), name
    # asked of settlement's pass: DuckDB makes them there, Spark in a job beside it
    request = SignalRequest(rules, 2)
    for engine in (get_engine("duckdb"), spark_engine):
        with_settlement = engine.settlement(files, QUERY, bench_rules, request).signals
        assert with_settlement is not None
        for name in duck:
            assert with_settlement[name].combine_chunks().equals(
                duck[name].combine_chunks()), (engine.name, name)
    # the month exercised what it should: hosting clients from day 9, many networks
    excludable: pa.Table = duck["excludable"]
    assert any(excludable["hosting"].to_pylist())
    assert duck["networks"].num_rows > 100
    assert duck["records"].num_rows > 100
