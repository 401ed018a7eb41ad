"""Wiring only: intake -> store, store + registry -> aggregate -> settle -> statements.

Every command and the demo go through these functions; none of them holds logic of its
own beyond putting the stages together in order. Intake is committed to the store by
`pahna.store.ingest`; the settlement half (drafts, finals, verify, explain, payments) is
wired in `pahna.settlement`, `pahna.verification` and `pahna.payouts`. The functions
callers use are re-exported here.
"""

from __future__ import annotations

from pathlib import Path

from pahna.aggregate.kernel import Rules
from pahna.attribute.claims import ClaimIndex, TimedPrefix
from pahna.calendar import JalaliMonth
from pahna.errors import NotFoundError
from pahna.intake.weblog.presets import FormatSpec
from pahna.intake.weblog.scan import ScanOptions
from pahna.ledger.book import Ledger
from pahna.payouts import producer_ibans
from pahna.registry.database import open_registry
from pahna.registry.producers import list_producers, prefix_claims
from pahna.registry.rules import load_rules
from pahna.settlement import (
    finalize,
    load_tariffs,
    month_usage,
    month_window,
    period_inputs,
    settle,
    settlement_inputs,
    usage_for_period,
)
from pahna.store.ingest import CAPTURE_BATCH, Ingestor, IngestReport
from pahna.store.logingest import LogReport, ingest_log
from pahna.verification import explain, verify
from pahna.workspace import Workspace


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


__all__ = ["CAPTURE_BATCH", "IngestReport", "Ingestor", "claim_index", "explain", "finalize",
           "load_tariffs", "month_usage", "month_window", "period_inputs", "producer_ibans",
           "rules", "settle", "settlement_inputs", "usage_for_period", "verify"]
