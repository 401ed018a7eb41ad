"""Store an access-log file: exactly once by the hash of its content, its bad lines kept
in quarantine with their line numbers, its reading counted.

The file is hashed first (a log already stored costs one read and nothing else), then
read and stored batch by batch (memory stays flat whatever its size), then hashed again
as it was read: a file that changed in between (still being written) is not stored.

A file that begins with the whole of a log stored before under the same name is that
log grown since (a server still writing it): it is refused (`grown_from` names the
stored log), not stored, since its earlier lines would be paid twice. Logs are ingested
once rotated (access.log.1, dated names), not while the server writes them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pahna.intake.weblog.lines import FileDigest, prefix_sha256
from pahna.intake.weblog.presets import FormatSpec
from pahna.intake.weblog.reader import content_digest, scan_file
from pahna.intake.weblog.scan import ScanOptions
from pahna.store.logs import (
    LineQuarantine,
    LogBatchWriter,
    LogManifest,
    read_log_manifests,
    stored_log,
)


@dataclass
class LogReport:
    """What one log file gave: lines read, records stored, lines rejected by reason, lines
    that were blank or directives, lines read with replacement characters."""

    source: str
    content_hash: str
    lines: int = 0
    records: int = 0
    bytes: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    blank: int = 0
    directives: int = 0
    lossy_utf8: int = 0
    duplicate: bool = False
    grown_from: str | None = None  # the stored log this file begins with (refused)
    manifest: LogManifest | None = None
    quarantine: Path | None = None

    def as_dict(self) -> dict[str, object]:
        return {"file": self.source, "content_hash": self.content_hash, "lines": self.lines,
                "records": self.records, "bytes": self.bytes, "rejected": dict(self.rejected),
                "blank": self.blank, "directives": self.directives,
                "lossy_utf8": self.lossy_utf8, "duplicate": self.duplicate,
                "grown_from": self.grown_from,
                "batch_id": self.manifest.batch_id if self.manifest else None,
                "quarantine": str(self.quarantine) if self.quarantine else None,
                "start_ms": self.manifest.start_ms if self.manifest else None,
                "end_ms": self.manifest.end_ms if self.manifest else None}


def ingest_log(store: Path, quarantine_dir: Path, path: Path, spec: FormatSpec,
               options: ScanOptions) -> LogReport:
    """Store one log file (see the module's docstring)."""
    digest = content_digest(path)
    report = LogReport(str(path), digest.hexdigest, lines=digest.lines)
    known = stored_log(store, digest.hexdigest)
    if known is not None:
        report.duplicate, report.manifest = True, known
        return report
    report.grown_from = grown_from(store, path, digest)
    if report.grown_from is not None:
        return report
    batch_id = digest.hexdigest[:24]
    writer = LogBatchWriter(store, batch_id)
    rejected = LineQuarantine(quarantine_dir, batch_id, path.name)
    try:
        for scanned in scan_file(path, spec, options, batch_id, digest.hexdigest):
            writer.add(scanned.records)
            rejected.add(scanned.rejected)
            report.rejected.update(reason for _, reason, _ in scanned.rejected)
            report.blank += scanned.blank
            report.directives += scanned.directives
            report.lossy_utf8 += scanned.lossy_utf8
        report.quarantine = rejected.commit()
        report.manifest = writer.commit(LogManifest(
            batch_id, digest.hexdigest, path.name, spec.name, options.tier, options.operator,
            digest.lines, writer.records, dict(report.rejected), writer.bytes,
            writer.start_ms, writer.end_ms, ()))
    except BaseException:
        writer.abort()
        rejected.abort()
        raise
    report.records, report.bytes = writer.records, writer.bytes
    return report


def grown_from(store: Path, path: Path, digest: FileDigest) -> str | None:
    """The content hash of a stored log of the same name that this file begins with."""
    for manifest in read_log_manifests(store):
        if (manifest.source == path.name and 0 < manifest.lines < digest.lines
                and prefix_sha256(path, manifest.lines) == manifest.content_hash):
            return manifest.content_hash
    return None
