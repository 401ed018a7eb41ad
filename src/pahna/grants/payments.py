"""Tranche payments through the ledger's payment batches (`pahna.payouts` does the
wiring). `due_tranches` says what an accepted milestone makes payable (with each payee's
IBAN checked by `pahna.iban`); `record_batched` records which batch carries each tranche
(before the batch file is written, so a crash never lets a tranche into two batches
that both reach the bank);
`confirm_lines` applies the bank's confirmation of a tranche's line: paid, or rejected,
and then the tranche is due again in a later batch. A tranche is paid once."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Engine

from pahna.grants.board import Board, load_board
from pahna.grants.history import Author, append
from pahna.grants.models import Payment, Report
from pahna.iban import iban_problem, normalize_iban


@dataclass(frozen=True)
class Tranche:
    """One accepted milestone's tranche, due to its grantee."""

    payment_id: str
    agreement_id: str
    milestone_id: str
    payee_id: str
    payee_name: str
    iban: str | None
    amount_rial: int

    @property
    def problem(self) -> str | None:
        """Why it cannot be paid (an invalid or missing IBAN), or None."""
        found = iban_problem(self.iban)
        return f"grant payee {self.payee_id}: {found}" if found else None


def payment_id(agreement_id: str, milestone_id: str) -> str:
    return f"pay-{agreement_id}-{milestone_id}"


def due_tranches(board: Board, unsent: Collection[str] = ()) -> list[Tranche]:
    """Accepted milestones whose tranche no batch carries yet (or only a line the bank
    rejected), oldest acceptance first; also those recorded in a batch of `unsent`, the
    batches never handed to the bank (an export that stopped after recording them)."""
    batched = {(p.agreement_id, p.milestone_id) for p in board.payments()
               if p.status == "paid" or (p.status == "batched" and p.batch not in unsent)}
    accepted = sorted((r for r in board.all(Report, "report") if r.decision == "accepted"),
                      key=lambda r: board.entry("report", r.id).last.seq)
    due = []
    for report in accepted:
        if (report.agreement_id, report.milestone_id) in batched:
            continue
        agreement = board.agreement(report.agreement_id)
        milestone = agreement.milestone(report.milestone_id)
        if milestone is None or milestone.tranche_rial == 0:
            continue
        payee = board.applicant_of_agreement(agreement)
        due.append(Tranche(payment_id(agreement.id, milestone.id), agreement.id, milestone.id,
                           payee.id, payee.name, payee.iban, milestone.tranche_rial))
    return due


def record_batched(engine: Engine, tranches: list[Tranche], batch: str, author: Author,
                   unsent: Collection[str] = ()) -> list[Payment]:
    """Record that `batch` carries each tranche (call before the batch file is written:
    a tranche recorded in a batch is no longer due in any other)."""
    board = load_board(engine)
    still_due = {t.payment_id for t in due_tranches(board, {batch, *unsent})}
    held = {p.id: p for p in board.payments()}
    payments = []
    for tranche in tranches:
        if tranche.payment_id not in still_due:
            continue  # another batch took it meanwhile
        payment = Payment(id=tranche.payment_id, agreement_id=tranche.agreement_id,
                          milestone_id=tranche.milestone_id, amount_rial=tranche.amount_rial,
                          iban=normalize_iban(tranche.iban or ""), batch=batch)
        if held.get(payment.id) == payment:
            payments.append(payment)  # recorded by an earlier run of this export
            continue
        append(engine, "payment", payment, author, f"tranche in payment batch {batch}")
        payments.append(payment)
    return payments


def batch_reference(batch: str, payment_id: str) -> str:
    """The reference of a tranche's line in `batch` (the ledger's format, PAHNA-P-RN-ID)."""
    return f"{batch}-{payment_id}"


def confirm_lines(engine: Engine, statuses: dict[str, str], author: Author) -> list[Payment]:
    """The bank's word on lines of payment batches, by reference (`paid` or `rejected`):
    each batched tranche whose line it names becomes paid, or rejected (due again). Lines
    that are not tranches are left alone; a tranche already settled is not changed."""
    board = load_board(engine)
    changed = []
    for payment in board.payments():
        status = statuses.get(batch_reference(payment.batch, payment.id))
        if payment.status != "batched" or status not in ("paid", "rejected"):
            continue
        done = payment.model_copy(update={"status": status})
        append(engine, "payment", done, author, f"bank confirmed {status} "
               f"({batch_reference(payment.batch, payment.id)})")
        changed.append(done)
    return changed
