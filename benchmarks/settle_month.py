"""Settle a month of N producers with busy 5-minute bins: how long the pure settlement
takes (assembling usage, pricing with time-of-day and 95th percentile, the capped pool)
beside a peer on the same machine: summing the same rows with DuckDB (the aggregation
step that feeds it).

    PYTHONPATH=src python benchmarks/settle_month.py [producers] [bins_per_producer]
"""

from __future__ import annotations

import sys
import time

import duckdb
import numpy as np
import pyarrow as pa

from pahna.aggregate.results import RECEIVED_SCHEMA
from pahna.calendar import JalaliMonth
from pahna.parties import Producer
from pahna.settle.money import Currency
from pahna.settle.statements import SettlementInputs, settle_period
from pahna.settle.tariffs import Tariff
from pahna.settle.usage import assemble_usage

TARIFF = Tariff.from_dict({
    "id": "bench", "version": 1, "valid_from": "1404-01", "pool_minor": 10**12,
    "cap_minor": 10**10,
    "volume": {"model": "graduated", "billed_classes": ["domestic", "unknown"], "tiers": [
        {"up_to_gb": "100", "rate_per_gb": "2000000"}, {"rate_per_gb": "1000000"}]},
    "percentile": {"price_per_mbps": "3000000", "direction": "max"},
    "time_of_day": [{"start": "01:00", "end": "07:00", "multiplier": "0.5"}],
})


def usage_rows(producers: int, bins: int) -> pa.Table:
    rng = np.random.default_rng(5)
    month = JalaliMonth.parse("1404-08")
    pid = np.repeat(np.arange(producers), bins)
    slot = np.concatenate([np.sort(rng.choice(8640, bins, replace=False))
                           for _ in range(producers)])
    return pa.table({
        "producer_id": pa.array([f"p{i:05d}" for i in pid]),
        "traffic_class": pa.array(rng.choice(["domestic", "international"], len(pid),
                                             p=[.9, .1])),
        "bin_start_ms": month.start_ms + slot * 300_000,
        "bytes": rng.integers(1, 10**9, len(pid)), "flows": rng.integers(1, 100, len(pid)),
    })


def main() -> None:
    producers = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    bins = int(sys.argv[2]) if len(sys.argv) > 2 else 8640
    rows_table = usage_rows(producers, bins)
    table = rows_table
    t0 = time.perf_counter()
    con = duckdb.connect()
    con.register("rows_table", rows_table)
    con.sql("SELECT producer_id, traffic_class, bin_start_ms, SUM(bytes) FROM rows_table "
            "GROUP BY ALL").to_arrow_table()
    peer = time.perf_counter() - t0
    infos = [Producer(f"p{i:05d}", f"P{i}", "", "IR-25") for i in range(producers)]
    t0 = time.perf_counter()
    usage = assemble_usage(infos, table, RECEIVED_SCHEMA.empty_table(), {}, {})
    assembled = time.perf_counter() - t0
    t0 = time.perf_counter()
    settlement = settle_period(SettlementInputs("1404-08", 8640, tuple(usage), TARIFF,
                                                Currency(), {}))
    settled = time.perf_counter() - t0
    rows = table.num_rows
    print(f"settle_month: {producers} producers x {bins} bins = {rows:,} usage rows")
    print(f"  duckdb group-by (peer)   {peer:8.3f} s")
    print(f"  assemble usage           {assembled:8.3f} s  {rows / assembled:12,.0f} rows/s")
    print(f"  price + pool + lines     {settled:8.3f} s  {rows / settled:12,.0f} rows/s")
    print(f"  settlement / peer ratio  {(assembled + settled) / peer:8.1f}x; "
          f"total paid {settlement.total_minor:,}")


if __name__ == "__main__":
    main()
