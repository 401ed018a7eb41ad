"""Read committed flows back, a record batch at a time (memory stays bounded)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pahna.store.manifests import committed_files

EARLIEST_MS = -(2**62)
LATEST_MS = 2**62


def iter_flows(store: Path, start_ms: int = EARLIEST_MS, end_ms: int = LATEST_MS,
               batch_rows: int = 65_536) -> Iterator[pa.RecordBatch]:
    """Flows of committed batches whose start falls in [start_ms, end_ms)."""
    for path in committed_files(store, start_ms, end_ms):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
            starts = batch.column("start_ms")
            mask = pc.and_(pc.greater_equal(starts, start_ms), pc.less(starts, end_ms))
            selected = batch.filter(mask)
            if selected.num_rows:
                yield selected
