"""Wiring of payments: a final's payment batch for the bank, once, and the bank's
confirmation of each line (ledger.payments keeps both).

A batch also carries every grant tranche due (`pahna.grants.payments`: accepted
milestones no batch carries yet), with the same IBAN check, the same reference format
(`PAHNA-PERIOD-RN-pay-AGREEMENT-MILESTONE`) and the same confirmation import: the bank's
`paid` marks the tranche paid, `rejected` makes it due again in a later batch. A tranche
is tied to its batch before the file is written; one tied to a batch that can no longer
reach the bank (never exported, its revision no longer in force) is due again.

Amounts come from the sealed final (its payable column: the positive balance of each
active producer, docs/settlement.md); IBANs and statuses from the registry as it is when
paying, so an account may change after finalizing, and a producer suspended since is
not paid (the batch is refused, naming it).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

from pahna.calendar import JalaliMonth
from pahna.errors import ImmutableStatementError, PaymentError, SettlementError
from pahna.grants.board import Board, load_board
from pahna.grants.history import Author
from pahna.grants.payments import Tranche, confirm_lines, due_tranches, record_batched
from pahna.iban import iban_problem, normalize_iban
from pahna.ledger.book import Ledger
from pahna.ledger.durable import write_atomic
from pahna.ledger.holds import hold_states
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
                   settlement: Settlement, actor: str, scope: set[str] | None = None
                   ) -> list[tuple[PaymentLine, str]]:
    producers = {p.id: p for p in list_producers(open_registry(workspace.registry_url))}
    payable = [ln for ln in settlement.lines if ln.payable_minor > 0
               and (scope is None or ln.producer_id in scope)]
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


def _batch_scope(ledger: Ledger, period: str, record: dict[str, Any], actor: str
                 ) -> tuple[int, set[str] | None]:
    """(batch number, the producers it may pay; None: every line not held). The first
    batch leaves held lines out; a later one holds the lines released since. Refused
    (and logged): a paid revision, and one with nothing left to export."""
    revision = int(record["revision"])
    states = hold_states(ledger, period, revision, record)
    done = exported(ledger, period, revision)
    if ledger.paid(period, revision) is None and done is None:
        return 1, {ln["producer_id"] for ln in record["settlement"]["lines"]
                   if states.get(ln["producer_id"]) in (None, "released")}
    what = "paid" if ledger.paid(period, revision) is not None else "exported"
    paid_out = {line["producer_id"] for line in (done or {}).get("lines", ())}
    released = {pid for pid, state in states.items()
                if state == "released" and pid not in paid_out}
    if what == "paid" or not released:
        attempt = f"exporting revision {revision} for payment again (it was {what})"
        _refuse(ledger, period, attempt, actor)
        raise ImmutableStatementError(f"{period}: {attempt}; refused")
    return int((done or {}).get("batches", 1)) + 1, released


_BATCH = re.compile(r"^PAHNA-(\d{4}-\d{2})-R(\d+)\Z")


def batch_name(period: str, revision: int) -> str:
    """The payment batch of a final revision, as grant payments name it."""
    return f"PAHNA-{period}-R{revision}"


def _unsent_batches(ledger: Ledger, board: Board, batch: str) -> set[str]:
    """`batch`, and the ledger batches grant payments were tied to that can never reach
    the bank: never exported, of a revision no longer in force (voided, or an export
    that stopped before its final existed). Their tranches are due again. A batch of a
    revision in force is another export's (it holds its period's lock): never taken.
    Batches not of the ledger's form (the demo's) are left alone."""
    unsent = {batch}
    for payment in board.payments():
        match = _BATCH.match(payment.batch)
        if payment.status != "batched" or match is None:
            continue
        period, revision = match.group(1), int(match.group(2))
        if exported(ledger, period, revision) is None and (
                ledger.active_revision(period) != revision):
            unsent.add(payment.batch)
    return unsent


def _tranche_lines(tranches: list[Tranche], ledger: Ledger, period: str, revision: int,
                   settlement: Settlement, actor: str) -> list[tuple[PaymentLine, str]]:
    """The batch's lines for the grant tranches due (amounts in rials: an IRR batch)."""
    problems = [t.problem for t in tranches if t.problem]
    if problems:
        _refuse(ledger, period, "payments export", actor, invalid_ibans=problems)
        raise PaymentError(f"{period}: payment batch refused; invalid IBANs: "
                           + "; ".join(problems))
    if tranches and settlement.currency != "IRR":
        raise PaymentError(f"{period}: grant tranches are in IRR, this batch in "
                           f"{settlement.currency}")
    scale = 10 ** settlement.minor_units
    return [(PaymentLine(t.payee_id, normalize_iban(t.iban or ""), t.amount_rial * scale,
                         payment_reference(period, revision, t.payment_id), "grant"),
             t.payee_name) for t in tranches]


def _one_reference_each(lines: list[tuple[PaymentLine, str]], period: str) -> None:
    counts = Counter(ln.reference for ln, _ in lines)
    twice = {reference for reference, n in counts.items() if n > 1}
    if twice:
        raise PaymentError(f"{period}: payment batch refused; references used twice: "
                           + ", ".join(sorted(twice)))


def _with_tranches(workspace: Workspace, ledger: Ledger, period: str, revision: int,
                   settlement: Settlement, actor: str, lines: list[tuple[PaymentLine, str]]
                   ) -> list[tuple[PaymentLine, str]]:
    """`lines` and the grant tranches due, checked, the tranches tied to the revision's
    batch first: no crash lets one into two batches."""
    engine = open_registry(workspace.registry_url)
    unsent = _unsent_batches(ledger, load_board(engine), batch_name(period, revision))
    tranches = due_tranches(load_board(engine), unsent)
    lines = lines + _tranche_lines(tranches, ledger, period, revision, settlement, actor)
    _one_reference_each(lines, period)
    record_batched(engine, tranches, batch_name(period, revision), Author(actor), unsent)
    return lines


def export_payments(workspace: Workspace, period: str, target: Path | None = None,
                    actor: str = "cli") -> tuple[Path, list[PaymentLine], Settlement]:
    """Write the final's payment batch (CSV) and record it. The first batch pays every
    line that is not held, with the grant tranches due; a later one pays the held lines a
    reviewer released since. A revision paid, or with nothing left to export, is refused
    (and logged)."""
    period = str(JalaliMonth.parse(period))
    ledger = Ledger(workspace.home)
    with ledger.lock(period, "payments export"):
        record = ledger.final(period)
        revision = int(record["revision"])
        number, scope = _batch_scope(ledger, period, record, actor)
        settlement = from_document(record["settlement"])
        lines = _payable_lines(workspace, ledger, period, revision, settlement, actor, scope)
        if number == 1:  # grant tranches go with a revision's first batch
            lines = _with_tranches(workspace, ledger, period, revision, settlement, actor,
                                   lines)
        text = payment_csv(lines, Currency(settlement.currency, settlement.minor_units))
        suffix = "" if number == 1 else f"-b{number}"
        target = target or (workspace.home / "exports" / period /
                            f"payments-r{revision}{suffix}.csv")
        write_atomic(target, text)
        record_export(ledger, period, revision, [line for line, _ in lines],
                      hashlib.sha256(text.encode("utf-8")).hexdigest(), actor, number)
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
    statuses = {ref: str(c["status"]) for confirmed in groups.values()
                for ref, c in confirmed.items()}
    confirm_lines(open_registry(workspace.registry_url), statuses, Author(actor))
    return done


def mark_paid(workspace: Workspace, period: str, reference: str, actor: str = "cli"
              ) -> tuple[int, int]:
    """Record the month's final paid by hand (`pahna settle pay`): the revision, and the
    grant tranches its exported batch carried. Returns (revision, tranches paid)."""
    period = str(JalaliMonth.parse(period))
    ledger = Ledger(workspace.home)
    revision = ledger.mark_paid(period, reference, actor)
    batch = exported(ledger, period, revision) or {"lines": []}
    paid = confirm_lines(open_registry(workspace.registry_url),
                         {line["reference"]: "paid" for line in batch["lines"]},
                         Author(actor))
    return revision, len(paid)


def producer_ibans(workspace: Workspace) -> dict[str, str | None]:
    """Each producer's IBAN as the registry holds it now (for payment batches)."""
    return {p.id: p.iban for p in list_producers(open_registry(workspace.registry_url))}
