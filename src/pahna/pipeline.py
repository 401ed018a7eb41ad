"""Wiring only: intake -> store, store + registry -> aggregate -> settle -> statements.

Every command and the demo go through these functions; none of them holds logic of its
own beyond putting the stages together in order.
"""

from __future__ import annotations

import hashlib
import itertools
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pahna.aggregate.engines import get_engine
from pahna.aggregate.engines.duckdb import MAX_FLOW_MS
from pahna.aggregate.kernel import Rules
from pahna.aggregate.queries import UsageQuery
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.attribute.domestic import DomesticIndex
from pahna.calendar import JalaliMonth
from pahna.errors import SettlementError
from pahna.intake.base import Datagram, IntakeCounters
from pahna.intake.dispatch import FlowDecoder
from pahna.intake.replay import ReplayStats, is_capture, read_capture
from pahna.registry.database import open_registry
from pahna.registry.producers import list_producers, prefix_claims
from pahna.report.statements import write_statements
from pahna.schema import address_to_bytes
from pahna.settle.statements import ProducerUsage, Settlement, settle_period
from pahna.settle.tariffs import Tariff, tariff_for
from pahna.store.manifests import Manifest, committed_files, file_sha256
from pahna.store.quarantine import quarantine
from pahna.store.state import STATE_NAME, load_state, save_state
from pahna.store.writer import is_stored, write_batch
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
        manifest = write_batch(self.workspace.store_dir, result.flows, source, content_hash)
        save_state(self.workspace.home, self.decoder.state(), self.state)
        return IngestReport(source, result.flows.num_rows, len(result.rejected), manifest)

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
    return Rules(claim_index(workspace), DomesticIndex.empty())


def usage_for_period(workspace: Workspace, period: str, engine_name: str | None = None,
                     group_by: tuple[str, ...] = ("producer_id",)) -> pa.Table:
    """Sampling-scaled usage for a Jalali month, summed over `group_by`."""
    month = JalaliMonth.parse(period)
    engine = get_engine(engine_name or workspace.config.aggregate.engine,
                        workspace.config.aggregate.memory_limit)
    files = committed_files(workspace.store_dir, month.start_ms - MAX_FLOW_MS, month.end_ms)
    query = UsageQuery(str(month), month.start_ms, month.end_ms, group_by)
    return engine.usage(files, query, rules(workspace))


def load_tariffs(workspace: Workspace) -> list[Tariff]:
    out = []
    for path in sorted(workspace.tariffs_dir.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SettlementError(f"{path}: not valid TOML: {exc}") from exc
        out.append(Tariff.from_dict(data, source=str(path)))
    return out


def settle(workspace: Workspace, period: str, engine_name: str | None = None
           ) -> tuple[Settlement, list[Path], pa.Table]:
    """Draft settlement for a month; writes the statements and returns their paths."""
    usage = usage_for_period(workspace, period, engine_name)
    producers = {p.id: p for p in list_producers(open_registry(workspace.registry_url))}
    by_producer = {row["producer_id"]: row["bytes"] for row in usage.to_pylist()
                   if row["producer_id"] is not None}
    rows = [
        ProducerUsage(p.id, p.name, p.name_fa, p.province, int(by_producer.get(p.id, 0)))
        for p in producers.values()
    ]
    tariff = tariff_for(load_tariffs(workspace), str(JalaliMonth.parse(period)))
    settlement = settle_period(str(JalaliMonth.parse(period)), rows, tariff)
    paths = write_statements(settlement, workspace.statements_dir(settlement.period))
    return settlement, paths, usage
