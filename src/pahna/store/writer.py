"""Write flow batches to the store atomically; a batch (content hash) is committed once.

Which messages a batch may hold is decided before, by their export identity (see
:mod:`pahna.store.ingest`)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pahna.errors import StoreError
from pahna.schema import FLOW_SCHEMA
from pahna.store.catalog import add_entry
from pahna.store.durable import fsync_file, write_atomically
from pahna.store.layout import DAY_MS, flow_file, manifest_file
from pahna.store.lineage import batch_committed
from pahna.store.manifests import Manifest, StoredFile, file_sha256
from pahna.sums import exact_sum


def is_stored(store: Path, content_hash: str) -> bool:
    """True when a batch with this content hash is already committed (compacted since,
    it still is: store.lineage)."""
    return batch_committed(store, content_hash)


def write_batch(store: Path, flows: pa.Table, source: str, content_hash: str,
                segments: tuple[str, ...] = ()) -> Manifest | None:
    """Commit `flows` as one batch; return its manifest, or None if already stored.

    Each UTC day's rows go to their own Parquet file, written to a temporary name and
    renamed into place; the manifest is renamed into place last.
    """
    if is_stored(store, content_hash):
        return None
    manifest = write_files(store, flows, source, content_hash, segments)
    write_manifest(store, manifest)
    return manifest


def write_files(store: Path, flows: pa.Table, source: str, content_hash: str,
                segments: tuple[str, ...] = ()) -> Manifest:
    """Write a batch's Parquet files (invisible until :func:`write_manifest`)."""
    if flows.schema != FLOW_SCHEMA:
        raise StoreError(f"batch from {source}: schema differs from the flow contract")
    batch_id = content_hash[:24]
    files = []
    days = pc.divide(flows.column("start_ms"), DAY_MS).to_numpy() if flows.num_rows else []
    for day in np.unique(np.asarray(days, dtype=np.int64)):
        part = flows.filter(pa.array(np.asarray(days) == day))
        path = flow_file(store, int(day), batch_id)
        write_parquet(part, path)
        files.append(StoredFile(str(path.relative_to(store)), part.num_rows, file_sha256(path)))
    return Manifest(
        batch_id=batch_id,
        content_hash=content_hash,
        source=source,
        records=flows.num_rows,
        bytes=exact_sum(flows.column("bytes").to_numpy()),
        packets=exact_sum(flows.column("packets").to_numpy()),
        start_ms=pc.min(flows.column("start_ms")).as_py() if flows.num_rows else None,
        end_ms=pc.max(flows.column("start_ms")).as_py() if flows.num_rows else None,
        files=tuple(files),
        segments=segments,
    )


def write_manifest(store: Path, manifest: Manifest) -> None:
    """The commit point of a batch: from now on readers see it. It is listed in the
    manifests' index first (store.catalog)."""
    add_entry(store, manifest)
    write_atomically(manifest_file(store, manifest.content_hash), manifest.to_json().encode())


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write `table` to a temporary name beside `path`, fsync it, rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".parquet", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd")
        fsync_file(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

