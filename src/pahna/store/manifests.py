"""Manifests: the record of each committed batch, and the reading side of the store."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from pahna.errors import StoreError
from pahna.store.layout import manifests_dir


@dataclass(frozen=True)
class StoredFile:
    path: str  # relative to the store folder
    rows: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    batch_id: str
    content_hash: str
    source: str
    records: int
    bytes: int
    packets: int
    start_ms: int | None
    end_ms: int | None
    files: tuple[StoredFile, ...]
    segments: tuple[str, ...] = ()
    """The collector's spool segments the batch was decoded from (none for files)."""
    replaces: tuple[str, ...] = ()
    """A compacted batch: the content hashes of the batches whose rows it holds, in the
    order of its rows (store.compaction); empty for a batch as it was committed."""
    supersedes: tuple[str, ...] = ()
    """Batches this one stands in for without holding all their rows (a compacted batch
    rewritten without a retracted batch: store.excision); readers read this one only."""

    def to_json(self) -> str:
        data = asdict(self)
        for name in ("replaces", "supersedes"):
            if not data[name]:
                del data[name]
        return json.dumps(data, sort_keys=True, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        data["files"] = tuple(StoredFile(**f) for f in data["files"])
        data["segments"] = tuple(data.get("segments", ()))
        data["replaces"] = tuple(data.get("replaces", ()))
        data["supersedes"] = tuple(data.get("supersedes", ()))
        return cls(**data)


def read_manifests(store: Path) -> list[Manifest]:
    """Every committed batch, in a stable order (by content hash); a batch a compacted
    batch holds is not listed while both manifests are kept (see visible)."""
    folder = manifests_dir(store)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            out.append(Manifest.from_json(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"{path}: unreadable manifest: {exc}") from exc
    return visible(out)


def visible(manifests: list[Manifest]) -> list[Manifest]:
    """The batches a reader reads: a batch whose rows a compacted batch in the same list
    holds is left out (both manifests exist for a while after a compaction)."""
    replaced = {h for m in manifests for h in (*m.replaces, *m.supersedes)}
    return [m for m in manifests if m.content_hash not in replaced] if replaced else manifests


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
