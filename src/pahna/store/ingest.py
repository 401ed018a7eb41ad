"""Decode datagrams and commit them to the store, each export message once (as far as its
identity tells; see docs/decisions/0006-export-identity.md).

A batch goes through two steps, both under the store's commit lock
(:meth:`ExportIndex.locked`):

1. *prepare*: every datagram's identity (:mod:`pahna.intake.identity`) is looked up in
   the export index; a message the store already holds (or that came earlier in the same
   batch) is a duplicate: its templates and options are learnt, its data is not decoded
   (counted as `duplicates`). The rest is decoded; rejected datagrams go to quarantine.
2. *commit*: the Parquet files, then the decoder state staged with the batch, then the
   identities of the datagrams decoded, then the manifest (the commit point), then the
   state put in place (see :mod:`pahna.store.state`). A batch that stores no rows writes
   no manifest: its state is saved directly.

Commit can be retried with the same prepared batch until it succeeds (the collector
does, with a growing delay, while the store refuses: a full or read-only disk); every
step is idempotent. Counters move only once a commit succeeded.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa

from pahna.errors import StoreError
from pahna.intake.base import Datagram, IntakeCounters, Rejected
from pahna.intake.dispatch import FlowDecoder
from pahna.intake.identity import DAY_EDGE_MS, DAY_MS, message_identity
from pahna.intake.replay import ReplayStats, Selection, is_capture, read_capture
from pahna.intake.spool import decode_records, is_spool_file
from pahna.schema import address_to_bytes
from pahna.store.exports import ExportIndex, Partition
from pahna.store.manifests import Manifest
from pahna.store.quarantine import quarantine
from pahna.store.state import STATE_NAME, load_state, promote_state, save_state, stage_state
from pahna.store.writer import write_files, write_manifest
from pahna.workspace import Workspace

CAPTURE_BATCH = 50_000
"""Datagrams of a capture committed together (bounds memory while ingesting)."""
T = TypeVar("T")
RETRY_FIRST_S, RETRY_MAX_S = 0.5, 30.0
"""Delay before retrying a batch the store refused, doubled each time up to the most."""


@dataclass(frozen=True)
class IngestReport:
    source: str
    records: int
    rejected: int
    manifest: Manifest | None
    duplicate: bool = False
    duplicates: int = 0


@dataclass
class Prepared:
    """A decoded batch, ready to be committed (again, if the store refused it)."""

    source: str
    content_hash: str
    flows: pa.Table
    rejected: list[Rejected]
    identities: dict[Partition, list[bytes]] = field(default_factory=dict)
    duplicates: int = 0
    segments: tuple[str, ...] = ()


class Ingestor:
    """Decode datagrams and commit them to the store; quarantine what is rejected.

    Templates, sampling rates and held data sets are loaded from the workspace at start
    and saved with every committed batch, so a restart does not wait for the next
    template refresh and loses nothing that was waiting for one.
    """

    def __init__(self, workspace: Workspace, state: str = STATE_NAME,
                 selection: Selection | None = None) -> None:
        self.workspace = workspace
        self.selection = selection or Selection.for_ingest(
            [], [], workspace.config.collector.listen)
        self.state = state
        settings = workspace.config.collector
        override = {address_to_bytes(a): r for a, r in settings.sampling_override.items()}
        self.decoder = FlowDecoder(settings.template_hold_s, override)
        self.decoder.restore(load_state(workspace.home, state, workspace.store_dir))
        self.exports = ExportIndex(workspace.store_dir)
        self.replay = ReplayStats()
        self.store_retries = 0

    @property
    def counters(self) -> IntakeCounters:
        return self.decoder.counters

    def ingest_datagrams(self, datagrams: list[Datagram], source: str) -> IngestReport:
        """Prepare and commit one batch (errors of the store are raised)."""
        with self.exports.locked():
            return self.commit(self.prepare(datagrams, source))

    def prepare(self, datagrams: list[Datagram], source: str,
                segments: tuple[str, ...] = ()) -> Prepared:
        """Drop what the store holds, decode the rest (call under ``exports.locked()``).
        The batch is named by a hash of the identities of the datagrams it decodes and
        of the data sets held (each identity has a digest of its bytes)."""
        named = [message_identity(d) for d in datagrams]
        fresh, duplicates = self._split(datagrams, named)
        content_hash = hashlib.sha256(b"".join(
            [datagrams[i].exporter + named[i][0] for i in fresh]
            + [p.datagram.exporter + p.identity for p in self.decoder.held_now()])).hexdigest()
        batch_id = content_hash[:24]
        learnt = self.decoder.learn([datagrams[i] for i in duplicates], batch_id)
        result = self.decoder.decode([datagrams[i] for i in fresh], batch_id)
        refused = {id(r.datagram) for r in result.rejected}
        identities: dict[Partition, list[bytes]] = {}
        kept = [i for i in fresh if id(datagrams[i]) not in refused]
        partitions = {(datagrams[i].exporter, named[i][1]) for i in kept}
        if len(partitions) == 1:  # the usual case: one exporter, one day
            identities[partitions.pop()] = [named[i][0] for i in kept]
        else:
            for i in kept:
                _file(identities, datagrams[i].exporter, *named[i])
        for done in (learnt, result):
            for datagram, identity in zip(done.released, done.released_ids, strict=True):
                if id(datagram) not in refused:
                    _file(identities, datagram.exporter, identity, message_identity(datagram)[1])
        flows = pa.concat_tables([learnt.flows, result.flows])
        return Prepared(source, content_hash, flows, result.rejected, identities,
                        len(duplicates), segments)

    def _split(self, datagrams: list[Datagram], named: list[tuple[bytes, int]]
               ) -> tuple[list[int], list[int]]:
        """Indices of the datagrams to decode, and of those the store already holds (or
        that repeat an earlier one of the batch). An empty datagram is no export message:
        never a duplicate, each one is decoded (and quarantined as `empty`)."""
        held: set[int] = set()
        for partition, indices in _partitions(datagrams).items():
            seen = self.exports.seen(partition, [named[i][0] for i in indices])
            held.update(indices[seen].tolist())
        first: set[tuple[bytes, bytes]] = set()
        for index, datagram in enumerate(datagrams):
            if not datagram.payload:
                continue
            key = (datagram.exporter, named[index][0])
            if key in first:
                held.add(index)
            first.add(key)
        fresh = [i for i in range(len(datagrams)) if i not in held]
        return fresh, sorted(held)

    def ingest_retrying(self, datagrams: list[Datagram], source: str,
                        segments: tuple[str, ...], stop: threading.Event,
                        alarm: Callable[[str], None]) -> IngestReport:
        """Prepare a batch once and commit it, retrying with a growing delay while the
        store refuses it (a full or read-only disk; taking its lock is retried too),
        never dropping it. Raises StoreError only when `stop` is set while the store
        still refuses: the batch stays where it came from (the collector's spool)."""
        what = f"a batch of {len(datagrams)} datagrams"
        handle = self._retrying(self.exports.acquire, what, stop, alarm)
        try:
            prepared = self.prepare(datagrams, source, segments)
            return self._retrying(lambda: self.commit(prepared), what, stop, alarm)
        finally:
            self.exports.release(handle)

    def _retrying(self, action: Callable[[], T], what: str, stop: threading.Event,
                  alarm: Callable[[str], None]) -> T:
        delay = RETRY_FIRST_S
        while True:
            try:
                return action()
            except (OSError, StoreError) as error:
                self.store_retries += 1
                if stop.is_set():
                    raise StoreError(f"the store refused {what} ({error}); stopping with it "
                                     "kept in the spool") from error
                alarm(f"ALARM the store refused {what} ({type(error).__name__}: {error}); "
                      f"kept, retrying in {delay:g} s")
                stop.wait(delay)
                delay = min(delay * 2, RETRY_MAX_S)

    def commit(self, prepared: Prepared) -> IngestReport:
        """Write the prepared batch (idempotent: safe to call again after a failure)."""
        workspace = self.workspace
        quarantine(workspace.quarantine_dir, prepared.rejected)
        manifest = None
        if prepared.flows.num_rows:
            manifest = write_files(workspace.store_dir, prepared.flows, prepared.source,
                                   prepared.content_hash, prepared.segments)
            stage_state(workspace.home, self.decoder.state(), self.state, prepared.content_hash)
            self.exports.write_chunks(prepared.content_hash, prepared.identities)
            write_manifest(workspace.store_dir, manifest)
            self.exports.committed(prepared.content_hash, prepared.identities)
            promote_state(workspace.home, self.state)
        else:
            save_state(workspace.home, self.decoder.state(), self.state)
        self._count_quarantined(prepared.rejected)
        return IngestReport(prepared.source, prepared.flows.num_rows, len(prepared.rejected),
                            manifest, duplicate=not prepared.flows.num_rows and not
                            prepared.rejected and prepared.duplicates > 0,
                            duplicates=prepared.duplicates)

    def shutdown(self) -> int:
        """Quarantine every held data set (with its bytes and reason) and save the state;
        returns how many. Call when the intake stops."""
        rejected = self.decoder.shutdown()
        quarantine(self.workspace.quarantine_dir, rejected)
        self._count_quarantined(rejected)
        save_state(self.workspace.home, self.decoder.state(), self.state)
        return len(rejected)

    def _count_quarantined(self, rejected: list[Rejected]) -> None:
        for item in rejected:
            counters = self.counters.exporter(item.datagram.exporter)
            counters.quarantined += 1
            counters.quarantined_bytes += len(item.datagram.payload)

    def ingest_file(self, path: Path, exporter: str = "0.0.0.0") -> IngestReport:
        """A pcap/pcapng capture (each datagram keeps its real exporter), a file in the
        spool's framing (a quarantine file: each record keeps its exporter and receive
        time) or a raw datagram file (export messages back to back, from `exporter`)."""
        if is_capture(path):
            return self._ingest_batches(path, read_capture(path, self.replay, self.selection))
        if is_spool_file(path):
            return self._ingest_batches(path, iter(decode_records(path.read_bytes())[0]))
        datagram = Datagram(address_to_bytes(exporter), path.read_bytes(), _mtime_ms(path))
        return self.ingest_datagrams([datagram], str(path))

    def _ingest_batches(self, path: Path, datagrams: Iterator[Datagram]) -> IngestReport:
        """Stored in batches of CAPTURE_BATCH datagrams, so memory stays flat whatever the
        capture's size; a capture interrupted half way is finished, not duplicated, when
        ingested again (its messages are known by their identity)."""
        records, rejected, duplicates = 0, 0, 0
        while batch := list(itertools.islice(datagrams, CAPTURE_BATCH)):
            report = self.ingest_datagrams(batch, str(path))
            records, rejected = records + report.records, rejected + report.rejected
            duplicates += report.duplicates
        duplicate = records == 0 and rejected == 0 and duplicates > 0
        return IngestReport(str(path), records, rejected, None, duplicate, duplicates)


def _partitions(datagrams: list[Datagram]) -> dict[Partition, np.ndarray]:
    """The (exporter, day) partitions to search, each with the indices of the datagrams
    that may be filed there: the receive day, and the neighbouring one within DAY_EDGE_MS
    of midnight (see pahna.intake.identity)."""
    by_exporter: dict[bytes, list[int]] = {}
    for index, datagram in enumerate(datagrams):
        by_exporter.setdefault(datagram.exporter, []).append(index)
    out: dict[Partition, np.ndarray] = {}
    for exporter, members in by_exporter.items():
        indices = np.asarray(members, np.int64)
        received = np.fromiter((datagrams[i].received_ms for i in members), np.int64,
                               len(members))
        days = np.stack([(received + shift) // DAY_MS for shift in (-DAY_EDGE_MS, 0,
                                                                    DAY_EDGE_MS)])
        for day in np.unique(days).tolist():
            out[(exporter, day)] = indices[(days == day).any(axis=0)]
    return out


def _file(out: dict[Partition, list[bytes]], exporter: bytes, identity: bytes, day: int) -> None:
    out.setdefault((exporter, day), []).append(identity)


def _mtime_ms(path: Path) -> int:
    return path.stat().st_mtime_ns // 1_000_000
