"""DuckDB, the embedded default: stream the store through the kernel, sum in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from pahna.aggregate.kernel import (
    FLOW_COLUMNS,
    INPUT_COLUMNS,
    PIECES_SCHEMA,
    Rules,
    flow_pieces,
    input_columns,
    producer_flows,
)
from pahna.aggregate.queries import (
    MAX_FLOW_MS,
    SETTLEMENT_CODES_SCHEMA,
    UsageQuery,
    flows_predicate,
    scan_predicate,
    settlement_sql,
    usage_codes_schema,
    usage_sql,
)
from pahna.aggregate.results import SettlementTables, settlement_tables, usage_table
from pahna.aggregate.topflows import top_flows
from pahna.errors import CounterOverflowError, EngineError
from pahna.store.manifests import file_sha256

__all__ = ["MAX_FLOW_MS", "DuckDbEngine"]

BATCH_ROWS = 1 << 20


class DuckDbEngine:
    name = "duckdb"

    def __init__(self, memory_limit: str = "2GB") -> None:
        self.memory_limit = memory_limit

    def usage(self, files: list[Path], query: UsageQuery, rules: Rules) -> pa.Table:
        codes = self._sum(files, query, rules, usage_sql(query, "pieces"), receivers=False)
        return usage_table(codes.cast(usage_codes_schema(query)), query, rules.claims.owners)

    def settlement(self, files: list[Path], query: UsageQuery, rules: Rules
                   ) -> SettlementTables:
        codes = self._sum(files, query, rules, settlement_sql(query, "pieces"), receivers=True)
        return settlement_tables(codes.cast(SETTLEMENT_CODES_SCHEMA), query,
                                 rules.claims.owners)

    def largest_flows(self, files: list[Path], window: tuple[int, int], rules: Rules,
                      producer_id: str, limit: int) -> pa.Table:
        if producer_id not in rules.claims.owners or not files:
            return top_flows([], limit)
        producer = rules.claims.owners.index(producer_id)
        con = duckdb.connect()
        try:
            scan = con.sql(f"SELECT {', '.join(sorted({*INPUT_COLUMNS, *FLOW_COLUMNS}))} "
                           f"FROM read_parquet(?) WHERE {flows_predicate(window)}",
                           params=[[str(f) for f in files]])
            return top_flows([top_flows([producer_flows(batch, rules, producer, window)],
                                        limit)
                              for batch in scan.to_arrow_reader(BATCH_ROWS)], limit)
        except duckdb.Error as exc:
            raise EngineError(f"duckdb: largest flows of {producer_id}: {exc}") from exc
        finally:
            con.close()

    def file_digests(self, files: list[Path]) -> dict[Path, str | None]:
        return {f: file_sha256(f) if f.is_file() else None for f in files}

    def _sum(self, files: list[Path], query: UsageQuery, rules: Rules, sql: str,
             receivers: bool) -> pa.Table:
        con = duckdb.connect()
        try:
            con.execute(f"SET memory_limit = '{self.memory_limit}'")
            pieces = pa.RecordBatchReader.from_batches(
                PIECES_SCHEMA, self._pieces(con, files, query, rules, receivers))
            agg = con.cursor()
            agg.register("pieces", pieces)
            return agg.sql(sql).to_arrow_table()
        except (duckdb.ConversionException, duckdb.OutOfRangeException) as exc:
            raise CounterOverflowError(
                f"{query.period}: a sum of bytes or packets does not fit 64 bits, so the "
                "store holds an absurd counter: find its batch with `pahna store batches` "
                f"and take it out with `pahna store retract` (duckdb: {exc})") from exc
        except duckdb.Error as exc:
            raise EngineError(f"duckdb: usage for {query.period}: {exc}") from exc
        finally:
            con.close()

    def _pieces(self, con: duckdb.DuckDBPyConnection, files: list[Path], query: UsageQuery,
                rules: Rules, receivers: bool) -> Iterator[pa.RecordBatch]:
        if not files:
            return
        scan = con.cursor().sql(
            f"SELECT {', '.join(input_columns(rules))} FROM read_parquet(?) "
            f"WHERE {scan_predicate(query)}",
            params=[[str(f) for f in files]],
        )
        for batch in scan.to_arrow_reader(BATCH_ROWS):
            if batch.num_rows:
                yield from flow_pieces(batch, rules, receivers).to_batches()
