"""Wiring of integrity for people: a month's review (the final in force, else computed
now without writing anything), and a reviewer's release or confirmation of a held line
under the month's lock (ledger.holds keeps it, the ledger's log records it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pahna.calendar import JalaliMonth
from pahna.errors import LedgerError, NotFoundError
from pahna.ids import check_id
from pahna.ledger.book import Ledger
from pahna.ledger.holds import answer, answers, decide, hold_states
from pahna.settle.adjustments import Adjustment, correction
from pahna.settle.document import from_document
from pahna.settle.statements import Settlement, settle_period
from pahna.settlement import (
    current_basis,
    final_in_force,
    month_files,
    settlement_inputs,
    workspace_currency,
)
from pahna.workspace import Workspace


@dataclass(frozen=True)
class MonthReview:
    settlement: Settlement
    status: str  # final rN, or "not final" (computed now, nothing written)
    states: dict[str, str]  # held line -> held, released or confirmed

    @property
    def integrity(self) -> dict[str, Any]:
        return self.settlement.integrity or {}


def month_review(workspace: Workspace, period: str, engine_name: str | None = None
                 ) -> MonthReview:
    """The month's signals, exclusions and holds: as sealed in the final in force, else
    as the month would settle now (nothing is written)."""
    period = str(JalaliMonth.parse(period))
    record = final_in_force(workspace, period)
    if record is not None:
        revision = int(record["revision"])
        states = hold_states(Ledger(workspace.home), period, revision, record)
        return MonthReview(from_document(record["settlement"]), f"final r{revision}", states)
    basis = current_basis(workspace, period)
    inputs, _ = settlement_inputs(workspace, period, basis, month_files(workspace, period),
                                  workspace_currency(workspace), engine_name)
    settlement = settle_period(inputs)
    return MonthReview(settlement, "not final",
                       {ln.producer_id: "held" for ln in settlement.lines if ln.held})


def decide_hold(workspace: Workspace, period: str, producer_id: str, choice: str,
                reason: str, actor: str = "cli") -> dict[str, Any]:
    """Release (paid in the next payment batch) or confirm (withheld) a held line of
    the final in force; once, with a written reason."""
    period = str(JalaliMonth.parse(period))
    producer_id = check_id("producer", producer_id)
    ledger = Ledger(workspace.home)
    with ledger.lock(period, f"hold {choice}"):
        if ledger.active_revision(period) is None:
            raise NotFoundError(f"{period} has no final in force; holds are decided on "
                                "finals")
        return decide(ledger, period, producer_id, choice, reason, actor)


def _still_paid(ledger: Ledger, period: str, revision: int, producer_id: str) -> int:
    """What the producer still holds of its paid line for `period`: the amount paid,
    net of every adjustment already carried for it (an earlier claw-back included)."""
    record = ledger.final(period)
    if ledger.paid(period, revision) is None:
        raise LedgerError(f"{period} r{revision} is not paid: hold or confirm, not claw back")
    if hold_states(ledger, period, revision, record).get(producer_id) in ("held",
                                                                           "confirmed"):
        raise LedgerError(f"{period} r{revision}: the line of {producer_id} was not paid")
    paid = next((int(ln["payable_minor"]) for ln in record["settlement"]["lines"]
                 if ln["producer_id"] == producer_id), 0)
    owed = paid + sum(a.amount_minor for a in ledger.adjustments()
                      if a.original_period == period and a.producer_id == producer_id)
    if owed <= 0:
        raise LedgerError(f"{period} r{revision}: nothing paid to {producer_id} is left to "
                          f"take back (paid {paid}, adjusted to {owed})")
    return owed


def answer_hold(workspace: Workspace, period: str, producer_id: str, dispute_id: int,
                message: str, actor: str) -> bool:
    """A producer's dispute of a month whose final holds its line is its answer to the
    hold: logged in the ledger's log (under the month's lock), shown in the review
    queue. False (nothing logged) when the line is not held or already decided."""
    period = str(JalaliMonth.parse(period))
    ledger = Ledger(workspace.home)
    with ledger.lock(period, "hold answer"):
        return answer(ledger, period, check_id("producer", producer_id), dispute_id,
                      message, actor)


def claw_back(workspace: Workspace, period: str, producer_id: str, carrier: str,
              reason: str, actor: str = "cli") -> Adjustment:
    """A finding after payment: what the producer still holds of its paid amount for
    `period` (net of adjustments carried for it before: a second claw-back of the same
    line is refused) taken back as an adjustment line of the later month `carrier`
    (nothing sealed is edited). The month's final must be paid, and the line not held or
    confirmed (that money was never paid: a held line is confirmed instead). Logged as
    `integrity clawback`."""
    period, carrier = str(JalaliMonth.parse(period)), str(JalaliMonth.parse(carrier))
    producer_id = check_id("producer", producer_id)
    if not reason.strip():
        raise LedgerError("a claw-back needs a written reason")
    ledger = Ledger(workspace.home)
    with ledger.lock(period, "integrity clawback"):  # two claw-backs cannot both pass
        revision = ledger.active_revision(period)
        if revision is None:
            raise NotFoundError(f"{period} has no final in force")
        owed = _still_paid(ledger, period, revision, producer_id)
        adjustment = correction(ledger.next_adjustment_id(carrier), carrier, producer_id,
                                owed, 0, period, revision, f"integrity: {reason.strip()}")
        ledger.add_adjustment(adjustment, actor)
        ledger.log("integrity clawback", period, actor, revision=revision,
                   producer_id=producer_id, carried_in=carrier,
                   amount_minor=adjustment.amount_minor, reason=reason.strip())
    return adjustment


@dataclass(frozen=True)
class HeldLine:
    """A held line of a final in force, with the evidence a reviewer needs."""

    period: str
    revision: int
    producer_id: str
    name: str
    producer_type: str
    state: str  # held, released, confirmed
    payable_minor: int
    holds: list[dict[str, Any]]
    exclusions: list[dict[str, Any]]
    signals: dict[str, Any]
    scores: dict[str, float]
    baselines: dict[str, dict[str, float]]
    evidence: dict[str, Any] = field(default_factory=dict)  # charts' data (integrity.evidence)
    answers: list[dict[str, Any]] = field(default_factory=list)  # the producer's, via disputes


def review_queue(workspace: Workspace) -> list[HeldLine]:
    """Every held line of every final in force, oldest month first, pending ones first."""
    ledger = Ledger(workspace.home)
    answered = answers(ledger)
    out = [held for record in ledger.finals_in_force()
           for held in _held_lines(ledger, record, answered)]
    return sorted(out, key=lambda h: (h.state != "held", h.period, h.producer_id))


def _held_lines(ledger: Ledger, record: dict[str, Any],
                answered: dict[tuple[str, int, str], list[dict[str, Any]]]
                ) -> list[HeldLine]:
    """The held lines of one final record, with their states, evidence and answers."""
    period, revision = record["period"], int(record["revision"])
    states = hold_states(ledger, period, revision, record)
    found = record["settlement"].get("integrity") or {}
    out = []
    for line in record["settlement"]["lines"]:
        pid = line["producer_id"]
        if pid not in states:
            continue
        out.append(HeldLine(
            period, revision, pid, line["name"], line["producer_type"], states[pid],
            int(line["payable_minor"]), line["holds"], line.get("exclusions", []),
            found.get("signals", {}).get(pid, {}), found.get("scores", {}).get(pid, {}),
            found.get("baselines", {}).get(line["producer_type"], {}),
            found.get("evidence", {}).get(pid, {}),
            answered.get((period, revision, pid), [])))
    return out


def producer_holds(workspace: Workspace, period: str, producer_id: str
                   ) -> HeldLine | None:
    """The producer's held line in the month's final in force, if it is held. Only that
    month's final is read (the producer page asks on every request; reading every
    month's final, as the review queue does, grew with every month closed)."""
    ledger = Ledger(workspace.home)
    if ledger.active_revision(period) is None:
        return None
    return next((h for h in _held_lines(ledger, ledger.final(period), answers(ledger))
                 if (h.period, h.producer_id) == (period, producer_id)), None)


def integrity_totals(record: dict[str, Any], states: dict[str, str]) -> dict[str, int]:
    """What the public sees of a final's integrity: totals only."""
    lines = record["settlement"]["lines"]
    held = [ln for ln in lines if states.get(ln["producer_id"]) in ("held", "confirmed")]
    return {"excluded_bytes": sum(e["bytes"] for ln in lines
                                  for e in ln.get("exclusions", ())),
            "held_lines": len(held),
            "held_minor": sum(int(ln["payable_minor"]) for ln in held)}


def public_integrity(workspace: Workspace, period: str) -> dict[str, int] | None:
    record = final_in_force(workspace, str(JalaliMonth.parse(period)))
    if record is None or "integrity" not in record["settlement"]:
        return None
    states = hold_states(Ledger(workspace.home), record["period"], int(record["revision"]),
                         record)
    return integrity_totals(record, states)
