"""The identities of the export messages the store holds, filed per exporter and day.

    store/exports/EXPORTER/YYYY-MM-DD.ids    one file per exporter address (32 hex digits)
                                             and UTC day received (pahna.intake.identity)
    store/exports/.lock                      held while a batch is checked and committed

Each file is a sequence of chunks, one per committed batch that touched that exporter and
day: ``b"PXI1"``, u32 count (little-endian), the batch's 64-hex-digit content hash, then
`count` sorted 16-byte identities. A chunk is appended before its batch's manifest and
counts only once that manifest exists (or the batch it was compacted into is committed:
store.lineage), so a crash between the two leaves a chunk that is
ignored (the batch is not in the store either). Checking and committing happen under
one exclusive lock (flock) for the whole store, so collectors and `pahna ingest` running
at once never both store the same message.

Memory: a partition is read when a batch first touches it and kept (up to
`MAX_PARTITIONS`, least recently used first out) as sorted runs of 16 bytes an identity.
"""

from __future__ import annotations

import fcntl
import os
import struct
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from pahna.store.layout import day_label
from pahna.store.lineage import batch_committed

CHUNK = struct.Struct("<4sI64s")
MAGIC = b"PXI1"
KEY = np.dtype([("hi", ">u8"), ("lo", ">u8")])
SORT_KEY = np.dtype([("hi", "<u8"), ("lo", "<u8")])
MAX_PARTITIONS = 256
MAX_RUNS = 8

Partition = tuple[bytes, int]
"""(exporter address, UTC day number)."""


def exports_dir(store: Path) -> Path:
    return store / "exports"


def partition_file(store: Path, partition: Partition) -> Path:
    return exports_dir(store) / partition[0].hex() / f"{day_label(partition[1])}.ids"


def as_keys(identities: list[bytes]) -> np.ndarray:
    """16-byte identities as a sorted array that compares them bytewise."""
    raw = np.frombuffer(b"".join(identities), dtype=KEY)
    return np.sort(raw.astype(SORT_KEY))


@dataclass
class _Loaded:
    runs: list[np.ndarray] = field(default_factory=list)
    offset: int = 0  # bytes of the file read so far

    def contains(self, keys: np.ndarray) -> np.ndarray:
        found = np.zeros(len(keys), dtype=bool)
        for run in self.runs:
            at = np.minimum(np.searchsorted(run, keys), len(run) - 1)
            found |= run[at] == keys
        return found

    def add(self, keys: np.ndarray) -> None:
        self.runs.append(keys)
        if len(self.runs) > MAX_RUNS:
            self.runs = [np.sort(np.concatenate(self.runs))]


class ExportIndex:
    """Which export messages the store already holds."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self._loaded: OrderedDict[Partition, _Loaded] = OrderedDict()
        self._committed: set[str] = set()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's commit lock (blocks until other committers are done)."""
        handle = self.acquire()
        try:
            yield
        finally:
            self.release(handle)

    def acquire(self) -> BinaryIO:
        """Take the commit lock (OSError when the store cannot even hold the lock file;
        a read-only store whose lock file exists is locked all the same)."""
        folder = exports_dir(self.store)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            handle: BinaryIO = (folder / ".lock").open("a+b")
        except OSError:
            handle = (folder / ".lock").open("rb")
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        return handle

    @staticmethod
    def release(handle: BinaryIO) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()

    def seen(self, partition: Partition, identities: list[bytes]) -> np.ndarray:
        """Mask of the identities already held (call under :meth:`locked`)."""
        if not identities:
            return np.zeros(0, dtype=bool)
        keys = np.frombuffer(b"".join(identities), dtype=KEY).astype(SORT_KEY)
        return self._partition(partition).contains(keys)

    def write_chunks(self, content_hash: str, by_partition: dict[Partition, list[bytes]]
                     ) -> None:
        """Append the batch's identities (before its manifest; see the module doc)."""
        for partition, identities in sorted(by_partition.items()):
            keys = np.frombuffer(b"".join(sorted(set(identities))), dtype=KEY)
            path = partition_file(self.store, partition)
            path.parent.mkdir(parents=True, exist_ok=True)
            loaded = self._partition(partition)
            with path.open("ab") as handle:
                if handle.tell() != loaded.offset:  # a torn chunk of a crash: cut it off
                    handle.truncate(loaded.offset)
                handle.write(CHUNK.pack(MAGIC, len(keys), content_hash.encode()) +
                             keys.tobytes())
                handle.flush()
                os.fsync(handle.fileno())

    def committed(self, content_hash: str, by_partition: dict[Partition, list[bytes]]) -> None:
        """The batch's manifest is in place: its identities count from now on."""
        self._committed.add(content_hash)
        for partition in by_partition:
            self._partition(partition)  # reads the new chunk (or the file, if evicted)

    def _partition(self, partition: Partition) -> _Loaded:
        loaded = self._loaded.get(partition)
        if loaded is None:
            loaded = self._loaded[partition] = _Loaded()
            while len(self._loaded) > MAX_PARTITIONS:
                self._loaded.popitem(last=False)
        self._loaded.move_to_end(partition)
        self._refresh(partition, loaded)
        return loaded

    def _refresh(self, partition: Partition, loaded: _Loaded) -> None:
        """Read the chunks appended since the last read (by this process or another)."""
        path = partition_file(self.store, partition)
        if not path.exists():
            return
        with path.open("rb") as handle:
            handle.seek(loaded.offset)
            data = handle.read()
        position = 0
        while len(data) - position >= CHUNK.size:
            magic, count, digest = CHUNK.unpack_from(data, position)
            end = position + CHUNK.size + 16 * count
            if magic != MAGIC or end > len(data):
                break  # a torn tail: read again once it is cut or completed
            if self._is_committed(digest.decode("ascii", "replace")):
                keys = np.frombuffer(data, KEY, count, position + CHUNK.size)
                loaded.add(np.sort(keys.astype(SORT_KEY)))
            position = end
        loaded.offset += position

    def _is_committed(self, content_hash: str) -> bool:
        if content_hash in self._committed:
            return True
        if batch_committed(self.store, content_hash):
            self._committed.add(content_hash)
            return True
        return False
