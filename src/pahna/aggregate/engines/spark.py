"""Apache Spark: the same kernel through mapInArrow, the same SQL, on one machine or many.

Spark reads the committed Parquet files (from the workspace's store, or from the URI in
`[aggregate.spark] store` that holds the same layout), filters them with the shared scan
predicate, hands Arrow batches to the kernel on the executors (`aggregate/executors.py`;
the Rules are broadcast once, pickled) and sums the pieces with the shared SQL. Usage,
settlement and explain's largest flows all run there: the driver reads no flow file.

The executors need Python with NumPy and pyarrow, nothing of pahna: the engine ships
pahna's own modules with the job (`shipped_package`: a zip of the package, added with
addPyFile), and runs the interpreter named by `[aggregate.spark] python` on them.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlparse

import pyarrow as pa

import pahna
from pahna.aggregate.executors import (
    SPARK_LOG_ROWS_SCHEMA,
    SPARK_PIECES_SCHEMA,
    SPARK_SIGNAL_SCHEMA,
    SPARK_TOP_SCHEMA,
    TOP_COLUMNS,
    file_digest,
    log_rows_batches,
    pieces_batches,
    producer_flows_batches,
    signal_batches,
)
from pahna.aggregate.kernel import (
    FLOW_COLUMNS,
    INPUT_COLUMNS,
    LOG_INPUT_COLUMNS,
    Rules,
    input_columns,
)
from pahna.aggregate.queries import (
    LogQuery,
    UsageQuery,
    flows_predicate,
    log_scan_predicate,
    log_usage_schema,
    log_usage_sql,
    scan_predicate,
    settlement_codes_schema,
    settlement_sql,
    usage_codes_schema,
    usage_sql,
)
from pahna.aggregate.results import SettlementTables, settlement_tables, usage_table
from pahna.aggregate.signals import (
    SignalRequest,
    SignalRules,
    named,
    signal_input_columns,
    signal_queries,
)
from pahna.aggregate.topflows import ORDER, top_flows
from pahna.config import SparkSettings
from pahna.errors import CounterOverflowError, EngineError
from pahna.schema import FLOW_SCHEMA, LOG_SCHEMA

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def read_columns(names: tuple[str, ...], schema: pa.Schema = FLOW_SCHEMA) -> list[str]:
    """Columns (of flows, or of `schema`) as the kernel reads them; uint64 ones cast to
    BIGINT (ANSI: overflow fails)."""
    return [f"CAST({name} AS BIGINT) AS {name}"
            if pa.types.is_uint64(schema.field(name).type) else name
            for name in names]


def _ddl_type(arrow_type: pa.DataType) -> str:
    names = {pa.string(): "string", pa.int64(): "bigint", pa.int32(): "int",
             pa.bool_(): "boolean", pa.binary(): "binary"}
    if arrow_type not in names:
        raise EngineError(f"spark: no mapping for Arrow type {arrow_type}")
    return names[arrow_type]


def ddl(schema: pa.Schema) -> str:
    return ", ".join(f"{f.name} {_ddl_type(f.type)}" for f in schema)


PIECES_DDL = ddl(SPARK_PIECES_SCHEMA)
TOP_DDL = ddl(SPARK_TOP_SCHEMA)
SIGNAL_DDL = ddl(SPARK_SIGNAL_SCHEMA)
LOG_ROWS_DDL = ddl(SPARK_LOG_ROWS_SCHEMA)


def shipped_package() -> Path:
    """A zip of pahna's Python modules (named by their content hash, made once per
    machine in the temporary folder), which executors put on their path."""
    root = Path(pahna.__file__).parent
    sources = sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    target = Path(tempfile.gettempdir()) / f"pahna-{digest.hexdigest()[:16]}.zip"
    if not target.exists():
        partial_path = target.with_suffix(f".{os.getpid()}.tmp")
        with zipfile.ZipFile(partial_path, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sources:
                archive.write(path, f"pahna/{path.relative_to(root).as_posix()}")
        partial_path.replace(target)
    return target


def spark_session(settings: SparkSettings) -> SparkSession:
    """The process's SparkSession, created on first use with these settings, with
    pahna's modules shipped to its executors."""
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
    if settings.python:
        # pyspark reads the executors' interpreter from this variable alone
        os.environ["PYSPARK_PYTHON"] = settings.python
    elif settings.master.startswith("local"):
        # local executors run this interpreter, which has pyarrow and NumPy
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if settings.master.startswith("local"):
        conf["spark.ui.enabled"] = "false"
    for key, value in {**conf, **settings.conf}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    package = shipped_package()
    shipped = (session.sparkContext.applicationId, package.name)
    if shipped not in _SHIPPED:
        driver_path = list(sys.path)
        session.sparkContext.addPyFile(str(package))
        # addPyFile also puts the zip first on this process's path: the driver has pahna
        # installed, and a child it spawns (the portal's snapshot builder) must not import
        # pahna from the zip (no migrations folder inside it)
        sys.path[:] = driver_path
        _SHIPPED.add(shipped)
    return session


_SHIPPED: set[tuple[str, str]] = set()
"""(Spark application, package zip) pairs already shipped by this process."""


T = TypeVar("T")


def _existing(spark: SparkSession, locations: list[str]) -> list[str]:
    """The locations Spark's file system finds."""
    jvm, context = spark.sparkContext._jvm, spark.sparkContext._jsc
    assert jvm is not None and context is not None  # a live session
    conf = context.hadoopConfiguration()
    found = []
    for location in locations:
        path = jvm.org.apache.hadoop.fs.Path(location)
        if path.getFileSystem(conf).exists(path):
            found.append(location)
    return found


def _digests(spark: SparkSession, locations: list[str]) -> dict[str, str]:
    """{location: sha256} of the files, read on the executors. Hadoop names a file
    its own way (file:/x for file:///x): matched back by path."""
    if not locations:
        return {}
    by_path = {urlparse(location).path: location for location in locations}
    pairs = spark.sparkContext.binaryFiles(",".join(locations)).map(file_digest).collect()
    return {by_path[urlparse(returned).path]: digest for returned, digest in pairs}


class SparkEngine:
    name = "spark"

    def __init__(self, settings: SparkSettings, store_dir: Path | None = None) -> None:
        self.settings = settings
        self.store_dir = store_dir

    def usage(self, files: list[Path], query: UsageQuery, rules: Rules) -> pa.Table:
        codes = self._run(query.period, lambda spark: self._sum(
            spark, files, query, rules, partial(usage_sql, query), receivers=False))
        return usage_table(codes.cast(usage_codes_schema(query)), query, rules.claims.owners)

    def settlement(self, files: list[Path], query: UsageQuery, rules: Rules,
                   signals: SignalRequest | None = None) -> SettlementTables:
        """With `signals`, integrity's sums come from a job of their own (`signals`)."""
        codes = self._run(query.period, lambda spark: self._sum(
            spark, files, query, rules, partial(settlement_sql, query), receivers=True))
        tables = settlement_tables(codes.cast(settlement_codes_schema(query)), query,
                                   rules.claims.owners)
        if signals is None:
            return tables
        return replace(tables, signals=self.signals(files, query, signals.rules,
                                                    signals.min_repeats))

    def largest_flows(self, files: list[Path], window: tuple[int, int], rules: Rules,
                      producer_id: str, limit: int) -> pa.Table:
        if producer_id not in rules.claims.owners or not files:
            return top_flows([], limit)
        producer = rules.claims.owners.index(producer_id)

        def run(spark: SparkSession) -> pa.Table:
            names = tuple(sorted({*INPUT_COLUMNS, *FLOW_COLUMNS}))
            flows = (spark.read.parquet(*self.locations(files))
                     .where(flows_predicate(window)).selectExpr(*read_columns(names)))
            shared = spark.sparkContext.broadcast(rules)
            mine = flows.mapInArrow(partial(producer_flows_batches, rules=shared,
                                            producer=producer, window=window), TOP_DDL)
            order = [mine[name].desc() if way == "descending" else mine[name].asc()
                     for name, way in ORDER]
            return mine.orderBy(*order).limit(limit).select(*TOP_COLUMNS).toArrow()

        return top_flows([self._run(f"largest flows of {producer_id}", run)], limit)

    def file_digests(self, files: list[Path]) -> dict[Path, str | None]:
        """Read on the executors, from where Spark reads the flows (`store`)."""
        located = dict(zip(self.locations(files), files, strict=True))
        if not located:
            return {}

        def run(spark: SparkSession) -> dict[Path, str | None]:
            from py4j.protocol import Py4JJavaError

            out: dict[Path, str | None] = dict.fromkeys(files)
            try:
                digests = _digests(spark, list(located))
            except Py4JJavaError:  # some are missing: ask which, read the others
                digests = _digests(spark, _existing(spark, list(located)))
            for location, digest in digests.items():
                out[located[location]] = digest
            return out

        return self._run("reading the sealed files", run)

    def signals(self, files: list[Path], query: UsageQuery, rules: SignalRules,
                min_repeats: int) -> dict[str, pa.Table]:
        """The rows (executors.signal_batches) are persisted, read once, and summed by
        each query."""
        return self._run(f"integrity signals for {query.period}", lambda spark: self._signals(
            spark, files, query, rules, min_repeats))

    def _signals(self, spark: SparkSession, files: list[Path], query: UsageQuery,
                 rules: SignalRules, min_repeats: int) -> dict[str, pa.Table]:
        if files:
            flows = (spark.read.parquet(*self.locations(files)).where(scan_predicate(query))
                     .selectExpr(*read_columns(signal_input_columns(rules))))
            shared = spark.sparkContext.broadcast(rules)
            rows = flows.mapInArrow(partial(signal_batches, rules=shared,
                                             window=(query.start_ms, query.end_ms)),
                                     SIGNAL_DDL)
        else:
            rows = spark.createDataFrame([], SIGNAL_DDL)
        rows = rows.persist()
        view = f"signal_rows_{uuid.uuid4().hex}"
        rows.createOrReplaceTempView(view)
        try:
            owners = rules.rules.claims.owners
            return {name: named(name, spark.sql(sql).toArrow(), owners)
                    for name, sql in signal_queries(query, view, min_repeats).items()}
        finally:
            spark.catalog.dropTempView(view)
            rows.unpersist()

    def log_usage(self, files: list[Path], query: LogQuery, rules: Rules) -> pa.Table:
        """Web-log usage: the log kernel on the executors (executors.log_rows_batches),
        the shared SQL."""
        return self._run(f"log usage for {query.period}", lambda spark: self._log_usage(
            spark, files, query, rules)).cast(log_usage_schema(query))

    def _log_usage(self, spark: SparkSession, files: list[Path], query: LogQuery,
                   rules: Rules) -> pa.Table:
        if files:
            records = (spark.read.parquet(*self.locations(files))
                       .where(log_scan_predicate(query))
                       .selectExpr(*read_columns(LOG_INPUT_COLUMNS, LOG_SCHEMA)))
            shared = spark.sparkContext.broadcast(rules)
            rows = records.mapInArrow(partial(log_rows_batches, rules=shared), LOG_ROWS_DDL)
        else:
            rows = spark.createDataFrame([], LOG_ROWS_DDL)
        view = f"log_rows_{uuid.uuid4().hex}"
        rows.createOrReplaceTempView(view)
        try:
            return spark.sql(log_usage_sql(query, view)).toArrow()
        finally:
            spark.catalog.dropTempView(view)

    def _run(self, what: str, job: Callable[[SparkSession], T]) -> T:
        try:
            from py4j.protocol import Py4JError
            from pyspark.errors import PySparkException
        except ImportError as exc:
            raise EngineError("spark: pyspark is not installed (pip install "
                              "'pahna[spark]')") from exc
        try:
            return job(spark_session(self.settings))
        except (PySparkException, Py4JError) as exc:
            text = str(exc)
            # ANSI mode: CAST_OVERFLOW, ARITHMETIC_OVERFLOW; the kernel's own check
            if "OVERFLOW" in text or "CounterOverflowError" in text:
                raise CounterOverflowError(
                    f"{what}: a sum of bytes or packets does not fit 64 bits, so the store "
                    "holds an absurd counter: find its batch with `pahna store batches` "
                    f"and take it out with `pahna store retract` (spark: {exc})") from exc
            raise EngineError(f"spark: {what}: {exc}") from exc

    def _sum(self, spark: SparkSession, files: list[Path], query: UsageQuery, rules: Rules,
             sql: Callable[[str], str], receivers: bool) -> pa.Table:
        pieces = self._pieces(spark, files, query, rules, receivers)
        view = f"pieces_{uuid.uuid4().hex}"
        pieces.createOrReplaceTempView(view)
        try:
            return spark.sql(sql(view)).toArrow()
        finally:
            spark.catalog.dropTempView(view)

    def _pieces(self, spark: SparkSession, files: list[Path], query: UsageQuery,
                rules: Rules, receivers: bool) -> DataFrame:
        if not files:
            return spark.createDataFrame([], PIECES_DDL)
        flows = (spark.read.parquet(*self.locations(files))
                 .where(scan_predicate(query)).selectExpr(*read_columns(input_columns(rules))))
        shared = spark.sparkContext.broadcast(rules)
        return flows.mapInArrow(partial(pieces_batches, rules=shared, receivers=receivers),
                                PIECES_DDL)

    def locations(self, files: list[Path]) -> list[str]:
        """Where Spark reads each committed file: under `store` when set, else in place."""
        if not self.settings.store:
            return [f"file://{f.resolve().as_posix()}" for f in files]
        if self.store_dir is None:
            raise EngineError("spark: [aggregate.spark] store is set but the workspace's "
                              "store folder is unknown, so file paths cannot be mapped")
        root = self.settings.store.rstrip("/")
        return [f"{root}/{f.relative_to(self.store_dir).as_posix()}" for f in files]
