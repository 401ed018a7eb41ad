"""Replaying finals: `verify` recomputes a final month from its sealed raw files and its
basis and says where it differs from the sealed bytes; `explain` shows one producer's
amount down through tariff lines, daily bytes and largest flows, for a final replayed
from its basis, else for a fresh draft. Neither reads today's registry for a final.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from pahna.calendar import JalaliMonth
from pahna.errors import NotFoundError, PahnaError
from pahna.integrity.versions import changed_versions
from pahna.ledger.book import Ledger
from pahna.ledger.seal import damaged_files, registry_version, seal_inputs
from pahna.ledger.verify import (
    check_record,
    compare_inputs,
    compare_settlements,
    sealed_fields,
    version_notes,
)
from pahna.logusage import log_files_of, month_log_manifests, sealed_log_files
from pahna.registry.database import open_registry
from pahna.settle.document import from_document, to_document
from pahna.settle.money import Currency
from pahna.settle.statements import Settlement, SettlementInputs, settle_period
from pahna.settle.usage import daily_bytes
from pahna.settlement import (
    current_basis,
    final_basis,
    final_in_force,
    month_engine,
    month_files,
    month_manifests,
    sealed_files,
    settlement_inputs,
    settlement_rules,
    workspace_currency,
)
from pahna.store.lineage import as_sealed
from pahna.store.manifests import Manifest
from pahna.workspace import Workspace


def verify(workspace: Workspace, period: str, engine_name: str | None = None
           ) -> tuple[list[str], list[str]]:
    """Recompute a final month from its sealed batches and basis; returns (differences,
    notes). No differences: it holds byte for byte."""
    period = str(JalaliMonth.parse(period))
    ledger = Ledger(workspace.home)
    record = ledger.final(period)
    problems, notes = _verify_record(workspace, period, record, engine_name)
    ledger.log("verify", period, revision=record.get("revision"), holds=not problems,
               differences=problems[:20])
    return problems, notes


def _sealed_currency(record: dict[str, Any]) -> Currency:
    return Currency(record["settlement"]["currency"], record["settlement"]["minor_units"])


def _verify_record(workspace: Workspace, period: str, record: dict[str, Any],
                   engine_name: str | None = None) -> tuple[list[str], list[str]]:
    sealed = record["seal"]["inputs"]
    files, log_files = sealed_files(workspace, record), sealed_log_files(workspace, record)
    found = month_engine(workspace, engine_name).file_digests(files + log_files)
    digests = {p.relative_to(workspace.store_dir).as_posix(): d for p, d in found.items()}
    problems = check_record(record) + damaged_files(
        sealed["manifests"] + sealed.get("log_manifests", []), digests)
    problems += changed_versions(workspace, record.get("basis", {}).get("hosting", []))
    changed, late = compare_inputs(sealed, seal_inputs(_as_sealed(workspace, period, sealed),
                                                       "", {}))
    try:
        basis = final_basis(workspace, record)
        inputs, _ = settlement_inputs(workspace, period, basis, files,
                                      _sealed_currency(record), engine_name, log_files)
        settlement = settle_period(inputs)
    except PahnaError as exc:
        return [*problems, *changed, f"recomputing failed: {exc}"], late
    tariff = {"id": settlement.tariff_id, "version": settlement.tariff_version,
              "digest": settlement.tariff_digest}
    now = seal_inputs([], registry_version(open_registry(workspace.registry_url)), tariff)
    recomputed = to_document(settlement)
    if "basis" not in record:  # sealed before finals kept their basis (and newer fields)
        recomputed = sealed_fields(record["settlement"], recomputed)
    problems += changed + compare_settlements(record["settlement"], recomputed)
    late += _late_logs(workspace, period, record, (inputs, log_files), engine_name)
    return problems, late + version_notes(sealed, now)


def _late_logs(workspace: Workspace, period: str, record: dict[str, Any],
               replayed: tuple[SettlementInputs, list[Path]], engine_name: str | None
               ) -> list[str]:
    """Web logs of the month stored after finalizing, as adjustment input (like late
    batches of flows): a note for each, and what each producer's incentive would change
    by with them (the final's basis and files, plus those logs)."""
    sealed = {m["content_hash"] for m in record["seal"]["inputs"].get("log_manifests", [])}
    late = [m for m in month_log_manifests(workspace, period) if m.content_hash not in sealed]
    if not late:
        return []
    notes = [f"web log {m.content_hash[:16]}… ({m.source}) was stored after finalizing; "
             "it is not in the final (correct with an adjustment)" for m in late]
    inputs, log_files = replayed
    month = settlement_inputs(workspace, period, final_basis(workspace, record),
                              sealed_files(workspace, record), inputs.currency, engine_name,
                              log_files + log_files_of(workspace, late))[0]
    final = from_document(record["settlement"])
    for line in settle_period(month).lines:
        before = final.line(line.producer_id)
        change = line.amount_minor - (before.amount_minor if before else 0)
        if change:
            notes.append(f"with the late web logs, {line.producer_id}'s incentive would "
                         f"change by {change:+,} minor units (pahna settle adjust "
                         f"--original-period {period} --producer {line.producer_id} ...)")
    return notes


def _as_sealed(workspace: Workspace, period: str, sealed: dict[str, Any]) -> list[Manifest]:
    """The month's batches as the final knew them: a batch compacted since is compared
    through the batches it holds (store.lineage)."""
    held = {m["content_hash"] for m in sealed["manifests"]}
    return as_sealed(workspace.store_dir, month_manifests(workspace, period), held)


def explain(workspace: Workspace, period: str, producer_id: str, limit: int = 10
            ) -> tuple[Settlement, list[tuple[str, int]], pa.Table]:
    """The statement (the final in force, replayed from its basis and sealed files; else a
    fresh draft), the producer's daily bytes (Jalali date, bytes) and its largest flows."""
    period = str(JalaliMonth.parse(period))
    record = final_in_force(workspace, period)
    if record is not None:
        basis, files = final_basis(workspace, record), sealed_files(workspace, record)
        currency, log_files = _sealed_currency(record), sealed_log_files(workspace, record)
    else:
        basis = current_basis(workspace, period)
        files = month_files(workspace, period)
        currency, log_files = workspace_currency(workspace), None
    inputs = settlement_inputs(workspace, period, basis, files, currency,
                               log_files=log_files)[0]
    settlement = from_document(record["settlement"]) if record else settle_period(inputs)
    if settlement.line(producer_id) is None:
        raise NotFoundError(f"no producer {producer_id!r} on the {period} statement")
    month = JalaliMonth.parse(period)
    usage = next(u for u in inputs.usage if u.producer.id == producer_id)
    flows = month_engine(workspace).largest_flows(
        files, (month.start_ms, month.end_ms), settlement_rules(basis), producer_id, limit)
    return settlement, daily_bytes(usage), flows
