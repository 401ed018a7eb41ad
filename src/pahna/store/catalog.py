"""The manifests' index: which batches hold flows of which UTC day, so a query reads only
the days it needs instead of every manifest ever written.

    store/index/YYYY-MM-DD.idx   a line per batch whose flows' start times span that day:
                                 its content hash, a space, its manifest as compact JSON
    store/index/wide.idx         batches spanning more than WIDE_DAYS days (read by all)
    store/index/.lock            held while a line is appended or a day's file replaced
    store/index/complete         every manifest written before the index existed is in it

A batch's line is appended (and fsynced) *before* its manifest is written, and a line
counts only while that manifest exists. So a reader that starts after a commit finished
finds it (its line was there first); a crash between the line and the manifest leaves a
line that is ignored (the batch is not in the store), and the retried commit appends the
same line again, which a reader reads once (lines are taken by content hash). A torn
last line is closed with a newline before the next append. A line that cannot be read
while its manifest exists is answered from the manifest itself.

Retraction and compaction take lines out by replacing a day's file whole (written aside,
renamed over), under the lock: a reader reads a day's file with one open, so it sees the
file before or after; a compacted batch's line is appended before its sources' lines go.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from pathlib import Path

from pahna.errors import StoreError
from pahna.store.durable import write_atomically
from pahna.store.layout import DAY_MS, day_label, manifest_file, manifests_dir
from pahna.store.manifests import Manifest, read_manifests, visible

WIDE_DAYS = 62
WIDE = "wide"
SUFFIX = ".idx"


def index_dir(store: Path) -> Path:
    return store / "index"


def index_file(store: Path, name: str) -> Path:
    return index_dir(store) / f"{name}{SUFFIX}"


def entry_names(manifest: Manifest) -> list[str]:
    """The index files a batch is listed in: every UTC day from its first flow's start
    to its last's (or `wide`, past WIDE_DAYS days); none for a batch without flows."""
    if manifest.start_ms is None or manifest.end_ms is None:
        return []
    first, last = manifest.start_ms // DAY_MS, manifest.end_ms // DAY_MS
    if last - first >= WIDE_DAYS:
        return [WIDE]
    return [day_label(day) for day in range(first, last + 1)]


def entry_line(manifest: Manifest) -> bytes:
    text = json.dumps(asdict(manifest), sort_keys=True, separators=(",", ":"))
    return f"{manifest.content_hash} {text}\n".encode()


@contextmanager
def index_lock(store: Path) -> Iterator[None]:
    folder = index_dir(store)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def add_entry(store: Path, manifest: Manifest) -> None:
    """List a batch in the index (before its manifest is written: see the module doc)."""
    names = entry_names(manifest)
    if not names:
        return
    line = entry_line(manifest)
    with index_lock(store):
        for name in names:
            _append(index_file(store, name), line)


def _append(path: Path, line: bytes) -> None:
    with path.open("a+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size:
            handle.seek(size - 1)
            if handle.read(1) != b"\n":  # a torn line of a crash: close it
                line = b"\n" + line
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def drop_entries(store: Path, names: list[str], remove: set[str]) -> None:
    """Take the batches `remove` out of the index files `names` (call under
    :func:`index_lock`), each file replaced whole so readers see it before or after."""
    for name in sorted(set(names)):
        path = index_file(store, name)
        kept = [line for line in _lines(path)
                if line.split(b" ", 1)[0].decode("ascii", "replace") not in remove]
        write_atomically(path, b"".join(kept))


def _lines(path: Path) -> list[bytes]:
    if not path.exists():
        return []
    return [line + b"\n" for line in path.read_bytes().split(b"\n") if line.strip()]


def _files(store: Path) -> list[Path]:
    folder = index_dir(store)
    return sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []


def ensure_index(store: Path) -> bool:
    """Index the manifests written before the index existed (once); False when the
    store cannot be written (a reader then scans every manifest)."""
    marker = index_dir(store) / "complete"
    if marker.exists():
        return True
    try:
        with index_lock(store):
            if marker.exists():
                return True
            listed = {line.split(b" ", 1)[0].decode("ascii", "replace")
                      for path in _files(store) for line in _lines(path)}
            for manifest in read_manifests(store):
                if manifest.content_hash not in listed:
                    for name in entry_names(manifest):
                        _append(index_file(store, name), entry_line(manifest))
            marker.write_bytes(b"")
    except OSError:
        return False
    return True


def indexed_manifests(store: Path, start_ms: int, end_ms: int) -> list[Manifest]:
    """Committed batches that may hold flows starting in [start_ms, end_ms) (the
    manifests' own start and end decide), by content hash, reading only the index files
    of the days of the window."""
    first, last = start_ms // DAY_MS, (end_ms - 1) // DAY_MS
    found: dict[str, Manifest] = {}
    for path in _files(store):
        name = path.name.removesuffix(SUFFIX)
        if name != WIDE and not _day_in(name, first, last):
            continue
        for line in _lines(path):
            content_hash, _, text = line.decode("utf-8", "replace").partition(" ")
            if content_hash in found or not manifest_file(store, content_hash).exists():
                continue
            found[content_hash] = _entry(store, content_hash, text)
    return [m for m in visible([m for _, m in sorted(found.items())])
            if m.start_ms is not None and m.end_ms is not None
            and m.start_ms < end_ms and m.end_ms >= start_ms]


def _day_in(name: str, first: int, last: int) -> bool:
    try:
        day = (date.fromisoformat(name) - date(1970, 1, 1)).days
    except ValueError:
        return False
    return first <= day <= last


def _entry(store: Path, content_hash: str, text: str) -> Manifest:
    try:
        manifest = Manifest.from_json(text)
        if manifest.content_hash == content_hash:
            return manifest
    except (ValueError, TypeError, KeyError):
        pass
    path = manifest_file(store, content_hash)
    try:
        return Manifest.from_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise StoreError(f"{path}: unreadable manifest: {exc}") from exc


def index_fingerprint(store: Path, start_ms: int, end_ms: int) -> tuple[object, ...]:
    """Changes whenever a batch of the window is committed, retracted or compacted (the
    index files of its days and `wide`), and with the manifests folder otherwise."""
    if not (index_dir(store) / "complete").exists():
        folder = manifests_dir(store)
        return ("scan", folder.stat().st_mtime_ns if folder.is_dir() else None)
    first, last = start_ms // DAY_MS, (end_ms - 1) // DAY_MS
    out: list[object] = []
    for path in _files(store):
        name = path.name.removesuffix(SUFFIX)
        if name == WIDE or _day_in(name, first, last):
            stat = path.stat()
            out.append((name, stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return tuple(out)
