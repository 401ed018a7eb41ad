"""Wiring only: intake -> store, store + registry -> aggregate -> settle -> statements.

Every command and the demo go through these functions; none of them holds logic of its
own beyond putting the stages together in order.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from pahna.aggregate.engines import get_engine
from pahna.aggregate.engines.duckdb import MAX_FLOW_MS
from pahna.aggregate.kernel import Rules
from pahna.aggregate.queries import UsageQuery
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.calendar import JalaliMonth
from pahna.errors import SettlementError
from pahna.intake.base import Datagram, IntakeCounters
from pahna.intake.dispatch import FlowDecoder
from pahna.registry.database import open_registry
from pahna.registry.producers import list_producers, prefix_claims
from pahna.registry.rules import load_rules
from pahna.report.statements import write_statements
from pahna.schema import address_to_bytes
from pahna.settle.statements import ProducerUsage, Settlement, settle_period
from pahna.settle.tariffs import Tariff, tariff_for
from pahna.store.manifests import Manifest, committed_files
from pahna.store.quarantine import quarantine
from pahna.store.writer import is_stored, write_batch
from pahna.workspace import Workspace


@dataclass(frozen=True)
class IngestReport:
    source: str
    records: int
    rejected: int
    manifest: Manifest | None
    duplicate: bool = False


class Ingestor:
    """Decode datagrams and commit them to the store; quarantine what is rejected."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.decoder = FlowDecoder(hold_s=workspace.config.collector.template_hold_s)

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
        manifest = write_batch(self.workspace.store_dir, result.flows, source, content_hash)
        return IngestReport(source, result.flows.num_rows, len(result.rejected), manifest)

    def ingest_file(self, path: Path, exporter: str = "0.0.0.0") -> IngestReport:
        """A raw datagram file: one or more export messages back to back."""
        payload = path.read_bytes()
        digest = hashlib.sha256(payload).hexdigest()
        datagram = Datagram(address_to_bytes(exporter), payload, _mtime_ms(path))
        return self.ingest_datagrams([datagram], str(path), content_hash=digest)


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
