"""Compaction: a day's small batches rewritten as one larger batch, keeping the manifests'
promise (a reader sees the old batches or the new one, never both, never neither).

For each UTC day, the batches whose flows all start that day (a collector's batches,
bar the few that straddle midnight) are read in content-hash order, their files checked
against their manifests' sha256 and written, streamed, into one Parquet file; its
manifest lists them in `replaces`, in the order of its rows (each one's rows are its
`records`, one after the other). Then, in this order:

1. every source gets a record under store/compacted/ (store.lineage): its own manifest
   and the compacted batch that holds its rows, so its export identities still count,
   a final that sealed it still finds it, and it can still be retracted;
2. the compacted batch is committed like any batch (its index line, then its manifest):
   from then on readers read it and not its sources (store.manifests.visible);
3. the sources' lines leave the day's index file (replaced whole).

A crash anywhere leaves either the sources (the compacted batch was not committed; doing
it again writes the same batch: its name is a hash of its sources) or the compacted batch
hiding them. The sources' manifests and files stay for `GRACE_S` (a reader that listed
them a moment before still finds them); a later run retires them, except the files a
final sealed, which stay readable forever at the path it sealed (see
docs/decisions/0008-compaction.md).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pahna.errors import StoreError
from pahna.schema import FLOW_SCHEMA
from pahna.store.catalog import (
    drop_entries,
    ensure_index,
    entry_names,
    index_dir,
    index_lock,
    indexed_manifests,
)
from pahna.store.durable import fsync_file
from pahna.store.layout import DAY_MS, day_label, flow_file, manifest_file
from pahna.store.lineage import lineage_dir, read_lineage, record_compacted
from pahna.store.manifests import Manifest, StoredFile, file_sha256
from pahna.store.writer import write_manifest

GRACE_S = 3600.0
"""How long a compacted batch's sources stay readable after it is committed."""
ROW_GROUP = 1 << 20


@dataclass(frozen=True)
class DayPlan:
    day: str
    sources: tuple[Manifest, ...]

    @property
    def records(self) -> int:
        return sum(m.records for m in self.sources)


def day_index(label: str) -> int:
    try:
        return (date.fromisoformat(label) - date(1970, 1, 1)).days
    except ValueError as exc:
        raise StoreError(f"day {label!r}: expected YYYY-MM-DD") from exc


def plan(store: Path, day: str | None = None, now_ms: int | None = None) -> list[DayPlan]:
    """What compaction would do: each day (`day`, else every day before today, UTC) with
    two or more batches whose flows all start that day."""
    if not ensure_index(store):
        raise StoreError(f"{store}: the store cannot be written; nothing compacted")
    today = (time.time_ns() // 1_000_000 if now_ms is None else now_ms) // DAY_MS
    days = [day_index(day)] if day is not None else [
        d for d in _indexed_days(store) if d < today]
    out = []
    for number in days:
        label = day_label(number)
        single = [m for m in indexed_manifests(store, number * DAY_MS, (number + 1) * DAY_MS)
                  if entry_names(m) == [label]]
        if len(single) >= 2:
            out.append(DayPlan(label, tuple(sorted(single, key=lambda m: m.content_hash))))
    return out


def _indexed_days(store: Path) -> list[int]:
    out = []
    for path in sorted(index_dir(store).glob("*.idx")):
        try:
            out.append(day_index(path.stem))
        except StoreError:
            continue
    return out


def compact_day(store: Path, day_plan: DayPlan) -> Manifest:
    """Compact one day's batches (see the module doc); returns the compacted manifest."""
    hashes = tuple(m.content_hash for m in day_plan.sources)
    content_hash = hashlib.sha256(("compacted:" + ",".join(hashes)).encode()).hexdigest()
    path = flow_file(store, day_index(day_plan.day), content_hash[:24])
    rows = _write_streamed(store, day_plan.sources, path)
    sources = day_plan.sources
    manifest = Manifest(
        batch_id=content_hash[:24], content_hash=content_hash,
        source=f"compaction of {len(sources)} batches of {day_plan.day}",
        records=rows, bytes=sum(m.bytes for m in sources),
        packets=sum(m.packets for m in sources),
        start_ms=min(m.start_ms for m in sources if m.start_ms is not None),
        end_ms=max(m.end_ms for m in sources if m.end_ms is not None),
        files=(StoredFile(str(path.relative_to(store)), rows, file_sha256(path)),),
        replaces=hashes)
    for source in sources:
        record_compacted(store, source, content_hash)
    write_manifest(store, manifest)
    with index_lock(store):
        drop_entries(store, [day_plan.day], set(hashes))
    return manifest


def _write_streamed(store: Path, sources: tuple[Manifest, ...], path: Path) -> int:
    """The sources' rows, in order, into one Parquet file (temporary name, fsync, rename);
    each source file is checked against its manifest first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{path.name}")
    rows = 0
    try:
        with pq.ParquetWriter(tmp, FLOW_SCHEMA, compression="zstd") as writer:
            for table in _grouped(_source_tables(store, sources)):
                writer.write_table(table, row_group_size=ROW_GROUP)
                rows += table.num_rows
        fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    expected = sum(m.records for m in sources)
    if rows != expected:
        path.unlink()
        raise StoreError(f"compacting {path.parent.name}: {rows} rows read, the manifests "
                         f"say {expected}")
    return rows


def _source_tables(store: Path, sources: tuple[Manifest, ...]) -> Iterator[pa.Table]:
    for manifest in sources:
        for stored in manifest.files:
            file = store / stored.path
            if file_sha256(file) != stored.sha256:
                raise StoreError(f"store/{stored.path} does not match the sha256 of batch "
                                 f"{manifest.batch_id}; nothing compacted")
            table = pq.read_table(file)
            if table.schema != FLOW_SCHEMA:
                table = table.cast(FLOW_SCHEMA)
            yield table


def _grouped(tables: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """Small tables joined into row groups of about ROW_GROUP rows (bounded memory)."""
    held: list[pa.Table] = []
    count = 0
    for table in tables:
        held.append(table)
        count += table.num_rows
        if count >= ROW_GROUP:
            yield pa.concat_tables(held)
            held, count = [], 0
    if held:
        yield pa.concat_tables(held)


def retire(store: Path, pinned: set[str], grace_s: float = GRACE_S,
           now_s: float | None = None) -> tuple[int, int]:
    """Remove the manifests and files of batches compacted more than `grace_s` ago,
    keeping every file in `pinned` (paths a final sealed); (manifests, files) removed."""
    now = time.time() if now_s is None else now_s
    manifests = files = 0
    folder = lineage_dir(store)
    records = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns) \
        if folder.is_dir() else []
    for record in records:  # oldest first: a batch goes before the one that hides it
        if now - record.stat().st_mtime < grace_s:
            continue
        found = read_lineage(store, record.stem)
        if found is None:
            continue
        source, _ = found
        own = manifest_file(store, source.content_hash)
        if own.exists():
            own.unlink()
            manifests += 1
        for stored in source.files:
            target = store / stored.path
            if stored.path not in pinned and target.exists():
                target.unlink()
                files += 1
    return manifests, files

