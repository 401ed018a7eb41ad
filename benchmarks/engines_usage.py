"""DuckDB against Spark (local mode) on a generated month: rows/s and peak memory.

    PYTHONPATH=src python benchmarks/engines_usage.py --flows 10000000 --flows 100000000
    PYTHONPATH=src python benchmarks/engines_usage.py --flows 100000000 --engines duckdb

For each size, the month is generated once (`pahna bench generate`, seed 1404) into
DATA/10m etc. (default /tmp/pahna-bench), then each engine computes usage per producer,
traffic class and 5-minute bin for the month in a process of its own, with the bench's
claims and domestic list. Peak memory is the resident set of that process and all its
children (Spark's JVM and Python workers), sampled every 100 ms. Both engines' tables
are compared; the figures are printed with the Spark/DuckDB ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from pahna.aggregate.engines import get_engine
from pahna.aggregate.kernel import Rules
from pahna.aggregate.queries import GROUP_KEYS, MAX_FLOW_MS, UsageQuery
from pahna.bench.month import write_month
from pahna.bench.scenario import domestic_index, populate_registry
from pahna.calendar import JalaliMonth
from pahna.config import SparkSettings
from pahna.pipeline import claim_index
from pahna.store.reader import committed_files
from pahna.workspace import CONFIG_NAME, init_workspace, open_workspace

PERIOD = "1404-08"
SPARK = SparkSettings(master="local[2]", shuffle_partitions=4, driver_memory="2g")


def prepare(data: Path, flows: int) -> Path:
    home = data / (f"{flows // 10**6}m" if flows % 10**6 == 0 else str(flows))
    workspace = open_workspace(home) if (home / CONFIG_NAME).exists() else init_workspace(home)
    populate_registry(workspace, PERIOD)
    started = time.perf_counter()
    report = write_month(workspace, PERIOD, flows)
    if report.written:
        print(f"generated {flows:,} flows in {time.perf_counter() - started:.1f} s", flush=True)
    return home


def run_engine(engine_name: str, home: Path, out: Path) -> None:
    """Child process: one engine, one month; prints its timings as JSON."""
    workspace = open_workspace(home)
    month = JalaliMonth.parse(PERIOD)
    files = committed_files(workspace.store_dir, month.start_ms - MAX_FLOW_MS, month.end_ms)
    rules = Rules(claim_index(workspace), domestic_index(PERIOD))
    query = UsageQuery(PERIOD, month.start_ms, month.end_ms, GROUP_KEYS)
    started = time.perf_counter()
    if engine_name == "spark":
        from pahna.aggregate.engines.spark import spark_session

        spark_session(SPARK)
    ready = time.perf_counter()
    table = get_engine(engine_name, spark=SPARK, store_dir=workspace.store_dir).usage(
        files, query, rules)
    done = time.perf_counter()
    pq.write_table(table, out)
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    print(json.dumps({"startup_s": ready - started, "usage_s": done - ready, "flows": rows,
                      "groups": table.num_rows}))


def _tree_rss(root: int) -> int:
    """Resident bytes of `root` and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(stat[1]), []).append(int(entry))
        rss[int(entry)] = int(stat[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def measure(engine_name: str, home: Path) -> dict[str, float]:
    out = home.parent / f"{home.name}-{engine_name}.parquet"
    child = subprocess.Popen([sys.executable, __file__, "--run", engine_name, "--home",
                              str(home), "--out", str(out)], stdout=subprocess.PIPE, text=True)
    peak = 0
    while child.poll() is None:
        peak = max(peak, _tree_rss(child.pid))
        time.sleep(0.1)
    stdout = child.stdout.read() if child.stdout else ""
    if child.returncode:
        raise SystemExit(f"{engine_name} failed ({child.returncode})")
    result: dict[str, float] = json.loads(stdout.strip().splitlines()[-1])
    result["peak_mb"] = peak / 2**20
    return result


def compare(data: Path, flows: int, engines: list[str]) -> None:
    home = prepare(data, flows)
    results = {}
    for name in engines:
        r = results[name] = measure(name, home)
        print(f"{name:7} {int(r['flows']):>12,} flows  usage {r['usage_s']:8.1f} s  "
              f"{r['flows'] / r['usage_s']:>12,.0f} rows/s  startup {r['startup_s']:5.1f} s  "
              f"peak {r['peak_mb']:7,.0f} MB  groups {int(r['groups']):,}", flush=True)
    tables = [home.parent / f"{home.name}-{name}.parquet" for name in ("duckdb", "spark")]
    same = all(t.exists() for t in tables) and pq.read_table(tables[0]).equals(
        pq.read_table(tables[1]))
    if len(results) < 2:
        print(f"identical to the other engine's last table: {same}")
        return
    duck, spark = results["duckdb"], results["spark"]
    print(f"ratio spark/duckdb: time {spark['usage_s'] / duck['usage_s']:.2f}x, "
          f"peak memory {spark['peak_mb'] / duck['peak_mb']:.2f}x; identical tables: {same}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, action="append")
    parser.add_argument("--engines", default="duckdb,spark",
                        help="comma-separated; the ratio is printed when both ran")
    parser.add_argument("--data", type=Path, default=Path("/tmp/pahna-bench"))
    parser.add_argument("--run", choices=["duckdb", "spark"], help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_engine(args.run, args.home, args.out)
        return
    print(f"machine: {os.cpu_count()} cores; Spark {SPARK.master}, "
          f"driver heap {SPARK.driver_memory}; DuckDB memory limit 2GB", flush=True)
    for flows in args.flows or [10_000_000]:
        compare(args.data, flows, args.engines.split(","))


if __name__ == "__main__":
    main()
