"""Wiring only: intake -> store, store + registry -> aggregate -> settle -> statements.

Every command and the demo go through these functions; none of them holds logic of its
own beyond putting the stages together in order.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pyarrow as pa

from pahna.aggregate.engines import get_engine
from pahna.aggregate.engines.duckdb import MAX_FLOW_MS
from pahna.aggregate.kernel import Rules
from pahna.aggregate.profiles import largest_flows, producer_profiles
from pahna.aggregate.queries import UsageQuery
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.calendar import JalaliMonth
from pahna.errors import NotFoundError, PahnaError, SettlementError, TariffError
from pahna.intake.weblog.presets import FormatSpec
from pahna.intake.weblog.scan import ScanOptions
from pahna.ledger.book import Ledger
from pahna.ledger.seal import (
    Seal,
    damaged_files,
    period_manifests,
    registry_version,
    seal_inputs,
)
from pahna.ledger.verify import (
    check_record,
    compare_inputs,
    compare_settlements,
    sealed_tariff,
    version_notes,
)
from pahna.registry.database import open_registry
from pahna.registry.producers import list_producers, prefix_claims
from pahna.registry.rules import load_rules
from pahna.report.statements import write_statements
from pahna.schema import BIN_MS
from pahna.settle.document import from_document, settlement_digest, to_document
from pahna.settle.money import Currency
from pahna.settle.statements import Settlement, SettlementInputs, settle_period
from pahna.settle.tariffs import Tariff, tariff_for
from pahna.settle.usage import assemble_usage, daily_bytes
from pahna.store.ingest import CAPTURE_BATCH, Ingestor, IngestReport
from pahna.store.logingest import LogReport, ingest_log
from pahna.store.manifests import Manifest, committed_files
from pahna.workspace import Workspace

__all__ = ["CAPTURE_BATCH", "IngestReport", "Ingestor"]

def claim_index(workspace: Workspace) -> ClaimIndex:
    engine = open_registry(workspace.registry_url)
    return ClaimIndex.build([
        TimedPrefix(c.producer_id, c.network, c.valid_from_ms, c.valid_to_ms)
        for c in prefix_claims(engine)
    ])


def ingest_log_file(workspace: Workspace, path: Path, spec: FormatSpec,
                    options: ScanOptions) -> LogReport:
    """Store one access-log file (store.logingest)."""
    return ingest_log(workspace.store_dir, workspace.quarantine_dir, path, spec, options)


def check_operator(workspace: Workspace, operator_id: str) -> None:
    """NotFoundError unless `operator_id` is a registered CDN or hosting operator."""
    engine = open_registry(workspace.registry_url)
    if not any(p.id == operator_id and p.role == "operator" for p in list_producers(engine)):
        raise NotFoundError(f"no operator {operator_id!r} in the registry (register it with "
                            "`pahna registry add-producer ID ... --role operator`)")


def final_months_touched(workspace: Workspace, report: LogReport) -> list[str]:
    """The Jalali months holding records of a newly stored log that are already final
    (their records count only through an adjustment in a later month)."""
    manifest = report.manifest
    if report.duplicate or manifest is None or manifest.start_ms is None:
        return []
    assert manifest.end_ms is not None
    ledger, month = Ledger(workspace.home), JalaliMonth.containing(manifest.start_ms)
    out = []
    while month.start_ms <= manifest.end_ms:
        if ledger.active_revision(str(month)) is not None:
            out.append(str(month))
        month = month.next()
    return out


def rules(workspace: Workspace) -> Rules:
    """Claims, metering points and domestic lists from the registry (registry.rules)."""
    return load_rules(open_registry(workspace.registry_url))


def usage_for_period(workspace: Workspace, period: str, engine_name: str | None = None,
                     group_by: tuple[str, ...] = ("producer_id",),
                     with_rules: Rules | None = None) -> pa.Table:
    """Sampling-scaled usage for a Jalali month, summed over `group_by` (with the given
    rules, else the registry's: a caller that passes them can read what their metering
    filter dropped)."""
    month = JalaliMonth.parse(period)
    settings = workspace.config.aggregate
    engine = get_engine(engine_name or settings.engine, settings.memory_limit,
                        spark=settings.spark, store_dir=workspace.store_dir)
    files = committed_files(workspace.store_dir, month.start_ms - MAX_FLOW_MS, month.end_ms)
    query = UsageQuery(str(month), month.start_ms, month.end_ms, group_by)
    return engine.usage(files, query, with_rules or rules(workspace))


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
    """Draft settlement for a month; writes the statements and returns their paths.

    Refused (and logged) when the month has a final statement in force."""
    ledger = Ledger(workspace.home)
    period = str(JalaliMonth.parse(period))
    ledger.guard(period, "settle (a new draft)")
    inputs, usage = settlement_inputs(workspace, period, engine_name)
    settlement = settle_period(inputs)
    ledger.write_draft(period, to_document(settlement))
    paths = write_statements(settlement, workspace.statements_dir(settlement.period))
    return settlement, paths, usage


# -- settlement: inputs, finalize, verify, explain (issue 5) -----------------------------

def settlement_inputs(workspace: Workspace, period: str, engine_name: str | None = None,
                      files: list[Path] | None = None, tariff: Tariff | None = None,
                      producer_ids: set[str] | None = None
                      ) -> tuple[SettlementInputs, pa.Table]:
    """Everything settlement needs for a month, read from store, registry and ledger.

    `files`: the raw files to read (default: every committed batch the month reads);
    `tariff`: default the one in force; `producer_ids`: default every registered producer.
    Finalize pins the files; verify pins files, tariff and the producers sealed."""
    month = JalaliMonth.parse(period)
    if files is None:
        files = committed_files(workspace.store_dir, month.start_ms - MAX_FLOW_MS, month.end_ms)
    settings = workspace.config.aggregate
    engine = get_engine(engine_name or settings.engine, settings.memory_limit,
                        spark=settings.spark, store_dir=workspace.store_dir)
    query = UsageQuery(str(month), month.start_ms, month.end_ms,
                       ("producer_id", "traffic_class", "bin_start_ms"))
    usage = engine.usage(files, query, rules(workspace))
    producers = [p for p in list_producers(open_registry(workspace.registry_url))
                 if producer_ids is None or p.id in producer_ids]
    profiles = producer_profiles(files, (month.start_ms, month.end_ms), claim_index(workspace),
                                 {p.id: p.province for p in producers})
    currency = Currency(workspace.config.settle.currency, workspace.config.settle.minor_units)
    tariff = tariff or tariff_for(load_tariffs(workspace), str(month))
    if tariff.currency != currency.code:
        raise TariffError(f"tariff {tariff.id} v{tariff.version} is in {tariff.currency}; "
                          f"the workspace settles in {currency.code}")
    ledger = Ledger(workspace.home)
    costs = {pid: sum(parts) for pid, parts in ledger.costs(str(month)).items()}
    inputs = SettlementInputs(
        str(month), (month.end_ms - month.start_ms) // BIN_MS,
        tuple(assemble_usage(producers, usage, profiles.received, profiles.client_networks,
                             profiles.intra_province_bytes)),
        tariff, currency, costs, tuple(ledger.adjustments()))
    return inputs, usage


def _month_manifests(workspace: Workspace, period: str) -> list[Manifest]:
    month = JalaliMonth.parse(period)
    return period_manifests(workspace.store_dir, month.start_ms - MAX_FLOW_MS, month.end_ms)


def _seal(workspace: Workspace, settlement: Settlement, manifests: list[Manifest]) -> Seal:
    tariff = {"id": settlement.tariff_id, "version": settlement.tariff_version,
              "digest": settlement.tariff_digest}
    inputs = seal_inputs(manifests, registry_version(open_registry(workspace.registry_url)),
                         tariff)
    return Seal(inputs, settlement_digest(settlement))


def finalize(workspace: Workspace, period: str, actor: str = "cli",
             engine_name: str | None = None) -> tuple[Settlement, int, list[Path]]:
    """Recompute the month from a pinned set of batches, seal it and keep it as the next
    final revision (read-only). The engine is not part of the seal: both give the same."""
    period = str(JalaliMonth.parse(period))
    ledger = Ledger(workspace.home)
    ledger.guard(period, "finalize", actor)
    manifests = _month_manifests(workspace, period)
    files = sorted(workspace.store_dir / f.path for m in manifests for f in m.files)
    settlement = settle_period(settlement_inputs(workspace, period, engine_name,
                                                 files=files)[0])
    seal = _seal(workspace, settlement, manifests)
    record = {"period": period, "seal": seal.record(), "settlement": to_document(settlement)}
    revision = ledger.write_final(period, record, actor)
    folder = workspace.statements_dir(period) / f"final-r{revision}"
    paths = write_statements(settlement, folder, f"final-r{revision}", seal.content_hash)
    for path in paths:
        path.chmod(0o444)
    return settlement, revision, paths


def verify(workspace: Workspace, period: str, engine_name: str | None = None
           ) -> tuple[list[str], list[str]]:
    """Recompute a final month from its sealed batches; returns (differences, notes).
    No differences: it holds byte for byte."""
    period = str(JalaliMonth.parse(period))
    ledger = Ledger(workspace.home)
    record = ledger.final(period)
    problems, notes = _verify_record(workspace, period, record, engine_name)
    ledger.log("verify", period, revision=record.get("revision"), holds=not problems,
               differences=problems[:20])
    return problems, notes


def _verify_record(workspace: Workspace, period: str, record: dict[str, Any],
                   engine_name: str | None = None) -> tuple[list[str], list[str]]:
    sealed = record["seal"]["inputs"]
    problems = check_record(record) + damaged_files(workspace.store_dir, sealed["manifests"])
    current = seal_inputs(_month_manifests(workspace, period), "", {})
    changed, late = compare_inputs(sealed, current)
    files = sorted(workspace.store_dir / f["path"] for m in sealed["manifests"]
                   for f in m["files"])
    try:
        tariff = sealed_tariff(load_tariffs(workspace), sealed["tariff"])
        sealed_ids = {line["producer_id"] for line in record["settlement"]["lines"]}
        settlement = settle_period(settlement_inputs(workspace, period, engine_name,
                                                     files=files, tariff=tariff,
                                                     producer_ids=sealed_ids)[0])
    except PahnaError as exc:
        return [*problems, *changed, f"recomputing failed: {exc}"], late
    now = _seal(workspace, settlement, [])
    problems += changed + compare_settlements(record["settlement"], to_document(settlement))
    return problems, late + version_notes(sealed, now.inputs)


def explain(workspace: Workspace, period: str, producer_id: str, limit: int = 10
            ) -> tuple[Settlement, list[tuple[str, int]], pa.Table]:
    """The statement (final if there is one, else a fresh draft), the producer's daily
    bytes (Jalali date, bytes) and its largest flows."""
    period = str(JalaliMonth.parse(period))
    ledger = Ledger(workspace.home)
    inputs = settlement_inputs(workspace, period)[0]
    revision = ledger.active_revision(period)
    settlement = (from_document(ledger.final(period)["settlement"]) if revision
                  else settle_period(inputs))
    if settlement.line(producer_id) is None:
        raise NotFoundError(f"no producer {producer_id!r} on the {period} statement")
    month = JalaliMonth.parse(period)
    usage = next(u for u in inputs.usage if u.producer.id == producer_id)
    files = committed_files(workspace.store_dir, month.start_ms - MAX_FLOW_MS, month.end_ms)
    flows = largest_flows(files, (month.start_ms, month.end_ms), claim_index(workspace),
                          producer_id, limit)
    return settlement, daily_bytes(usage), flows


def producer_ibans(workspace: Workspace) -> dict[str, str | None]:
    """Each producer's IBAN as the registry holds it now (for payment batches)."""
    return {p.id: p.iban for p in list_producers(open_registry(workspace.registry_url))}
