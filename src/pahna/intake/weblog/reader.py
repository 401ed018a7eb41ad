"""One log file through intake: its lines, read in batches, scanned in its format.

W3C logs change format at each `#Fields:` line, so a batch is split there and each part
read with the fields declared before it. `content_digest` hashes a file without reading
it as a log (to know it is already stored before any work).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

from pahna.errors import DecodeError, LogFormatError
from pahna.intake.weblog.fields import LogFormat
from pahna.intake.weblog.lines import FileDigest, LineBatch, read_batches
from pahna.intake.weblog.presets import FormatSpec
from pahna.intake.weblog.scan import Scanned, ScanOptions, decode_lines, scan_batch
from pahna.schema import LOG_SCHEMA


def content_digest(path: Path) -> FileDigest:
    """The SHA-256 of the file's decompressed content (and its size and lines)."""
    digest = FileDigest()
    for _ in read_batches(path, digest):
        pass
    return digest


def _sections(batch: LineBatch, spec: FormatSpec, current: LogFormat | None
              ) -> Iterator[tuple[LineBatch, LogFormat | None]]:
    """The batch cut at each `#Fields:` line, each part with the format in force."""
    if spec.fixed is not None:
        yield batch, spec.fixed
        return
    text, _ = decode_lines(batch)
    starts = text.str.starts_with("#Fields:").fill_null(False).arg_true().to_list()
    edges = [0, *starts, len(text)]
    for begin, end in itertools.pairwise(edges):
        if begin in starts:
            current = spec.for_fields(str(text[begin]).strip())
        if end > begin:
            part = LineBatch(batch.lines.slice(begin, end - begin), batch.first_line + begin)
            yield part, current


def _only_directives(batch: LineBatch) -> bool:
    text, _ = decode_lines(batch)
    line = text.str.strip_chars()
    return bool(((line == "") | line.str.starts_with("#")).fill_null(True).all())


def scan_file(path: Path, spec: FormatSpec, options: ScanOptions, batch_id: str,
              expected: str) -> Iterator[Scanned]:
    """Every batch of the file scanned; DecodeError when the content is not what was
    hashed before (a file still being written)."""
    digest = FileDigest()
    current = spec.initial
    for batch in read_batches(path, digest):
        for part, fmt in _sections(batch, spec, current):
            if fmt is None:
                if _only_directives(part):  # #Software, #Version, #Date before #Fields
                    yield Scanned(LOG_SCHEMA.empty_table(), [], directives=len(part.lines))
                    continue
                raise LogFormatError(f"{path}: a {spec.name} log must declare its fields "
                                     "(#Fields:) before its first line")
            current = fmt
            yield scan_batch(part, fmt, options, batch_id)
    for line, head in digest.too_long:
        yield Scanned(LOG_SCHEMA.empty_table(),
                      [(line, "too_long", head.decode("utf-8", "replace"))])
    if digest.hexdigest != expected:
        raise DecodeError(f"{path}: changed while it was being read (still being written?); "
                          "nothing was stored", reason="changed")
