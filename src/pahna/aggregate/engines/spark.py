"""Apache Spark: the same kernel through mapInArrow, the same SQL, on one machine or many.

Spark reads the committed Parquet files (from the workspace's store, or from the URI in
`[aggregate.spark] store` that holds the same layout), filters them with the shared scan
predicate, hands Arrow batches to `kernel.usage_rows` on the executors (the Rules are
broadcast once, pickled), and sums the kernel's rows with the shared `usage_sql`. Only
the type mapping at the Arrow boundary is Spark's own: Spark has no unsigned integers,
so uint32 travels as BIGINT, and uint64 counters as BIGINT too, checked: a counter of
2**63 bytes or more (no real flow record holds one) stops the run with an EngineError
rather than wrap. BIGINT crosses the JVM/Python boundary much faster than DECIMAL(20,0),
which is how Spark's Parquet reader maps UINT_64.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from pahna.aggregate.kernel import (
    INPUT_COLUMNS,
    LOG_INPUT_COLUMNS,
    LOG_ROWS_SCHEMA,
    ROWS_SCHEMA,
    Rules,
    log_rows,
    usage_rows,
)
from pahna.aggregate.queries import (
    LogQuery,
    UsageQuery,
    log_scan_predicate,
    log_usage_schema,
    log_usage_sql,
    scan_predicate,
    usage_schema,
    usage_sql,
)
from pahna.config import SparkSettings
from pahna.errors import CounterOverflowError, EngineError
from pahna.schema import FLOW_SCHEMA, LOG_SCHEMA

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def spark_arrow_type(arrow_type: pa.DataType) -> pa.DataType:
    """The Arrow type Spark exchanges for a column of `arrow_type`."""
    return pa.int64() if pa.types.is_unsigned_integer(arrow_type) else arrow_type


def scan_columns() -> list[str]:
    """The kernel's input columns; uint64 ones cast to BIGINT (ANSI: overflow fails)."""
    return [f"CAST({name} AS BIGINT) AS {name}"
            if pa.types.is_uint64(FLOW_SCHEMA.field(name).type) else name
            for name in INPUT_COLUMNS]


def _ddl_type(arrow_type: pa.DataType) -> str:
    names = {pa.string(): "string", pa.int64(): "bigint", pa.int32(): "int",
             pa.binary(): "binary"}
    if arrow_type not in names:
        raise EngineError(f"spark: no mapping for Arrow type {arrow_type}")
    return names[arrow_type]


SPARK_ROWS_SCHEMA = pa.schema([(f.name, spark_arrow_type(f.type)) for f in ROWS_SCHEMA])
ROWS_DDL = ", ".join(f"{f.name} {_ddl_type(f.type)}" for f in SPARK_ROWS_SCHEMA)
SPARK_LOG_ROWS_SCHEMA = pa.schema([(f.name, spark_arrow_type(f.type))
                                   for f in LOG_ROWS_SCHEMA])
LOG_ROWS_DDL = ", ".join(f"{f.name} {_ddl_type(f.type)}" for f in SPARK_LOG_ROWS_SCHEMA)


def log_scan_columns() -> list[str]:
    """The log kernel's input columns; uint64 ones cast to BIGINT (ANSI: overflow fails)."""
    return [f"CAST({name} AS BIGINT) AS {name}"
            if pa.types.is_uint64(LOG_SCHEMA.field(name).type) else name
            for name in LOG_INPUT_COLUMNS]


def log_kernel_batches(batches: Iterator[pa.RecordBatch], rules: Any
                       ) -> Iterator[pa.RecordBatch]:
    """mapInArrow body for web logs: Spark's record batches -> the log kernel."""
    value: Rules = getattr(rules, "value", rules)
    types = {name: LOG_SCHEMA.field(name).type for name in LOG_INPUT_COLUMNS}
    for batch in batches:
        if not batch.num_rows:
            continue
        records = pa.RecordBatch.from_arrays(
            [batch.column(name).cast(types[name]) for name in LOG_INPUT_COLUMNS],
            names=list(LOG_INPUT_COLUMNS))
        rows = log_rows(records, value)
        yield pa.RecordBatch.from_arrays(
            [rows.column(f.name).cast(f.type) for f in SPARK_LOG_ROWS_SCHEMA],
            schema=SPARK_LOG_ROWS_SCHEMA)


def kernel_batches(batches: Iterator[pa.RecordBatch], rules: Any) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: Spark's flow batches -> the kernel -> Spark's row batches.

    `rules` is a Spark broadcast of a Rules (or a Rules itself, outside Spark).
    """
    value: Rules = getattr(rules, "value", rules)
    flow_types = {name: FLOW_SCHEMA.field(name).type for name in INPUT_COLUMNS}
    for batch in batches:
        if not batch.num_rows:
            continue
        flows = pa.RecordBatch.from_arrays(
            [batch.column(name).cast(flow_types[name]) for name in INPUT_COLUMNS],
            names=list(INPUT_COLUMNS))
        rows = usage_rows(flows, value)
        yield pa.RecordBatch.from_arrays(
            [rows.column(f.name).cast(f.type) for f in SPARK_ROWS_SCHEMA],
            schema=SPARK_ROWS_SCHEMA)


def spark_session(settings: SparkSettings) -> SparkSession:
    """The process's SparkSession, created on first use with these settings."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(settings.master).appName("pahna")
    conf = {
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(settings.arrow_batch_rows),
        "spark.driver.memory": settings.driver_memory,
        "spark.executor.memory": settings.executor_memory,
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.ansi.enabled": "true",  # casts and sums fail on overflow, never wrap
    }
    if settings.master.startswith("local"):
        # local executors run this interpreter, which has pahna and pyarrow
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        conf["spark.ui.enabled"] = "false"
    for key, value in {**conf, **settings.conf}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine:
    name = "spark"

    def __init__(self, settings: SparkSettings, store_dir: Path | None = None) -> None:
        self.settings = settings
        self.store_dir = store_dir

    def usage(self, files: list[Path], query: UsageQuery, rules: Rules) -> pa.Table:
        try:
            from py4j.protocol import Py4JError
            from pyspark.errors import PySparkException
        except ImportError as exc:
            raise EngineError("spark: pyspark is not installed (pip install "
                              "'pahna[spark]')") from exc
        try:
            return self._usage(spark_session(self.settings), files, query, rules)
        except (PySparkException, Py4JError) as exc:
            if "OVERFLOW" in str(exc):  # ANSI mode: CAST_OVERFLOW, ARITHMETIC_OVERFLOW
                raise CounterOverflowError(
                    f"{query.period}: a sum of bytes or packets does not fit 64 bits, so "
                    "the store holds an absurd counter: find its batch with `pahna store "
                    f"batches` and take it out with `pahna store retract` (spark: {exc})"
                ) from exc
            raise EngineError(f"spark: usage for {query.period}: {exc}") from exc

    def _usage(self, spark: SparkSession, files: list[Path], query: UsageQuery,
               rules: Rules) -> pa.Table:
        rows = self._rows(spark, files, query, rules)
        view = f"usage_rows_{uuid.uuid4().hex}"
        rows.createOrReplaceTempView(view)
        try:
            table = spark.sql(usage_sql(query, view)).toArrow()
        finally:
            spark.catalog.dropTempView(view)
        return table.cast(usage_schema(query))

    def _rows(self, spark: SparkSession, files: list[Path], query: UsageQuery,
              rules: Rules) -> DataFrame:
        if not files:
            return spark.createDataFrame([], ROWS_DDL)
        flows = (spark.read.parquet(*self.locations(files))
                 .where(scan_predicate(query)).selectExpr(*scan_columns()))
        shared = spark.sparkContext.broadcast(rules)
        return flows.mapInArrow(partial(kernel_batches, rules=shared), ROWS_DDL)

    def log_usage(self, files: list[Path], query: LogQuery, rules: Rules) -> pa.Table:
        """Web-log usage: the log kernel on the executors, the shared SQL."""
        try:
            from py4j.protocol import Py4JError
            from pyspark.errors import PySparkException
        except ImportError as exc:
            raise EngineError("spark: pyspark is not installed (pip install "
                              "'pahna[spark]')") from exc
        try:
            spark = spark_session(self.settings)
            if files:
                records = (spark.read.parquet(*self.locations(files))
                           .where(log_scan_predicate(query)).selectExpr(*log_scan_columns()))
                shared = spark.sparkContext.broadcast(rules)
                rows = records.mapInArrow(partial(log_kernel_batches, rules=shared),
                                          LOG_ROWS_DDL)
            else:
                rows = spark.createDataFrame([], LOG_ROWS_DDL)
            view = f"log_rows_{uuid.uuid4().hex}"
            rows.createOrReplaceTempView(view)
            try:
                table = spark.sql(log_usage_sql(query, view)).toArrow()
            finally:
                spark.catalog.dropTempView(view)
            return table.cast(log_usage_schema(query))
        except (PySparkException, Py4JError) as exc:
            raise EngineError(f"spark: log usage for {query.period}: {exc}") from exc

    def locations(self, files: list[Path]) -> list[str]:
        """Where Spark reads each committed file: under `store` when set, else in place."""
        if not self.settings.store:
            return [f"file://{f.resolve().as_posix()}" for f in files]
        if self.store_dir is None:
            raise EngineError("spark: [aggregate.spark] store is set but the workspace's "
                              "store folder is unknown, so file paths cannot be mapped")
        root = self.settings.store.rstrip("/")
        return [f"{root}/{f.relative_to(self.store_dir).as_posix()}" for f in files]
