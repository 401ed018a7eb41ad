"""A claw-back found after payment: an adjustment line in a later month, the sealed
final untouched; both months verify."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.inflated_month import INFLATED, inflated_final
from tests.unit.web.conftest import PERIOD

from pahna.errors import LedgerError
from pahna.ledger.book import Ledger
from pahna.reviewing import claw_back
from pahna.settlement import finalize
from pahna.verification import verify

LATER = "1404-09"
FOUND = "teh-news"  # paid in full; bots found in its audience after payment


def test_a_finding_after_payment_is_an_adjustment_in_the_next_month(tmp_path: Path) -> None:
    workspace = inflated_final(tmp_path / "home")
    ledger = Ledger(workspace.home)
    with pytest.raises(LedgerError, match="not paid"):
        claw_back(workspace, PERIOD, FOUND, LATER, "bots")
    ledger.mark_paid(PERIOD, "bank-ref-1")
    sealed = (ledger.period_dir(PERIOD) / "final-r1.json").read_bytes()
    paid = next(ln["payable_minor"] for ln in ledger.final(PERIOD)["settlement"]["lines"]
                if ln["producer_id"] == FOUND)
    assert paid > 0
    with pytest.raises(LedgerError, match="was not paid"):  # held: confirmed, not clawed
        claw_back(workspace, PERIOD, INFLATED, LATER, "a flat pull")
    made = claw_back(workspace, PERIOD, FOUND, LATER, "rented servers, found in 1404-09",
                     actor="audit")
    assert (made.amount_minor, made.period, made.original_revision) == (-paid, LATER, 1)
    for carrier in (LATER, "1404-10"):  # taken back once, whichever month would carry it
        with pytest.raises(LedgerError, match="nothing paid to teh-news is left"):
            claw_back(workspace, PERIOD, FOUND, carrier, "the same bots again")
    assert [a.amount_minor for a in ledger.adjustments()] == [-paid]

    finalize(workspace, LATER)
    (line,) = [ln for ln in ledger.final(LATER)["settlement"]["lines"]
               if ln["producer_id"] == FOUND]
    (adjustment,) = line["adjustments"]
    assert (adjustment["amount_minor"], adjustment["original_period"]) == (-paid, PERIOD)
    assert adjustment["reason"] == "integrity: rented servers, found in 1404-09"
    assert line["balance_minor"] == line["amount_minor"] - paid
    assert (ledger.period_dir(PERIOD) / "final-r1.json").read_bytes() == sealed
    assert verify(workspace, PERIOD)[0] == [] and verify(workspace, LATER)[0] == []
    logged = [e for e in ledger.events() if e["action"] == "integrity clawback"]
    assert [(e["producer_id"], e["amount_minor"], e["actor"]) for e in logged] == [
        (FOUND, -paid, "audit")]
