"""Wiring of payments: a final's payment batch for the bank, once, and the bank's
confirmation of each line (ledger.payments keeps both).

Amounts come from the sealed final (its payable column: the positive balance of each
active producer, docs/settlement.md); IBANs and statuses from the registry as it is when
paying, so an account may change after finalizing, and a producer suspended since is
not paid (the batch is refused, naming it).
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

from pahna.calendar import JalaliMonth
from pahna.errors import ImmutableStatementError, PaymentError, SettlementError
from pahna.iban import iban_problem, normalize_iban
from pahna.ledger.book import Ledger
from pahna.ledger.durable import write_atomic
from pahna.ledger.payments import (
    STATUSES,
    PaymentLine,
    confirmations,
    exported,
    parse_reference,
    payment_reference,
    record_confirmations,
    record_export,
)
from pahna.registry.database import open_registry
from pahna.registry.producers import list_producers
from pahna.report.payments import CONFIRMATION_COLUMNS, payment_csv
from pahna.settle.document import from_document
from pahna.settle.money import Currency, parse_amount
from pahna.settle.statements import Settlement
from pahna.workspace import Workspace


def _refuse(ledger: Ledger, period: str, attempt: str, actor: str, **details: object) -> None:
    ledger.log("refused", period, actor, attempt=attempt, **details)


def _payable_lines(workspace: Workspace, ledger: Ledger, period: str, revision: int,
                   settlement: Settlement, actor: str) -> list[tuple[PaymentLine, str]]:
    producers = {p.id: p for p in list_producers(open_registry(workspace.registry_url))}
    payable = [ln for ln in settlement.lines if ln.payable_minor > 0]
    inactive = [f"{ln.producer_id} is {producers[ln.producer_id].status}" for ln in payable
                if ln.producer_id in producers and producers[ln.producer_id].status != "active"]
    if inactive:
        _refuse(ledger, period, "payments export", actor, inactive=inactive)
        raise PaymentError(f"{period}: payment batch refused; not active since finalizing: "
                           + "; ".join(inactive) + " (void and reissue to hold their "
                           "balances, or make them active again)")
    ibans = {pid: p.iban for pid, p in producers.items()}
    bad = [f"{ln.producer_id}: {iban_problem(ibans.get(ln.producer_id))}" for ln in payable
           if iban_problem(ibans.get(ln.producer_id))]
    if bad:
        _refuse(ledger, period, "payments export", actor, invalid_ibans=bad)
        raise PaymentError(f"{period}: payment batch refused; invalid IBANs: " + "; ".join(bad))
    return [(PaymentLine(ln.producer_id, normalize_iban(ibans[ln.producer_id] or ""),
                         ln.payable_minor, payment_reference(period, revision, ln.producer_id)),
             ln.name) for ln in payable]


def export_payments(workspace: Workspace, period: str, target: Path | None = None,
                    actor: str = "cli") -> tuple[Path, list[PaymentLine], Settlement]:
    """Write the final's payment batch (CSV) and record it; a revision already exported
    or paid is refused (and the refusal logged)."""
    period = str(JalaliMonth.parse(period))
    ledger = Ledger(workspace.home)
    with ledger.lock(period, "payments export"):
        record = ledger.final(period)
        revision = int(record["revision"])
        for done, what in ((ledger.paid(period, revision), "paid"),
                           (exported(ledger, period, revision), "exported")):
            if done is not None:
                attempt = f"exporting revision {revision} for payment again (it was {what})"
                _refuse(ledger, period, attempt, actor)
                raise ImmutableStatementError(f"{period}: {attempt}; refused")
        settlement = from_document(record["settlement"])
        lines = _payable_lines(workspace, ledger, period, revision, settlement, actor)
        text = payment_csv(lines, Currency(settlement.currency, settlement.minor_units))
        target = target or workspace.home / "exports" / period / f"payments-r{revision}.csv"
        write_atomic(target, text)
        record_export(ledger, period, revision, [line for line, _ in lines],
                      hashlib.sha256(text.encode("utf-8")).hexdigest(), actor)
    return target, [line for line, _ in lines], settlement


def _confirmation_rows(path: Path) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig")))
    missing = [c for c in CONFIRMATION_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise PaymentError(f"{path}: the bank's confirmation needs the columns "
                           f"{', '.join(CONFIRMATION_COLUMNS)} (missing {', '.join(missing)})")
    return list(reader)


def _checked(rows: list[dict[str, str]], ledger: Ledger, path: Path
             ) -> dict[tuple[str, int], dict[str, dict[str, object]]]:
    """Each row against the exported batch it names: (period, revision) -> confirmations."""
    out: dict[tuple[str, int], dict[str, dict[str, object]]] = {}
    for number, row in enumerate(rows, start=2):
        where = f"{path.name}:{number}"
        period, revision, _ = parse_reference(row["reference"])
        batch = exported(ledger, period, revision)
        line = next((ln for ln in (batch or {}).get("lines", ())
                     if ln["reference"] == row["reference"].strip()), None)
        if line is None:
            raise PaymentError(f"{where}: {row['reference']} is not a line of an exported "
                               "payment batch")
        status = row["status"].strip().lower()
        if status not in STATUSES:
            raise PaymentError(f"{where}: status {row['status']!r} is not paid or rejected")
        settlement = from_document(ledger.final(period, revision)["settlement"])
        try:
            amount = parse_amount(row["amount"], Currency(settlement.currency,
                                                          settlement.minor_units))
        except SettlementError as exc:
            raise PaymentError(f"{where}: {exc}") from exc
        if amount != line["amount_minor"]:
            raise PaymentError(f"{where}: {row['reference']} was exported for "
                               f"{line['amount_minor']}, the bank confirms {amount}")
        held = confirmations(ledger, period, revision).get(line["reference"])
        if held is not None and held["status"] != status:
            raise PaymentError(f"{where}: {row['reference']} was already confirmed "
                               f"{held['status']}; a confirmed line never changes")
        out.setdefault((period, revision), {})[line["reference"]] = {
            "status": status, "amount_minor": amount,
            "bank_reference": (row.get("bank_reference") or "").strip(),
            "reason": (row.get("reason") or "").strip()}
    return out


def confirm_payments(workspace: Workspace, path: Path, actor: str = "cli"
                     ) -> dict[tuple[str, int], bool]:
    """Import the bank's confirmation of exported lines, all or none: each line closes
    as paid or rejected; a revision whose lines are all paid is recorded paid. Returns,
    per (period, revision) named, whether it is now fully paid."""
    ledger = Ledger(workspace.home)
    groups = _checked(_confirmation_rows(path), ledger, path)
    source = f"{path.name} sha256 {hashlib.sha256(path.read_bytes()).hexdigest()[:16]}"
    done = {}
    for (period, revision), confirmed in sorted(groups.items()):
        with ledger.lock(period, "payments confirm"):
            done[(period, revision)] = record_confirmations(ledger, period, revision,
                                                            confirmed, source, actor)
    return done


def producer_ibans(workspace: Workspace) -> dict[str, str | None]:
    """Each producer's IBAN as the registry holds it now (for payment batches)."""
    return {p.id: p.iban for p in list_producers(open_registry(workspace.registry_url))}
