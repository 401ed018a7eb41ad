"""What Spark's executors run: the kernel (flow pieces, web-log rows, and for integrity
signals.signal_rows) between Spark's Arrow batches, and nothing else. This module and
what it imports need only NumPy, pyarrow and pahna's own code (which the Spark engine
ships to the executors with the job), so a worker with Python, pyarrow and NumPy runs
it; it must never import pahna's configuration, registry, web or Spark engine modules.

Spark has no unsigned integers: uint32 travels as BIGINT, and uint64 counters as BIGINT
too, checked (a counter of 2**63 bytes or more stops the run rather than wrap). BIGINT
crosses the JVM/Python boundary much faster than DECIMAL(20,0), which is how Spark's
Parquet reader maps UINT_64.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from pahna.aggregate.kernel import (
    FLOW_COLUMNS,
    INPUT_COLUMNS,
    LOG_ROWS_SCHEMA,
    PIECES_SCHEMA,
    Rules,
    flow_pieces,
    log_rows,
    producer_flows,
)
from pahna.aggregate.signals import SIGNAL_ROWS_SCHEMA, SignalRules, signal_rows
from pahna.schema import FLOW_SCHEMA, LOG_SCHEMA


def spark_arrow_type(arrow_type: pa.DataType) -> pa.DataType:
    """The Arrow type Spark exchanges for a column of `arrow_type`."""
    if pa.types.is_unsigned_integer(arrow_type):
        return pa.int64()
    if pa.types.is_fixed_size_binary(arrow_type):
        return pa.binary()
    return arrow_type


def spark_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema([(f.name, spark_arrow_type(f.type)) for f in schema])


SPARK_PIECES_SCHEMA = spark_schema(PIECES_SCHEMA)
SPARK_SIGNAL_SCHEMA = spark_schema(SIGNAL_ROWS_SCHEMA)
SPARK_LOG_ROWS_SCHEMA = spark_schema(LOG_ROWS_SCHEMA)
FLOW_TYPES = {name: FLOW_SCHEMA.field(name).type for name in FLOW_SCHEMA.names}
LOG_TYPES = {name: LOG_SCHEMA.field(name).type for name in LOG_SCHEMA.names}
TOP_COLUMNS = (*FLOW_COLUMNS, "scaled_bytes")
SPARK_TOP_SCHEMA = pa.schema([(n, spark_arrow_type(FLOW_TYPES[n])) for n in FLOW_COLUMNS]
                             + [("scaled_bytes", pa.int64())])


def _flows(batch: pa.RecordBatch, types: dict[str, pa.DataType] = FLOW_TYPES
           ) -> pa.RecordBatch:
    """Spark's batch with the flow schema's types (or `types`) back."""
    names = batch.schema.names
    return pa.RecordBatch.from_arrays([batch.column(n).cast(types[n]) for n in names],
                                      names=names)


def _to_spark(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([batch.column(f.name).cast(f.type) for f in schema],
                                      schema=schema)


def _rules(rules: Any) -> Rules:
    """`rules` is a Spark broadcast of a Rules (or a Rules itself, outside Spark)."""
    value: Rules = getattr(rules, "value", rules)
    return value


def pieces_batches(batches: Iterator[pa.RecordBatch], rules: Any, receivers: bool = True
                   ) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: Spark's flow batches (INPUT_COLUMNS) -> the kernel's pieces."""
    value = _rules(rules)
    for batch in batches:
        if batch.num_rows:
            for pieces in flow_pieces(_flows(batch), value, receivers).to_batches():
                yield _to_spark(pieces, SPARK_PIECES_SCHEMA)


def producer_flows_batches(batches: Iterator[pa.RecordBatch], rules: Any, producer: int,
                           window: tuple[int, int]) -> Iterator[pa.RecordBatch]:
    """mapInArrow body: the flows counted for `producer` starting in the window."""
    value = _rules(rules)
    for batch in batches:
        if batch.num_rows:
            yield _to_spark(producer_flows(_flows(batch), value, producer, window),
                            SPARK_TOP_SCHEMA)


def signal_batches(batches: Iterator[pa.RecordBatch], rules: Any,
                   window: tuple[int, int] | None = None) -> Iterator[pa.RecordBatch]:
    """mapInArrow body for integrity: Spark's flow batches (signals.signal_input_columns)
    -> signal rows (for the query's `window`). `rules` is a Spark broadcast of a
    SignalRules (or one itself)."""
    value: SignalRules = getattr(rules, "value", rules)
    for batch in batches:
        if batch.num_rows:
            yield _to_spark(signal_rows(_flows(batch), value, window), SPARK_SIGNAL_SCHEMA)


def log_rows_batches(batches: Iterator[pa.RecordBatch], rules: Any
                     ) -> Iterator[pa.RecordBatch]:
    """mapInArrow body for web logs: Spark's stored log records (kernel.LOG_INPUT_COLUMNS)
    -> the log kernel's rows."""
    value = _rules(rules)
    for batch in batches:
        if batch.num_rows:
            yield _to_spark(log_rows(_flows(batch, LOG_TYPES), value), SPARK_LOG_ROWS_SCHEMA)


def file_digest(item: tuple[str, bytes]) -> tuple[str, str]:
    """binaryFiles body: (location, content) -> (location, sha256 of the content)."""
    return item[0], hashlib.sha256(item[1]).hexdigest()


__all__ = [
    "INPUT_COLUMNS",
    "SPARK_LOG_ROWS_SCHEMA",
    "SPARK_PIECES_SCHEMA",
    "SPARK_SIGNAL_SCHEMA",
    "SPARK_TOP_SCHEMA",
    "TOP_COLUMNS",
    "file_digest",
    "log_rows_batches",
    "pieces_batches",
    "producer_flows_batches",
    "signal_batches",
    "spark_arrow_type",
]
