"""Read committed flows back, a record batch at a time (memory stays bounded)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pahna.store.catalog import ensure_index, indexed_manifests
from pahna.store.manifests import Manifest, read_manifests

EARLIEST_MS = -(2**62)
LATEST_MS = 2**62


def window_manifests(store: Path, start_ms: int, end_ms: int) -> list[Manifest]:
    """Committed batches that may hold flows starting in [start, end) (their first and
    last flow start overlap it), by content hash: through the manifests' index, reading
    only the days of the window (every manifest, when the store cannot be indexed)."""
    if ensure_index(store):
        return indexed_manifests(store, start_ms, end_ms)
    return [m for m in read_manifests(store)
            if m.start_ms is not None and m.end_ms is not None
            and m.start_ms < end_ms and m.end_ms >= start_ms]


def committed_files(store: Path, start_ms: int, end_ms: int) -> list[Path]:
    """Parquet files of committed batches that may hold flows starting in [start, end)."""
    return sorted(store / f.path for m in window_manifests(store, start_ms, end_ms)
                  for f in m.files)


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
