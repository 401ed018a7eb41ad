"""DuckDB, the embedded default: stream the store through the kernel, sum in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from pahna.aggregate.kernel import INPUT_COLUMNS, ROWS_SCHEMA, Rules, usage_rows
from pahna.aggregate.queries import (
    MAX_FLOW_MS,
    UsageQuery,
    scan_predicate,
    usage_schema,
    usage_sql,
)
from pahna.aggregate.signals import (
    SIGNAL_INPUT_COLUMNS,
    SIGNAL_ROWS_SCHEMA,
    SignalRules,
    named,
    signal_queries,
    signal_rows,
)
from pahna.errors import CounterOverflowError, EngineError

__all__ = ["MAX_FLOW_MS", "DuckDbEngine"]

BATCH_ROWS = 1 << 20


class DuckDbEngine:
    name = "duckdb"

    def __init__(self, memory_limit: str = "2GB") -> None:
        self.memory_limit = memory_limit

    def usage(self, files: list[Path], query: UsageQuery, rules: Rules) -> pa.Table:
        with self._connection(query, "usage", "a sum of bytes or packets") as con:
            rows = pa.RecordBatchReader.from_batches(
                ROWS_SCHEMA, self._rows(con, files, query, rules))
            agg = con.cursor()
            agg.register("usage_rows", rows)
            return agg.sql(usage_sql(query, "usage_rows")).to_arrow_table().cast(
                usage_schema(query))

    @contextmanager
    def _connection(self, query: UsageQuery, what: str, sums: str
                    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection under the memory limit; DuckDB's errors as pahna's, an overflow
        of `sums` naming the way out."""
        con = duckdb.connect()
        try:
            con.execute(f"SET memory_limit = '{self.memory_limit}'")
            yield con
        except (duckdb.ConversionException, duckdb.OutOfRangeException) as exc:
            raise CounterOverflowError(
                f"{query.period}: {sums} does not fit 64 bits, so the "
                "store holds an absurd counter: find its batch with `pahna store batches` "
                f"and take it out with `pahna store retract` (duckdb: {exc})") from exc
        except duckdb.Error as exc:
            raise EngineError(f"duckdb: {what} for {query.period}: {exc}") from exc
        finally:
            con.close()

    def signals(self, files: list[Path], query: UsageQuery, rules: SignalRules,
                min_repeats: int) -> dict[str, pa.Table]:
        """The rows are kept in a temporary table (spilled past the memory limit), read
        once, and summed by each query."""
        with self._connection(query, "integrity signals", "an integrity sum of bytes") as con:
            rows = pa.RecordBatchReader.from_batches(
                SIGNAL_ROWS_SCHEMA, self._signal_rows(con, files, query, rules))
            agg = con.cursor()
            agg.register("signal_rows_in", rows)
            agg.execute("CREATE TEMP TABLE signal_rows AS SELECT * FROM signal_rows_in")
            owners = rules.rules.claims.owners
            return {name: named(name, agg.sql(sql).to_arrow_table(), owners)
                    for name, sql in signal_queries(query, "signal_rows", min_repeats).items()}

    def _signal_rows(self, con: duckdb.DuckDBPyConnection, files: list[Path],
                     query: UsageQuery, rules: SignalRules) -> Iterator[pa.RecordBatch]:
        for batch in self._scan(con, files, query, SIGNAL_INPUT_COLUMNS):
            yield signal_rows(batch, rules)

    def _scan(self, con: duckdb.DuckDBPyConnection, files: list[Path], query: UsageQuery,
              columns: tuple[str, ...]) -> Iterator[pa.RecordBatch]:
        if not files:
            return
        scan = con.cursor().sql(
            f"SELECT {', '.join(columns)} FROM read_parquet(?) WHERE {scan_predicate(query)}",
            params=[[str(f) for f in files]],
        )
        for batch in scan.to_arrow_reader(BATCH_ROWS):
            if batch.num_rows:
                yield batch

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
