"""The collector's receive path: datagrams from its sockets to the on-disk spool.

Datagrams are appended to spool segments before anything decodes them, so decoding can
lag behind a burst and nothing that reached pahna waits in memory. Two implementations
write the same segments (the spool's record: u32 magic "PSG1", u32 payload length, u64
received ns, 16-byte exporter address, the payload; little-endian):

- the compiled one (`pahna.intake._receiver`, C, built by setuptools at install): a
  thread that never takes the GIL waits on the sockets, takes up to 64 datagrams a call
  with recvmmsg(2) into slots with room for the record header in front, and copies the
  framed records into a ring of blocks; a writer thread appends the blocks to segments
  and a third fsyncs and seals them, so the receiving thread never waits for the disk;
- a Python loop (`PythonReceiver`), used when the extension was not built or
  `PAHNA_RECEIVER=python` asks for it: the same segments, a datagram at a time.

Both count what a full spool or a failed write made them drop, never silently.
"""

from __future__ import annotations

import errno
import io
import os
import selectors
import socket
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pahna.schema import address_to_bytes

MAGIC = 0x50534731
RECORD_HEADER = struct.Struct("<IIQ16s")
MAX_DATAGRAM = 65535
COUNTERS = ("datagrams", "payload_bytes", "spooled_bytes", "spool_full_datagrams",
            "spool_full_bytes", "write_failed_datagrams", "write_failed_bytes",
            "sealed_segments", "sync_errors", "last_errno", "next_sequence")


@dataclass(frozen=True)
class SpoolBounds:
    """How the receive path cuts and bounds the spool."""

    segment_bytes: int = 64 << 20
    segment_age_s: float = 1.0
    fsync_interval_s: float = 1.0
    limit_bytes: int = 8 << 30


class Receiver(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None:
        """Take everything the sockets hold (until they are empty: a closed socket's queue
        is discarded without a count), seal the open segment, and return."""
        ...

    def counters(self) -> dict[str, int]: ...


def segment_path(folder: Path, sequence: int, sealed: bool) -> Path:
    return folder / f"seg-{sequence:016d}.{'seg' if sealed else 'open'}"


def next_sequence(folder: Path) -> int:
    """One past the highest segment number in the folder (sequence numbers only grow)."""
    numbers = [int(p.name[4:20]) for p in folder.glob("seg-*") if p.name[4:20].isdigit()]
    return max(numbers, default=-1) + 1


def open_receiver(sockets: list[socket.socket], folder: Path,
                  bounds: SpoolBounds = SpoolBounds()) -> Receiver:
    """The compiled receiver when it was built (and not refused by PAHNA_RECEIVER=python),
    else the Python one; both start at the next free segment number of `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    first = next_sequence(folder)
    if os.environ.get("PAHNA_RECEIVER", "") != "python":
        try:
            from pahna.intake import _receiver
        except ImportError:
            pass
        else:
            return _receiver.Receiver(
                [s.fileno() for s in sockets], str(folder), first, bounds.segment_bytes,
                bounds.segment_age_s, bounds.fsync_interval_s, bounds.limit_bytes)
    return PythonReceiver(sockets, folder, first, bounds)


def compiled() -> bool:
    """Whether the compiled receiver is there to be used."""
    try:
        from pahna.intake import _receiver  # noqa: F401
    except ImportError:
        return False
    return os.environ.get("PAHNA_RECEIVER", "") != "python"


class PythonReceiver:
    """The fallback: one thread receives a datagram at a time and appends it to the
    open segment; segments are fsynced and sealed on the same thread."""

    def __init__(self, sockets: list[socket.socket], folder: Path, first: int,
                 bounds: SpoolBounds) -> None:
        self.sockets, self.folder, self.bounds = sockets, folder, bounds
        self.sequence = first
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="receiver", daemon=True)
        self.count = dict.fromkeys(COUNTERS, 0)
        self.count["next_sequence"] = first
        self._file: io.FileIO | None = None
        self._size = 0
        self._opened = 0.0
        self._synced = 0.0
        self._others = sum(p.stat().st_size for p in folder.glob("seg-*"))
        self._peers: dict[str, bytes] = {}

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join()

    def counters(self) -> dict[str, int]:
        return dict(self.count)

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        for sock in self.sockets:
            selector.register(sock, selectors.EVENT_READ)
        try:
            while not self.stopping.is_set():
                for key, _ in selector.select(timeout=0.05):
                    self._drain(key.fileobj, 4096)  # type: ignore[arg-type]
                self._tick()
            for sock in self.sockets:  # closing a socket would discard what it holds
                self._drain(sock, None)
            self._seal()
        finally:
            selector.close()

    def _drain(self, sock: socket.socket, most: int | None) -> None:
        """Take up to `most` datagrams from a socket (None: until it is empty)."""
        taken = 0
        while most is None or taken < most:
            try:
                payload, peer = sock.recvfrom(MAX_DATAGRAM)
            except BlockingIOError:
                return
            taken += 1
            exporter = self._peers.get(peer[0])
            if exporter is None:
                exporter = self._peers[peer[0]] = address_to_bytes(peer[0].split("%")[0])
            self._append(exporter, payload)

    def _append(self, exporter: bytes, payload: bytes) -> None:
        record = RECORD_HEADER.pack(MAGIC, len(payload), time.time_ns(), exporter) + payload
        self.count["datagrams"] += 1
        self.count["payload_bytes"] += len(payload)
        if not self._has_room(len(record)):
            self.count["spool_full_datagrams"] += 1
            self.count["spool_full_bytes"] += len(payload)
            return
        try:
            self._write(record)
        except OSError as error:
            self.count["write_failed_datagrams"] += 1
            self.count["write_failed_bytes"] += len(payload)
            self.count["last_errno"] = error.errno or 0
            return
        self.count["spooled_bytes"] += len(record)
        if self._size >= self.bounds.segment_bytes:
            self._seal()

    def _has_room(self, size: int) -> bool:
        if self._others + self._size + size <= self.bounds.limit_bytes:
            return True
        open_name = segment_path(self.folder, self.sequence, False).name
        self._others = sum(p.stat().st_size for p in self.folder.glob("seg-*")
                           if p.name != open_name or self._file is None)
        return self._others + self._size + size <= self.bounds.limit_bytes

    def _write(self, record: bytes) -> None:
        if self._file is None:
            self._file = io.FileIO(segment_path(self.folder, self.sequence, False), "xb")
            self._size, self._opened = 0, time.monotonic()
        try:
            written = self._file.write(record)
            if written != len(record):
                raise OSError(errno.ENOSPC, "short write to the spool")
        except OSError:
            self._file.truncate(self._size)
            raise
        self._size += len(record)

    def _tick(self) -> None:
        now = time.monotonic()
        if self._file is not None and now - self._opened >= self.bounds.segment_age_s:
            self._seal()
        elif self._file is not None and now - self._synced >= self.bounds.fsync_interval_s:
            os.fdatasync(self._file.fileno())
            self._synced = now

    def _seal(self) -> None:
        file = self._file
        if file is None:
            return
        self._file = None
        try:
            os.fsync(file.fileno())
            file.close()
            os.rename(segment_path(self.folder, self.sequence, False),
                      segment_path(self.folder, self.sequence, True))
            descriptor = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            self.count["sealed_segments"] += 1
        except OSError as error:
            self.count["sync_errors"] += 1
            self.count["last_errno"] = error.errno or 0
        self._others += self._size
        self._size = 0
        self.sequence += 1
        self.count["next_sequence"] = self.sequence
