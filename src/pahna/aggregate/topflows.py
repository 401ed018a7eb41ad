"""A producer's largest flows (what `explain` shows): the flows the kernel counts for
it, ordered by sampling-scaled bytes, ties by start time and then by the flow's
addresses and ports, so every engine picks the same ones."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc

from pahna.aggregate.kernel import FLOW_COLUMNS
from pahna.schema import FLOW_SCHEMA

TOP_FLOWS_SCHEMA = pa.schema([(name, FLOW_SCHEMA.field(name).type) for name in FLOW_COLUMNS]
                             + [("scaled_bytes", pa.int64())])

ORDER = [("scaled_bytes", "descending"), ("start_ms", "ascending"), ("src_addr", "ascending"),
         ("dst_addr", "ascending"), ("src_port", "ascending"), ("dst_port", "ascending")]


def top_flows(parts: Iterable[pa.RecordBatch | pa.Table], limit: int) -> pa.Table:
    """The `limit` first flows of all the parts in ORDER, as TOP_FLOWS_SCHEMA."""
    tables = [pa.Table.from_batches([p]) if isinstance(p, pa.RecordBatch) else p
              for p in parts]
    tables = [t.select(TOP_FLOWS_SCHEMA.names).cast(TOP_FLOWS_SCHEMA) for t in tables]
    table = pa.concat_tables(tables) if tables else TOP_FLOWS_SCHEMA.empty_table()
    if not table.num_rows:
        return table
    return table.take(pc.sort_indices(table, sort_keys=ORDER)[:limit])
