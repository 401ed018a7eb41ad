"""DuckDB, the embedded default: stream the store, attribute per batch, sum in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from pahna.aggregate.base import UsageQuery
from pahna.attribute.claims import ClaimIndex
from pahna.errors import EngineError
from pahna.schema import USAGE_SCHEMA

BATCH_ROWS = 1 << 20
_ATTRIBUTED = pa.schema([
    ("producer_id", pa.string()), ("bytes", pa.uint64()), ("packets", pa.uint64()),
    ("sampling_rate", pa.uint32()),
])


class DuckDbEngine:
    name = "duckdb"

    def __init__(self, memory_limit: str = "2GB") -> None:
        self.memory_limit = memory_limit

    def _connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        con.execute(f"SET memory_limit = '{self.memory_limit}'")
        return con

    def usage(self, files: list[Path], query: UsageQuery, claims: ClaimIndex) -> pa.Table:
        if not files:
            return USAGE_SCHEMA.empty_table()
        con = self._connect()
        try:
            reader = pa.RecordBatchReader.from_batches(
                _ATTRIBUTED, self._attributed(con, files, query, claims))
            agg = con.cursor()
            agg.register("attributed", reader)
            result = agg.sql(
                """
                SELECT producer_id, ? AS period,
                       CAST(SUM(CAST(bytes AS HUGEINT) * greatest(sampling_rate, 1)) AS BIGINT)
                         AS bytes,
                       CAST(SUM(CAST(packets AS HUGEINT) * greatest(sampling_rate, 1)) AS BIGINT)
                         AS packets,
                       COUNT(*) AS flows
                FROM attributed GROUP BY producer_id ORDER BY producer_id NULLS LAST
                """,
                params=[query.period],
            ).to_arrow_table()
        except duckdb.Error as exc:
            raise EngineError(f"duckdb: usage for {query.period}: {exc}") from exc
        finally:
            con.close()
        return result.cast(USAGE_SCHEMA)

    def _attributed(self, con: duckdb.DuckDBPyConnection, files: list[Path], query: UsageQuery,
                    claims: ClaimIndex) -> Iterator[pa.RecordBatch]:
        scan = con.cursor().sql(
            """SELECT src_addr, start_ms, bytes, packets, sampling_rate
               FROM read_parquet(?) WHERE start_ms >= ? AND start_ms < ?""",
            params=[[str(f) for f in files], query.start_ms, query.end_ms],
        )
        for batch in scan.to_arrow_reader(BATCH_ROWS):
            if batch.num_rows == 0:
                continue
            owners = claims.owner_column(batch.column("src_addr"),
                                         batch.column("start_ms").to_numpy())
            yield pa.RecordBatch.from_arrays(
                [owners.cast(pa.string()), batch.column("bytes"), batch.column("packets"),
                 batch.column("sampling_rate")],
                schema=_ATTRIBUTED,
            )
