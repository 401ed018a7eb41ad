"""What became of a batch compacted into another: its original manifest and where its rows
went, so that the identities it committed, the finals that sealed it and retraction keep
knowing it (see docs/decisions/0008-compaction.md).

    store/compacted/HASH.json   {"manifest": the batch's own manifest, "into": the hash of
                                 the compacted batch that holds its rows now, "at_ms"}

A batch is committed while its manifest exists, or while the batch it was compacted into
is committed (followed to the end of the chain); a retracted compacted batch takes the
batches it holds with it.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

from pahna.errors import StoreError
from pahna.store.durable import write_atomically
from pahna.store.layout import manifest_file
from pahna.store.manifests import Manifest

MAX_CHAIN = 64


def lineage_dir(store: Path) -> Path:
    return store / "compacted"


def lineage_file(store: Path, content_hash: str) -> Path:
    return lineage_dir(store) / f"{content_hash}.json"


def record_compacted(store: Path, source: Manifest, into: str) -> None:
    """Keep `source`'s manifest and the batch its rows now live in."""
    write_atomically(lineage_file(store, source.content_hash), json.dumps(
        {"manifest": asdict(source), "into": into, "at_ms": time.time_ns() // 1_000_000},
        sort_keys=True, indent=1).encode())


def read_lineage(store: Path, content_hash: str) -> tuple[Manifest, str] | None:
    """(the batch's own manifest, the hash it was compacted into), if it was compacted."""
    path = lineage_file(store, content_hash)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise StoreError(f"{path}: unreadable compaction record: {exc}") from exc
    return Manifest.from_json(json.dumps(data["manifest"])), str(data["into"])


def batch_committed(store: Path, content_hash: str) -> bool:
    """True while the batch is in the store: its manifest, or the compacted batch that
    holds its rows (retracting that one retracts this one too)."""
    current = content_hash
    for _ in range(MAX_CHAIN):
        if manifest_file(store, current).exists():
            return True
        found = read_lineage(store, current)
        if found is None:
            return False
        current = found[1]
    raise StoreError(f"batch {content_hash[:16]}…: compaction chain longer than {MAX_CHAIN}")


def as_sealed(store: Path, manifests: list[Manifest], sealed: set[str]) -> list[Manifest]:
    """`manifests` with every compacted batch that is not itself in `sealed` replaced by
    the batches it holds (their own manifests, as a final sealed them), recursively."""
    out: list[Manifest] = []
    pending = list(manifests)
    while pending:
        manifest = pending.pop()
        if manifest.content_hash in sealed or not manifest.replaces:
            out.append(manifest)
            continue
        for source in manifest.replaces:
            found = read_lineage(store, source)
            if found is None:
                raise StoreError(f"compacted batch {manifest.batch_id}: the record of "
                                 f"{source[:16]}… it holds is missing")
            pending.append(found[0])
    return sorted(out, key=lambda m: m.content_hash)


def held_batches(store: Path, manifest: Manifest) -> list[str]:
    """Every batch whose rows the compacted `manifest` holds, at any depth."""
    out: list[str] = []
    pending = list(manifest.replaces)
    while pending:
        current = pending.pop()
        out.append(current)
        found = read_lineage(store, current)
        if found is not None:
            pending.extend(found[0].replaces)
    return out
