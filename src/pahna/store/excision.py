"""Retracting a batch that compaction folded into a larger one: its rows are cut out of
the compacted batch that holds them, which is rewritten without them.

With T the committed compacted batch that holds batch X (at any depth), in this order:
X's rows and its manifest are kept under store/retracted/ first; T's rows but X's go to
a new batch T' that lists the batches it holds (`replaces`, flattened) and hides T and
the compacted batches T held (`supersedes`); T' is committed (from then on readers read
T', never T); the batches T' holds are recorded as compacted into T' and X's records
(with those of the batches X held) are removed, so X and they are no longer committed
and may be ingested again; T's manifest and index line go, and T is recorded as
replaced by T' so that a later compaction run retires its file. A crash before T' is
committed leaves T as it was.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from pahna.errors import StoreError
from pahna.store.catalog import drop_entries, entry_names, index_lock
from pahna.store.durable import write_atomically
from pahna.store.layout import DAY_MS, flow_file, manifest_file
from pahna.store.lineage import (
    MAX_CHAIN,
    held_batches,
    lineage_file,
    read_lineage,
    record_compacted,
)
from pahna.store.manifests import Manifest, StoredFile, file_sha256
from pahna.store.writer import write_manifest, write_parquet

Leaf = tuple[Manifest, int]
"""A batch as committed, and where its rows start in the compacted batch's file."""


def holder(store: Path, content_hash: str) -> Manifest:
    """The committed compacted batch that holds `content_hash`'s rows."""
    current = content_hash
    for _ in range(MAX_CHAIN):
        found = read_lineage(store, current)
        if found is None:
            path = manifest_file(store, current)
            if current != content_hash and path.exists():
                return Manifest.from_json(path.read_text(encoding="utf-8"))
            break
        current = found[1]
    raise StoreError(f"batch {content_hash[:16]}… is not held by a committed batch")


def leaves(store: Path, manifest: Manifest, offset: int = 0) -> list[Leaf]:
    """The batches as committed whose rows `manifest` holds, in the order of its rows."""
    if not manifest.replaces:
        return [(manifest, offset)]
    out: list[Leaf] = []
    for source in manifest.replaces:
        found = read_lineage(store, source)
        if found is None:
            raise StoreError(f"compacted batch {manifest.batch_id}: the record of "
                             f"{source[:16]}… it holds is missing")
        out += leaves(store, found[0], offset)
        offset += found[0].records
    return out


def excise(store: Path, target: Manifest, folder: Path, stamp: int) -> Manifest:
    """Cut `target` out of the compacted batch that holds it (see the module doc); its
    rows go to `folder`. Returns the new compacted batch."""
    top = holder(store, target.content_hash)
    gone = {target.content_hash, *held_batches(store, target)}
    kept = [(m, at) for m, at in leaves(store, top) if m.content_hash not in gone]
    table = pq.read_table(store / top.files[0].path)
    cut = _mask(table.num_rows, [(at, m.records) for m, at in leaves(store, top)
                                 if m.content_hash in gone])
    write_parquet(table.filter(pa.array(cut)), _rows_path(folder, target, stamp))
    inner = [h for h in held_batches(store, top) if h not in gone]
    replaced = _rewritten(store, top, [m for m, _ in kept], table.filter(pa.array(~cut)),
                          (top.content_hash, *sorted(set(inner) - {m.content_hash
                                                                   for m, _ in kept})))
    for manifest, _ in kept:
        record_compacted(store, manifest, replaced.content_hash)
    for held in gone:
        lineage_file(store, held).unlink(missing_ok=True)
        manifest_file(store, held).unlink(missing_ok=True)
    record_compacted(store, top, replaced.content_hash)
    manifest_file(store, top.content_hash).unlink()
    with index_lock(store):
        drop_entries(store, entry_names(top), {top.content_hash})
    return replaced


def _mask(rows: int, cut: list[tuple[int, int]]) -> np.ndarray:
    out = np.zeros(rows, dtype=bool)
    for start, count in cut:
        out[start:start + count] = True
    return out


def _rows_path(folder: Path, target: Manifest, stamp: int) -> Path:
    return folder / f"{target.content_hash}-{stamp}" / f"{target.batch_id}.parquet"


def _rewritten(store: Path, top: Manifest, kept: list[Manifest], rows: pa.Table,
               hides: tuple[str, ...]) -> Manifest:
    """Commit the rows `top` holds but the cut ones as a new batch hiding `top` and the
    compacted batches within it (whose manifests may still be kept)."""
    hashes = tuple(m.content_hash for m in kept)
    content_hash = hashlib.sha256(
        ("compacted:" + ",".join(hashes) + ";after:" + top.content_hash).encode()).hexdigest()
    day = (top.start_ms or 0) // DAY_MS
    path = flow_file(store, day, content_hash[:24])
    write_parquet(rows, path)
    manifest = Manifest(
        batch_id=content_hash[:24], content_hash=content_hash,
        source=f"{top.source}, less a retracted batch", records=rows.num_rows,
        bytes=sum(m.bytes for m in kept), packets=sum(m.packets for m in kept),
        start_ms=min((m.start_ms for m in kept if m.start_ms is not None), default=None),
        end_ms=max((m.end_ms for m in kept if m.end_ms is not None), default=None),
        files=(StoredFile(str(path.relative_to(store)), rows.num_rows, file_sha256(path)),),
        replaces=hashes, supersedes=hides)
    write_manifest(store, manifest)
    return manifest


def keep_record(folder: Path, target: Manifest, top: Manifest, reason: str, actor: str,
                stamp: int) -> Path:
    record = folder / f"{target.content_hash}-{stamp}.json"
    write_atomically(record, json.dumps(
        {"manifest": asdict(target), "held_by": top.content_hash, "reason": reason,
         "actor": actor, "at_ms": stamp,
         "rows": str(_rows_path(folder, target, stamp).relative_to(folder))},
        ensure_ascii=False, indent=1).encode())
    return record
