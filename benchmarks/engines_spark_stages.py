"""Where the Spark engine's time goes: scan, the JVM/Python hop, the kernel, the sums.

    PYTHONPATH=src python benchmarks/engines_spark_stages.py --flows 1000000

On a generated month (DATA/1m etc., made when absent), in one warm local[2] session,
each stage is timed with count() twice (the second, warm, figure is printed), and the
same kernel is timed in this Python process over the same files, for comparison.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from pahna.aggregate.engines.spark import PIECES_DDL, SparkEngine, read_columns, spark_session
from pahna.aggregate.executors import pieces_batches
from pahna.aggregate.kernel import INPUT_COLUMNS, Rules, flow_pieces
from pahna.aggregate.queries import GROUP_KEYS, MAX_FLOW_MS, UsageQuery, scan_predicate
from pahna.bench.scenario import domestic_index
from pahna.calendar import JalaliMonth
from pahna.config import SparkSettings
from pahna.pipeline import claim_index
from pahna.store.reader import committed_files
from pahna.workspace import open_workspace

PERIOD = "1404-08"
SPARK = SparkSettings(master="local[2]", shuffle_partitions=4, driver_memory="2g")


def nothing(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        yield pa.RecordBatch.from_arrays([batch.column("start_ms")], names=["start_ms"])


def timed(label: str, flows: int, run: Callable[[], object]) -> None:
    run()
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    print(f"{label:44} {seconds:7.1f} s {flows / seconds:>12,.0f} flows/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/pahna-bench"))
    args = parser.parse_args()
    from engines_usage import prepare  # the sibling script: same month, same folder

    workspace = open_workspace(prepare(args.data, args.flows))
    month = JalaliMonth.parse(PERIOD)
    files = committed_files(workspace.store_dir, month.start_ms - MAX_FLOW_MS, month.end_ms)
    rules = Rules(claim_index(workspace), domestic_index(PERIOD))
    query = UsageQuery(PERIOD, month.start_ms, month.end_ms, GROUP_KEYS)
    spark = spark_session(SPARK)
    engine = SparkEngine(SPARK, workspace.store_dir)
    scan = (spark.read.parquet(*engine.locations(files)).where(scan_predicate(query))
            .selectExpr(*read_columns(INPUT_COLUMNS)))
    shared = spark.sparkContext.broadcast(rules)
    n = args.flows
    timed("spark: scan and filter", n, scan.count)
    timed("spark: + mapInArrow doing nothing", n, scan.mapInArrow(nothing, "start_ms bigint").count)
    timed("spark: + the kernel", n,
          scan.mapInArrow(partial(pieces_batches, rules=shared), PIECES_DDL).count)
    timed("spark: + the usage SQL (whole engine)", n, lambda: engine.usage(files, query, rules))
    timed("python: the kernel over the same files", n, lambda: [
        flow_pieces(b, rules) for b in ds.dataset([str(f) for f in files]).to_batches(
            columns=list(INPUT_COLUMNS), batch_size=SPARK.arrow_batch_rows)])


if __name__ == "__main__":
    main()
