"""`pahna store sync` reads another machine's folder: a manifest there that names a file
outside a store, or a batch by anything but a SHA-256, is refused as a conflict and
nothing is written outside this store; a link in its quarantine is not followed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pahna.store.layout import manifests_dir
from pahna.store.manifests import Manifest, StoredFile
from pahna.store.sync import sync_store


def _hostile(source: Path, path: str, content_hash: str, replaces: tuple[str, ...] = ()
             ) -> bytes:
    payload = b"not yours"
    (source / "x").mkdir(parents=True, exist_ok=True)
    (source / "x" / "f.parquet").write_bytes(payload)
    manifest = Manifest("b1", content_hash, "udp", 1, 1, 1, 0, 1,
                        (StoredFile(path, 1, hashlib.sha256(payload).hexdigest()),),
                        replaces=replaces)
    folder = manifests_dir(source / "store")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{content_hash[:64]}.json").write_text(manifest.to_json())
    return payload


@pytest.mark.parametrize(("path", "content_hash", "replaces"), [
    ("../x/f.parquet", "a" * 64, ()),
    ("flows/../../x/f.parquet", "b" * 64, ()),
    ("/tmp/pahna-sync-probe/f.parquet", "c" * 64, ()),
    ("flows/day=2025-10-23/ok.parquet", "d" * 64, ("../../../x/f",)),
])
def test_a_manifest_naming_outside_the_store_is_refused(
        tmp_path: Path, path: str, content_hash: str, replaces: tuple[str, ...]) -> None:
    source, here = tmp_path / "source", tmp_path / "here"
    (here / "store").mkdir(parents=True)
    _hostile(source, path, content_hash, replaces)
    report = sync_store(source, here / "store", here / "quarantine", "c")
    assert report.copied == [] and list(report.conflicts) == [content_hash]
    assert "refused" in report.conflicts[content_hash]
    outside = [p for p in tmp_path.rglob("*") if p.is_file()
               and here in p.parents and here / "store" not in p.parents]
    assert outside == []
    assert not Path("/tmp/pahna-sync-probe/f.parquet").exists()


def test_a_link_in_the_sources_quarantine_is_not_followed(tmp_path: Path) -> None:
    source, here = tmp_path / "source", tmp_path / "here"
    (source / "store").mkdir(parents=True)
    (here / "store").mkdir(parents=True)
    secret = tmp_path / "secret.jsonl"
    secret.write_text("a file of this machine\n")
    (source / "quarantine" / "bad").mkdir(parents=True)
    (source / "quarantine" / "bad" / "q.jsonl").symlink_to(secret)
    (source / "quarantine" / "bad" / "r.jsonl").write_text("{}\n")
    report = sync_store(source, here / "store", here / "quarantine", "c")
    assert report.quarantine_files == 1
    assert sorted(p.name for p in (here / "quarantine").rglob("*.jsonl")) == ["r.jsonl"]
