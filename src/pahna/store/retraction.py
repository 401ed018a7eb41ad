"""Retracting a committed batch: it stops being read, and nothing of it is lost.

    store/retracted/HASH.json     the batch's manifest, with why, who and when
    store/retracted/HASH/...      its Parquet files, moved out of flows/

The record is written first, then the manifest is removed (the one step that makes the
batch invisible to every reader, who all go through manifests), then the files move.
A batch compaction folded into a larger one is cut out of it (store.excision).
The same content may be ingested again afterwards (for instance once intake quarantines
the record that made it absurd); it is then a new batch.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path

from pahna.errors import StoreError
from pahna.store.catalog import drop_entries, entry_names, index_lock
from pahna.store.durable import write_atomically
from pahna.store.excision import excise, holder, keep_record
from pahna.store.layout import manifest_file
from pahna.store.lineage import batch_committed, held_batches, lineage_dir, read_lineage
from pahna.store.manifests import Manifest, read_manifests


def retracted_dir(store: Path) -> Path:
    return store / "retracted"


def find_batch(store: Path, key: str) -> Manifest:
    """The committed batch whose batch id or content hash starts with `key` (8+ chars)."""
    key = key.strip().lower()
    if len(key) < 8:
        raise StoreError(f"batch {key!r}: give at least 8 characters of its id")
    found = [m for m in read_manifests(store)
             if m.batch_id.startswith(key) or m.content_hash.startswith(key)]
    if not found:  # compacted into another batch since it was committed
        found = [held[0] for path in sorted(lineage_dir(store).glob(f"{key}*.json"))
                 if batch_committed(store, path.stem)
                 and (held := read_lineage(store, path.stem)) is not None]
    if len(found) != 1:
        raise StoreError(f"batch {key!r}: {'no' if not found else len(found)} committed "
                         "batches match (`pahna store batches` lists them)")
    return found[0]


def retract(store: Path, manifest: Manifest, reason: str, actor: str) -> Path:
    """Retract a committed batch; returns the path of its retraction record. A batch
    compacted into another is cut out of it (store.excision)."""
    folder = retracted_dir(store)
    stamp = time.time_ns() // 1_000_000
    if read_lineage(store, manifest.content_hash) is not None:
        top = holder(store, manifest.content_hash)
        record = keep_record(folder, manifest, top, reason, actor, stamp)
        excise(store, manifest, folder, stamp)
        return record
    record = folder / f"{manifest.content_hash}-{stamp}.json"
    write_atomically(record, json.dumps({"manifest": asdict(manifest), "reason": reason,
                                         "actor": actor, "at_ms": stamp},
                                        ensure_ascii=False, indent=1).encode())
    for held in held_batches(store, manifest):  # hidden by it: gone with it, not shown again
        manifest_file(store, held).unlink(missing_ok=True)
    manifest_file(store, manifest.content_hash).unlink()
    with index_lock(store):
        drop_entries(store, entry_names(manifest), {manifest.content_hash})
    for stored in manifest.files:
        source = store / stored.path
        target = folder / f"{manifest.content_hash}-{stamp}" / stored.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.exists():
            os.replace(source, target)
    return record
