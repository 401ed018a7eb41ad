"""Bringing another collector's store into this one, each batch once (`pahna store sync`).

Collectors on several machines each commit to their own workspace. Syncing reads another
workspace (its store and quarantine; never written to) and copies what this store lacks,
batch by batch and in the order of a collector's own commit, under this store's commit
lock (store.exports), so collectors and `pahna ingest` may run meanwhile:

1. the batch's Parquet files, each checked against its manifest's sha256, copied to a
   temporary `.sync-` name, fsynced and renamed into place (a file already in place with
   the right digest, left by an interrupted run, is kept; `.sync-` leftovers of a killed
   run are removed from a folder before it is written to again);
2. for a compacted batch, the compaction records of the batches it holds (store.lineage);
3. the export identities the source filed under the batch and those it holds, so its
   messages count as stored here too (a later ingest of the same traffic stores nothing);
4. the manifest, with the name of the collector that committed it: the commit point.

A compacted batch some of whose batches were synced before the source compacted them is
synced as those batches, while the source keeps them (an hour: store.compaction).
A batch is skipped when this store holds it (committed, or compacted here into another),
when it was retracted here (a retraction is not undone by a sync), or when every one of
its export messages is already stored here under another batch (the same traffic sent to
two collectors). A batch only part of which is here (some of its messages, or some of the
batches a compacted batch holds) is refused and counted as a conflict: its rows cannot be
split, so nothing of it is copied (`pahna store sync` exits 1 and names it).

Quarantine files are named by their content: those missing here are copied.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path, PurePosixPath

import numpy as np

from pahna.errors import StoreError
from pahna.store.durable import fsync_file
from pahna.store.exports import CHUNK, KEY, MAGIC, ExportIndex, Partition, exports_dir
from pahna.store.layout import manifest_file
from pahna.store.lineage import batch_committed, held_batches, lineage_file
from pahna.store.manifests import Manifest, file_sha256, read_manifests
from pahna.store.retraction import retracted_dir
from pahna.store.writer import write_manifest

TMP = ".sync-"
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass
class SyncReport:
    """What a sync did, batch by batch (content hashes)."""

    copied: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    retracted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    conflicts: dict[str, str] = field(default_factory=dict)
    records: int = 0
    quarantine_files: int = 0


def sync_store(source_home: Path, store: Path, quarantine: Path,
               default_collector: str) -> SyncReport:
    """Copy the batches of the workspace `source_home` that `store` lacks (see the module
    doc); a batch without a collector's name gets `default_collector`."""
    source = source_home / "store"
    if not source.is_dir():
        raise StoreError(f"{source_home}: no store there (give the other collector's "
                         "workspace folder)")
    if source.resolve() == store.resolve():
        raise StoreError(f"{source_home}: that is this workspace's own store")
    report = SyncReport()
    manifests, report.conflicts = _trusted(source, read_manifests(source))
    identities = _chunks(source, {h for m in manifests for h in _held(source, m)})
    index = ExportIndex(store)
    with index.locked():
        for manifest in _candidates(source, store, manifests):
            verdict = _verdict(store, index, manifest, source, identities)
            if verdict is not None:
                kind, why = verdict
                if kind == "conflict":
                    report.conflicts[manifest.content_hash] = why
                else:
                    getattr(report, kind).append(manifest.content_hash)
                continue
            named = replace(manifest, collector=manifest.collector or default_collector)
            _copy_batch(source, store, index, named, identities)
            report.copied.append(manifest.content_hash)
            report.records += manifest.records
        report.quarantine_files = _copy_quarantine(source_home / "quarantine", quarantine)
    return report


def _trusted(source: Path, manifests: list[Manifest]
             ) -> tuple[list[Manifest], dict[str, str]]:
    """The source's manifests whose names stay inside a store, and the others refused.

    The source is another machine's folder: a manifest naming a file outside its store
    (`..`, an absolute path) or a batch by anything but a SHA-256 would make this store
    read or write there. Such a batch is refused as a conflict, nothing of it copied."""
    trusted, refused = [], {}
    for manifest in manifests:
        problem = _unsafe(source, manifest)
        if problem is None:
            trusted.append(manifest)
        else:
            refused[manifest.content_hash[:80]] = problem
    return trusted, refused


def _unsafe(source: Path, manifest: Manifest) -> str | None:
    """Why the manifest's names are not safe to follow, or None."""
    names = [manifest.content_hash, *manifest.replaces]
    if not all(_HASH.fullmatch(name) for name in names):
        return "its batch names are not SHA-256 digests; refused"
    try:
        held = held_batches(source, manifest)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        return f"its compaction records are unreadable ({exc}); refused"
    if not all(_HASH.fullmatch(name) for name in held):
        return "its compaction records name batches by other than SHA-256; refused"
    for stored in manifest.files:
        path = PurePosixPath(stored.path)
        if (path.is_absolute() or "\\" in stored.path or path.suffix != ".parquet"
                or any(part in ("", ".", "..") for part in path.parts)):
            return f"it names the file {stored.path!r}, outside a store; refused"
    return None


def _candidates(source: Path, store: Path, manifests: list[Manifest]) -> list[Manifest]:
    """The batches to sync: each visible batch of the source, except a compacted batch
    some of whose batches are here already (synced before the source compacted them):
    then its batches themselves, while the source keeps them (store.compaction.GRACE_S
    after compacting; a sync runs more often than that)."""
    out: list[Manifest] = []
    for manifest in manifests:
        held = held_batches(source, manifest)
        if not any(batch_committed(store, h) for h in held):
            out.append(manifest)
            continue
        own = [_own(source, h) for h in held]
        leaves = [m for m in own if m is not None and not m.replaces]
        whole = all(m is not None for m in own) and all(
            (source / f.path).is_file() for m in leaves for f in m.files)
        out.extend(leaves if whole else [manifest])
    return out


def _own(source: Path, content_hash: str) -> Manifest | None:
    path = manifest_file(source, content_hash)
    try:
        return Manifest.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, TypeError, KeyError) as exc:
        raise StoreError(f"{path}: unreadable manifest: {exc}") from exc


def _held(source: Path, manifest: Manifest) -> list[str]:
    """The batch and, for a compacted batch, every batch it holds."""
    return [manifest.content_hash, *held_batches(source, manifest)]


def _verdict(store: Path, index: ExportIndex, manifest: Manifest, source: Path,
             identities: dict[str, dict[Partition, list[bytes]]]) -> tuple[str, str] | None:
    """Why the batch is not copied ((kind, why)), or None to copy it."""
    content_hash = manifest.content_hash
    if batch_committed(store, content_hash):
        return "held", ""
    if _retracted_here(store, content_hash):
        return "retracted", ""
    held = held_batches(source, manifest)
    if any(_retracted_here(store, h) for h in held):
        return "conflict", "it holds a batch retracted here"
    here = [h for h in held if batch_committed(store, h)]
    if here and len(here) == len(held):
        return "held", ""
    if here:
        return "conflict", (f"{len(here)} of the {len(held)} batches it holds are here, "
                            "the others not")
    seen, total = 0, 0
    for h in _held(source, manifest):
        for partition, keys in identities.get(h, {}).items():
            seen += _seen_near(index, partition, keys)
            total += len(keys)
    if total and seen == total:
        return "duplicates", ""
    if seen:
        return "conflict", f"{seen} of its {total} export messages are stored here already"
    return None


def _retracted_here(store: Path, content_hash: str) -> bool:
    return any(retracted_dir(store).glob(f"{content_hash}-*.json"))


def _seen_near(index: ExportIndex, partition: Partition, keys: list[bytes]) -> int:
    """How many of `keys` this store holds, filed on that day or a neighbouring one (a
    message received near midnight may be filed on either: pahna.intake.identity)."""
    found = np.zeros(len(keys), dtype=bool)
    exporter, day = partition
    for near in (day - 1, day, day + 1):
        found |= index.seen((exporter, near), keys)
    return int(found.sum())


def _copy_batch(source: Path, store: Path, index: ExportIndex, manifest: Manifest,
                identities: dict[str, dict[Partition, list[bytes]]]) -> None:
    for stored in manifest.files:
        _copy_file(source / stored.path, store / stored.path, stored.sha256)
    for held in held_batches(source, manifest):
        origin = lineage_file(source, held)
        _copy_file(origin, lineage_file(store, held), file_sha256(origin))
    for content_hash in _held(source, manifest):
        by_partition = identities.get(content_hash, {})
        if by_partition:
            index.write_chunks(content_hash, by_partition)
    write_manifest(store, manifest)
    for content_hash in _held(source, manifest):
        index.committed(content_hash, identities.get(content_hash, {}))


def _copy_file(origin: Path, target: Path, sha256: str) -> None:
    """Copy `origin` to `target` so that `target` is whole or absent, checking both."""
    if target.exists() and file_sha256(target) == sha256:
        return
    if file_sha256(origin) != sha256:
        raise StoreError(f"{origin}: its sha256 differs from its manifest's; not copied")
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f"{TMP}*"):
        stale.unlink(missing_ok=True)
    tmp = target.parent / f"{TMP}{target.name}"
    with origin.open("rb") as reader, tmp.open("wb") as writer:
        for block in iter(lambda: reader.read(1 << 20), b""):
            writer.write(block)
    fsync_file(tmp)
    if file_sha256(tmp) != sha256:
        tmp.unlink()
        raise StoreError(f"{origin}: changed while it was copied; not copied")
    os.replace(tmp, target)
    fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_quarantine(origin: Path, target: Path) -> int:
    """Copy the quarantine files `target` lacks (they are named by their content)."""
    copied = 0
    if not origin.is_dir():
        return 0
    for path in sorted(origin.glob("*/*")):
        if (path.name.startswith(".") or path.suffix not in (".psg", ".jsonl")
                or path.is_symlink() or path.parent.is_symlink() or not path.is_file()):
            continue  # a link would copy a file of this machine, not of the source
        there = target / path.relative_to(origin)
        if not there.exists():
            _copy_file(path, there, file_sha256(path))
            copied += 1
    return copied


def _chunks(store: Path, wanted: set[str]) -> dict[str, dict[Partition, list[bytes]]]:
    """The export identities `store` filed under the batches `wanted`: hash -> partition
    -> identities (one pass over its export index)."""
    out: dict[str, dict[Partition, list[bytes]]] = {}
    folder = exports_dir(store)
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*/*.ids")):
        partition = _partition(path)
        if partition is None:
            continue
        for content_hash, keys in _read_chunks(path.read_bytes()):
            if content_hash in wanted:
                out.setdefault(content_hash, {}).setdefault(partition, []).extend(keys)
    return out


def _partition(path: Path) -> Partition | None:
    try:
        exporter = bytes.fromhex(path.parent.name)
        day = (date.fromisoformat(path.stem) - date(1970, 1, 1)).days
    except ValueError:
        return None
    return exporter, day


def _read_chunks(data: bytes) -> Iterator[tuple[str, list[bytes]]]:
    position = 0
    while len(data) - position >= CHUNK.size:
        try:
            magic, count, digest = CHUNK.unpack_from(data, position)
        except struct.error:
            return
        end = position + CHUNK.size + KEY.itemsize * count
        if magic != MAGIC or end > len(data):
            return  # a torn tail of a crash: its batch was never committed
        body = data[position + CHUNK.size:end]
        yield (digest.decode("ascii", "replace"),
               [body[i:i + KEY.itemsize] for i in range(0, len(body), KEY.itemsize)])
        position = end
