"""DuckDB, the embedded default: stream the store through the kernel, sum in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
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
    MAX_FLOW_MS,
    LogQuery,
    UsageQuery,
    log_scan_predicate,
    log_usage_schema,
    log_usage_sql,
    scan_predicate,
    usage_schema,
    usage_sql,
)
from pahna.errors import CounterOverflowError, EngineError

__all__ = ["MAX_FLOW_MS", "DuckDbEngine"]

BATCH_ROWS = 1 << 20


class DuckDbEngine:
    name = "duckdb"

    def __init__(self, memory_limit: str = "2GB") -> None:
        self.memory_limit = memory_limit

    def usage(self, files: list[Path], query: UsageQuery, rules: Rules) -> pa.Table:
        con = duckdb.connect()
        try:
            con.execute(f"SET memory_limit = '{self.memory_limit}'")
            rows = pa.RecordBatchReader.from_batches(
                ROWS_SCHEMA, self._rows(con, files, query, rules))
            agg = con.cursor()
            agg.register("usage_rows", rows)
            return agg.sql(usage_sql(query, "usage_rows")).to_arrow_table().cast(
                usage_schema(query))
        except (duckdb.ConversionException, duckdb.OutOfRangeException) as exc:
            raise CounterOverflowError(
                f"{query.period}: a sum of bytes or packets does not fit 64 bits, so the "
                "store holds an absurd counter: find its batch with `pahna store batches` "
                f"and take it out with `pahna store retract` (duckdb: {exc})") from exc
        except duckdb.Error as exc:
            raise EngineError(f"duckdb: usage for {query.period}: {exc}") from exc
        finally:
            con.close()

    def _rows(self, con: duckdb.DuckDBPyConnection, files: list[Path], query: UsageQuery,
              rules: Rules) -> Iterator[pa.RecordBatch]:
        if not files:
            return
        scan = con.cursor().sql(
            f"SELECT {', '.join(INPUT_COLUMNS)} FROM read_parquet(?) "
            f"WHERE {scan_predicate(query)}",
            params=[[str(f) for f in files]],
        )
        for batch in scan.to_arrow_reader(BATCH_ROWS):
            if batch.num_rows:
                yield usage_rows(batch, rules)

    def log_usage(self, files: list[Path], query: LogQuery, rules: Rules) -> pa.Table:
        """Web-log usage: stored records through the log kernel, summed in SQL."""
        con = duckdb.connect()
        try:
            con.execute(f"SET memory_limit = '{self.memory_limit}'")
            rows = pa.RecordBatchReader.from_batches(
                LOG_ROWS_SCHEMA, self._log_rows(con, files, query, rules))
            agg = con.cursor()
            agg.register("log_rows", rows)
            return agg.sql(log_usage_sql(query, "log_rows")).to_arrow_table().cast(
                log_usage_schema(query))
        except duckdb.Error as exc:
            raise EngineError(f"duckdb: log usage for {query.period}: {exc}") from exc
        finally:
            con.close()

    def _log_rows(self, con: duckdb.DuckDBPyConnection, files: list[Path], query: LogQuery,
                  rules: Rules) -> Iterator[pa.RecordBatch]:
        if not files:
            return
        scan = con.cursor().sql(
            f"SELECT {', '.join(LOG_INPUT_COLUMNS)} FROM read_parquet(?) "
            f"WHERE {log_scan_predicate(query)}",
            params=[[str(f) for f in files]],
        )
        for batch in scan.to_arrow_reader(BATCH_ROWS):
            if batch.num_rows:
                yield log_rows(batch, rules)
