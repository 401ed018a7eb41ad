"""Access-log records in the raw store, each log file once.

    store/logs/day=YYYY-MM-DD/BATCH.parquet   records whose time falls on that UTC day
    store/log-manifests/HASH.json             one per stored log, named by the SHA-256
                                              of its (decompressed) content
    quarantine/logs/BATCH.jsonl               the lines it could not read: file, line
                                              number, reason and text

A log is stored like a flow batch: its Parquet files are written under temporary names,
renamed into place, then the manifest (the commit point) is written; a reader goes
through manifests only. The same content (the same log again, gzipped or not, under any
name) has the same hash and is not stored twice. Two processes storing the same log at
once write the same files under the same names, so the result is the same.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pahna.errors import StoreError
from pahna.schema import LOG_SCHEMA
from pahna.store.durable import write_atomically
from pahna.store.layout import DAY_MS, day_label
from pahna.store.manifests import StoredFile, file_sha256


def logs_dir(store: Path) -> Path:
    return store / "logs"


def log_manifests_dir(store: Path) -> Path:
    return store / "log-manifests"


def log_manifest_file(store: Path, content_hash: str) -> Path:
    return log_manifests_dir(store) / f"{content_hash}.json"


@dataclass(frozen=True)
class LogManifest:
    """A stored log: where it came from, how it was read, and what it gave."""

    batch_id: str
    content_hash: str
    source: str
    log_format: str
    tier: str
    operator: str
    lines: int
    records: int
    rejected: dict[str, int]
    bytes: int
    start_ms: int | None
    end_ms: int | None
    files: tuple[StoredFile, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, indent=1)

    @classmethod
    def from_json(cls, text: str) -> LogManifest:
        data = json.loads(text)
        data["files"] = tuple(StoredFile(**f) for f in data["files"])
        return cls(**data)


def stored_log(store: Path, content_hash: str) -> LogManifest | None:
    path = log_manifest_file(store, content_hash)
    return LogManifest.from_json(path.read_text(encoding="utf-8")) if path.exists() else None


def read_log_manifests(store: Path) -> list[LogManifest]:
    """Every stored log, in a stable order (by content hash)."""
    folder = log_manifests_dir(store)
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            out.append(LogManifest.from_json(path.read_text(encoding="utf-8")))
        except (ValueError, TypeError, KeyError) as exc:
            raise StoreError(f"{path}: unreadable log manifest: {exc}") from exc
    return out


def log_manifest_entries(manifests: list[LogManifest]) -> list[dict[str, object]]:
    """What a final seals of the logs it read: each log's hash and its files' digests."""
    return [{"content_hash": m.content_hash, "batch_id": m.batch_id,
             "files": [{"path": f.path, "sha256": f.sha256, "rows": f.rows} for f in m.files]}
            for m in sorted(manifests, key=lambda m: m.content_hash)]


def committed_log_files(store: Path, start_ms: int, end_ms: int) -> list[Path]:
    """Parquet files of stored logs that may hold records in [start, end)."""
    return sorted(store / f.path for m in read_log_manifests(store)
                  if m.start_ms is not None and m.end_ms is not None
                  and m.start_ms < end_ms and m.end_ms >= start_ms for f in m.files)


@dataclass
class LogBatchWriter:
    """Writes one log's records as they come, one Parquet file per UTC day, invisible
    until `commit` writes the manifest; `abort` removes what was written."""

    store: Path
    batch_id: str
    _writers: dict[int, tuple[pq.ParquetWriter, Path]] = field(default_factory=dict)
    records: int = 0
    bytes: int = 0
    start_ms: int | None = None
    end_ms: int | None = None

    def add(self, records: pa.Table) -> None:
        if not records.num_rows:
            return
        times = records.column("time_ms")
        days = pc.floor(pc.divide(times.cast(pa.float64()), DAY_MS)).cast(pa.int64())
        for day in pc.unique(days).to_pylist():
            part = records.filter(pc.equal(days, day))
            self._writer(day).write_table(part)
        self.records += records.num_rows
        self.bytes += int(pc.sum(records.column("bytes")).as_py() or 0)
        low, high = pc.min(times).as_py(), pc.max(times).as_py()
        self.start_ms = low if self.start_ms is None else min(self.start_ms, low)
        self.end_ms = high if self.end_ms is None else max(self.end_ms, high)

    def _writer(self, day: int) -> pq.ParquetWriter:
        if day not in self._writers:
            folder = logs_dir(self.store) / f"day={day_label(day)}"
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".parquet", dir=folder)
            os.close(fd)
            writer = pq.ParquetWriter(tmp, LOG_SCHEMA, compression="zstd")
            self._writers[day] = (writer, Path(tmp))
        return self._writers[day][0]

    def commit(self, manifest: LogManifest) -> LogManifest:
        """Close, fsync and rename the files, then write the manifest (the commit)."""
        files = []
        for day, (writer, tmp) in sorted(self._writers.items()):
            writer.close()
            with tmp.open("rb") as handle:
                os.fsync(handle.fileno())
            final = logs_dir(self.store) / f"day={day_label(day)}" / f"{self.batch_id}.parquet"
            os.replace(tmp, final)
            files.append(StoredFile(str(final.relative_to(self.store)),
                                    pq.ParquetFile(final).metadata.num_rows, file_sha256(final)))
        self._writers.clear()
        done = LogManifest(**{**asdict(manifest), "files": tuple(files)})
        write_atomically(log_manifest_file(self.store, done.content_hash),
                         done.to_json().encode())
        return done

    def abort(self) -> None:
        for writer, tmp in self._writers.values():
            writer.close()
            tmp.unlink(missing_ok=True)
        self._writers.clear()


@dataclass
class LineQuarantine:
    """The lines a log's reading rejected (file, line number, reason, text), appended to
    a temporary file as they come (memory stays flat) and put in place by `commit`."""

    folder: Path
    batch_id: str
    source: str
    count: int = 0
    _handle: IO[str] | None = None
    _tmp: Path | None = None

    def add(self, rejected: list[tuple[int, str, str]]) -> None:
        if not rejected:
            return
        if self._tmp is None:
            (self.folder / "logs").mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".jsonl", dir=self.folder / "logs")
            self._handle, self._tmp = os.fdopen(fd, "w", encoding="utf-8"), Path(tmp)
        handle = self._handle
        assert handle is not None
        for line, reason, body in rejected:
            handle.write(json.dumps({"file": self.source, "line": line, "reason": reason,
                                     "text": body}, ensure_ascii=False) + "\n")
        self.count += len(rejected)

    def commit(self) -> Path | None:
        if self._tmp is None:
            return None
        handle = self._handle
        assert handle is not None
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        final = self.folder / "logs" / f"{self.batch_id}.jsonl"
        os.replace(self._tmp, final)
        self._tmp = None
        return final

    def abort(self) -> None:
        if self._tmp is not None:
            if self._handle is not None:
                self._handle.close()
            self._tmp.unlink(missing_ok=True)
            self._tmp = None
