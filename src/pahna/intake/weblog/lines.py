"""Reading a log file as batches of lines: plain, gzip or zstd (told by their first
bytes, not their names), hashed as it is read.

A batch is a run of whole lines (a line longer than `MAX_LINE_BYTES` is cut off and
reported, never allowed to grow a batch without bound), handed over as one Arrow binary
array with no copy of the text. The content hash is the SHA-256 of the decompressed
bytes, so the same log gzipped or not is known as the same log.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import numpy as np
import pyarrow as pa
import zstandard

from pahna.errors import DecodeError

CHUNK_BYTES = 16 << 20
MAX_LINE_BYTES = 1 << 20
"""A line longer than this is not a request any server logs: it is reported as
`too_long` with its first bytes, and reading goes on at the next line."""
GZIP_MAGIC, ZSTD_MAGIC = b"\x1f\x8b", b"\x28\xb5\x2f\xfd"


@dataclass(frozen=True)
class LineBatch:
    """Lines `first_line`, `first_line + 1`, ... of a file (1-based), each with its
    newline (the last line of a file may have none)."""

    lines: pa.BinaryArray
    first_line: int


@dataclass
class FileDigest:
    """The SHA-256 of what was read so far, how many bytes and lines, and the lines that
    were too long (line number, first bytes)."""

    sha256: hashlib._Hash = field(default_factory=hashlib.sha256)
    size: int = 0
    lines: int = 0
    too_long: list[tuple[int, bytes]] = field(default_factory=list)

    @property
    def hexdigest(self) -> str:
        return self.sha256.hexdigest()


def compression(path: Path) -> str:
    """'gzip', 'zstd' or 'none', from the file's first bytes."""
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return "none"


def _open(path: Path) -> IO[bytes]:
    kind = compression(path)
    if kind == "gzip":
        return cast(IO[bytes], gzip.open(path, "rb"))
    if kind == "zstd":
        return zstandard.ZstdDecompressor().stream_reader(path.open("rb"), closefd=True)
    return path.open("rb")


def read_batches(path: Path, digest: FileDigest, chunk_bytes: int = CHUNK_BYTES
                 ) -> Iterator[LineBatch]:
    """The file's lines in batches of about `chunk_bytes`, updating `digest` as it reads.
    A damaged compressed file raises DecodeError naming it."""
    try:
        with _open(path) as handle:
            yield from _batches(handle, digest, chunk_bytes)
    except (OSError, EOFError, zstandard.ZstdError) as exc:
        raise DecodeError(f"{path}: cannot be read ({exc})", reason="unreadable") from exc


def prefix_sha256(path: Path, lines: int) -> str | None:
    """The SHA-256 of the file's first `lines` lines (decompressed, each with its newline),
    or None when it has fewer."""
    digest, seen = hashlib.sha256(), 0
    try:
        with _open(path) as handle:
            while seen < lines:
                block = handle.read(CHUNK_BYTES)
                if not block:
                    return None
                count = block.count(b"\n")
                if seen + count >= lines:
                    cut = -1
                    for _ in range(lines - seen):
                        cut = block.index(b"\n", cut + 1)
                    digest.update(block[:cut + 1])
                    return digest.hexdigest()
                digest.update(block)
                seen += count
    except (OSError, EOFError, zstandard.ZstdError) as exc:
        raise DecodeError(f"{path}: cannot be read ({exc})", reason="unreadable") from exc
    return digest.hexdigest()


def _batches(handle: IO[bytes], digest: FileDigest, chunk_bytes: int) -> Iterator[LineBatch]:
    carry = b""
    while True:
        block = handle.read(chunk_bytes)
        digest.sha256.update(block)
        digest.size += len(block)
        data = carry + block if carry else block
        if not block:
            if data:
                yield _batch(data, digest)
            return
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) > MAX_LINE_BYTES:
            carry = _skip_long(handle, data, digest)
            continue
        carry = data[cut:]
        if cut:
            yield _batch(data[:cut], digest)


def _skip_long(handle: IO[bytes], data: bytes, digest: FileDigest) -> bytes:
    """Drop the rest of an over-long line (still hashed); returns what follows it."""
    digest.lines += 1
    digest.too_long.append((digest.lines, data[:200]))
    while True:
        block = handle.read(CHUNK_BYTES)
        digest.sha256.update(block)
        digest.size += len(block)
        if not block:
            return b""
        end = block.find(b"\n")
        if end >= 0:
            return block[end + 1:]


def _batch(data: bytes, digest: FileDigest) -> LineBatch:
    buffer = np.frombuffer(data, np.uint8)
    ends = np.flatnonzero(buffer == 10) + 1
    if not len(ends) or ends[-1] != len(data):
        ends = np.append(ends, len(data))
    offsets = np.concatenate([[0], ends]).astype(np.int32)
    lines = pa.BinaryArray.from_buffers(pa.binary(), len(ends),
                                        [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    batch = LineBatch(lines, digest.lines + 1)
    digest.lines += len(ends)
    return batch
