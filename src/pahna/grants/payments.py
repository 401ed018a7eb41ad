"""Tranche payments through the ledger's payment batches. The hand-off is two small steps
so it can follow the ledger wherever its payments go: `due_tranches` says what an
accepted milestone makes payable (with each payee's IBAN checked by `pahna.iban`), and
`record_batched` records, once the batch file is written, which batch carries each
tranche. A tranche is paid once: after it is batched it is no longer due."""

from __future__ import annotations

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


def due_tranches(board: Board) -> list[Tranche]:
    """Accepted milestones whose tranche no batch carries yet, oldest acceptance first."""
    batched = {(p.agreement_id, p.milestone_id) for p in board.payments()}
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


def record_batched(engine: Engine, tranches: list[Tranche], batch: str, author: Author
                   ) -> list[Payment]:
    """Record that `batch` carries each tranche (call after the batch file is written)."""
    board = load_board(engine)
    still_due = {t.payment_id for t in due_tranches(board)}
    payments = []
    for tranche in tranches:
        if tranche.payment_id not in still_due:
            continue  # another batch took it meanwhile
        payment = Payment(id=tranche.payment_id, agreement_id=tranche.agreement_id,
                          milestone_id=tranche.milestone_id, amount_rial=tranche.amount_rial,
                          iban=normalize_iban(tranche.iban or ""), batch=batch)
        append(engine, "payment", payment, author, f"tranche in payment batch {batch}")
        payments.append(payment)
    return payments


def mark_paid(engine: Engine, batch: str, author: Author) -> list[Payment]:
    """The bank confirmed `batch`: its tranches are paid."""
    board = load_board(engine)
    paid = []
    for payment in board.payments():
        if payment.batch == batch and payment.status == "batched":
            done = payment.model_copy(update={"status": "paid"})
            append(engine, "payment", done, author, f"payment batch {batch} confirmed")
            paid.append(done)
    return paid
