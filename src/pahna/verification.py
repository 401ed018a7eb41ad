"""Replaying finals: `verify` recomputes a final month from its sealed raw files and its
basis and says where it differs from the sealed bytes; `explain` shows one producer's
amount down through tariff lines, daily bytes and largest flows, for a final replayed
from its basis, else for a fresh draft. Neither reads today's registry for a final.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from pahna.aggregate.profiles import largest_flows
from pahna.calendar import JalaliMonth
from pahna.errors import NotFoundError, PahnaError
from pahna.ledger.book import Ledger
from pahna.ledger.seal import damaged_files, registry_version, seal_inputs
from pahna.ledger.verify import (
    check_record,
    compare_inputs,
    compare_settlements,
    sealed_fields,
    version_notes,
)
from pahna.logusage import sealed_log_files
from pahna.registry.database import open_registry
from pahna.registry.rules import claim_index_from_snapshot
from pahna.settle.document import from_document, to_document
from pahna.settle.money import Currency
from pahna.settle.statements import Settlement, settle_period
from pahna.settle.usage import daily_bytes
from pahna.settlement import (
    current_basis,
    final_basis,
    final_in_force,
    month_files,
    month_manifests,
    sealed_files,
    settlement_inputs,
    workspace_currency,
)
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
    problems = check_record(record) + damaged_files(
        workspace.store_dir, sealed["manifests"] + sealed.get("log_manifests", []))
    changed, late = compare_inputs(sealed, seal_inputs(month_manifests(workspace, period),
                                                       "", {}))
    try:
        basis = final_basis(workspace, record)
        inputs, _ = settlement_inputs(workspace, period, basis, sealed_files(workspace, record),
                                      _sealed_currency(record), engine_name,
                                      sealed_log_files(workspace, record))
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
    return problems, late + version_notes(sealed, now)


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
    flows = largest_flows(files, (month.start_ms, month.end_ms),
                          claim_index_from_snapshot(basis.rules), producer_id, limit)
    return settlement, daily_bytes(usage), flows
