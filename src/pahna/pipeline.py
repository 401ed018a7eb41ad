"""Wiring only: intake -> store, store + registry -> aggregate -> settle -> statements.

Every command and the demo go through these functions; none of them holds logic of its
own beyond putting the stages together in order. The settlement half (drafts, finals,
verify, explain, payments) is wired in `pahna.settlement`, `pahna.verification` and
`pahna.payouts`, and the functions callers use are re-exported here.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pahna.aggregate.kernel import Rules
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.intake.base import Datagram, IntakeCounters
from pahna.intake.dispatch import FlowDecoder
from pahna.intake.plausibility import MAX_SCALED_COUNT, split_implausible
from pahna.intake.plausibility import REASON as IMPLAUSIBLE
from pahna.intake.replay import ReplayStats, is_capture, read_capture
from pahna.payouts import producer_ibans
from pahna.registry.database import open_registry
from pahna.registry.producers import prefix_claims
from pahna.registry.rules import load_rules
from pahna.schema import address_to_bytes
from pahna.settlement import finalize, load_tariffs, settle, settlement_inputs, usage_for_period
from pahna.store.manifests import Manifest, file_sha256
from pahna.store.quarantine import quarantine, quarantine_records
from pahna.store.state import STATE_NAME, load_state, save_state
from pahna.store.writer import is_stored, write_batch
from pahna.verification import explain, verify
from pahna.workspace import Workspace

CAPTURE_BATCH = 50_000
"""Datagrams of a capture committed together (bounds memory while ingesting)."""


@dataclass(frozen=True)
class IngestReport:
    source: str
    records: int
    rejected: int
    manifest: Manifest | None
    duplicate: bool = False


class Ingestor:
    """Decode datagrams and commit them to the store; quarantine what is rejected.

    Templates and sampling rates are loaded from the workspace at start and saved after
    every committed batch, so a restart does not wait for the next template refresh.
    """

    def __init__(self, workspace: Workspace, state: str = STATE_NAME) -> None:
        self.workspace = workspace
        self.state = state
        settings = workspace.config.collector
        override = {address_to_bytes(a): r for a, r in settings.sampling_override.items()}
        self.decoder = FlowDecoder(settings.template_hold_s, override)
        self.decoder.restore(load_state(workspace.home, state))
        self.replay = ReplayStats()

    @property
    def counters(self) -> IntakeCounters:
        return self.decoder.counters

    def ingest_datagrams(self, datagrams: list[Datagram], source: str,
                         content_hash: str | None = None) -> IngestReport:
        content_hash = content_hash or _datagrams_hash(datagrams)
        if is_stored(self.workspace.store_dir, content_hash):
            return IngestReport(source, 0, 0, None, duplicate=True)
        result = self.decoder.decode(datagrams, batch_id=content_hash[:24])
        quarantine(self.workspace.quarantine_dir, result.rejected)
        for item in result.rejected:
            counters = self.counters.exporter(item.datagram.exporter)
            counters.quarantined += 1
            counters.quarantined_bytes += len(item.datagram.payload)
        flows = self._plausible(result.flows)
        manifest = write_batch(self.workspace.store_dir, flows, source, content_hash)
        save_state(self.workspace.home, self.decoder.state(), self.state)
        return IngestReport(source, flows.num_rows, len(result.rejected), manifest)

    def _plausible(self, flows: pa.Table) -> pa.Table:
        """The records to store; those with an implausible counter (intake.plausibility)
        go to quarantine, counted per exporter."""
        flows, implausible = split_implausible(flows)
        quarantine_records(self.workspace.quarantine_dir, implausible, IMPLAUSIBLE,
                           f"bytes or packets x sampling rate above {MAX_SCALED_COUNT:,} "
                           "in one record")
        for exporter in implausible.column("exporter").to_pylist():
            self.counters.exporter(exporter).errors[IMPLAUSIBLE] += 1
        return flows

    def ingest_file(self, path: Path, exporter: str = "0.0.0.0") -> IngestReport:
        """A pcap/pcapng capture (each datagram keeps its real exporter) or a raw
        datagram file (one or more export messages back to back, from `exporter`)."""
        digest = file_sha256(path)
        if is_capture(path):
            return self._ingest_capture(path, digest)
        datagram = Datagram(address_to_bytes(exporter), path.read_bytes(), _mtime_ms(path))
        return self.ingest_datagrams([datagram], str(path), content_hash=digest)

    def _ingest_capture(self, path: Path, digest: str) -> IngestReport:
        """Stored in batches of CAPTURE_BATCH datagrams, each committed exactly once under
        the file's hash and its index, so memory stays flat whatever the capture's size
        and a capture interrupted half way is finished, not duplicated, when ingested
        again."""
        records, rejected, stored, index = 0, 0, 0, 0
        datagrams = read_capture(path, self.replay)
        while batch := list(itertools.islice(datagrams, CAPTURE_BATCH)):
            report = self.ingest_datagrams(batch, str(path), _batch_hash(digest, index))
            records, rejected = records + report.records, rejected + report.rejected
            stored += 0 if report.duplicate else 1
            index += 1
        duplicate = index > 0 and stored == 0
        return IngestReport(str(path), records, rejected, None, duplicate=duplicate)


def _batch_hash(file_digest: str, index: int) -> str:
    return file_digest if index == 0 else hashlib.sha256(
        f"{file_digest}:{index}".encode()).hexdigest()


def _datagrams_hash(datagrams: list[Datagram]) -> str:
    digest = hashlib.sha256()
    for d in datagrams:
        digest.update(d.exporter)
        digest.update(len(d.payload).to_bytes(4, "big"))
        digest.update(d.payload)
    return digest.hexdigest()


def _mtime_ms(path: Path) -> int:
    return path.stat().st_mtime_ns // 1_000_000


def claim_index(workspace: Workspace) -> ClaimIndex:
    engine = open_registry(workspace.registry_url)
    return ClaimIndex.build([
        TimedPrefix(c.producer_id, c.network, c.valid_from_ms, c.valid_to_ms)
        for c in prefix_claims(engine)
    ])


def rules(workspace: Workspace) -> Rules:
    """Claims, metering points and domestic lists from the registry (registry.rules)."""
    return load_rules(open_registry(workspace.registry_url))





__all__ = ["CAPTURE_BATCH", "IngestReport", "Ingestor", "claim_index", "explain", "finalize",
           "load_tariffs", "producer_ibans", "rules", "settle", "settlement_inputs",
           "usage_for_period", "verify"]
