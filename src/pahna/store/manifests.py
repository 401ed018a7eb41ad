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

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, indent=1)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        data["files"] = tuple(StoredFile(**f) for f in data["files"])
        data["segments"] = tuple(data.get("segments", ()))
        return cls(**data)


def read_manifests(store: Path) -> list[Manifest]:
    """Every committed batch, in a stable order (by content hash)."""
    folder = manifests_dir(store)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            out.append(Manifest.from_json(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"{path}: unreadable manifest: {exc}") from exc
    return out


def committed_files(store: Path, start_ms: int, end_ms: int) -> list[Path]:
    """Parquet files of committed batches that may hold flows starting in [start, end)."""
    files: list[Path] = []
    for manifest in read_manifests(store):
        if manifest.start_ms is None or manifest.end_ms is None:
            continue
        if manifest.start_ms < end_ms and manifest.end_ms >= start_ms:
            files.extend(store / f.path for f in manifest.files)
    return sorted(files)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
