"""Durable writes for the ledger: whole or not at all, on disk before anyone is told.

`write_atomic` replaces a file (drafts, cost tables): readers see the old bytes or the
new ones. `create_exclusive` makes a record that must never be overwritten (finals,
voids, payments): it is written and fsynced under a temporary name, then hard-linked to
its name, which fails if the name exists, so two writers can never both create it, and
the folder is fsynced so the new name survives a power cut.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

READ_ONLY = 0o444


def fsync_path(path: Path) -> None:
    """fsync a file, or a folder (so the names in it survive a power cut)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temporary(path: Path, data: bytes, mode: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fchmod(fd, mode)
        os.fsync(fd)
    finally:
        os.close(fd)
    return temp


def write_atomic(path: Path, text: str, read_only: bool = False) -> None:
    """Replace `path` with `text` (UTF-8) atomically, fsynced with its folder."""
    temp = _temporary(path, text.encode("utf-8"), READ_ONLY if read_only else 0o644)
    os.replace(temp, path)
    fsync_path(path.parent)


def create_exclusive(path: Path, text: str) -> None:
    """Create `path` read-only with `text`, or FileExistsError if it exists; never
    overwrites and never leaves a partial file under the name."""
    temp = _temporary(path, text.encode("utf-8"), READ_ONLY)
    try:
        os.link(temp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    fsync_path(path.parent)
