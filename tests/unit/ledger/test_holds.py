"""Decisions on held lines: once each, with a reason, on a held line of the final in
force, logged; and the revision is not paid while a hold is open."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pahna.errors import LedgerError
from pahna.ledger.book import Ledger
from pahna.ledger.holds import decide, hold_states
from pahna.ledger.payments import PaymentLine, record_confirmations, record_export

PERIOD = "1404-08"
HOLD = {"reason": "machine_share_above", "signal": "machine_share", "figure": "0.5",
        "baseline": "0.0", "threshold": "0.3"}


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    book = Ledger(tmp_path)
    folder = book.period_dir(PERIOD)
    folder.mkdir(parents=True)
    lines = [{"producer_id": "a", "payable_minor": 10, "holds": [HOLD]},
             {"producer_id": "b", "payable_minor": 20}]
    (folder / "final-r1.json").write_text(json.dumps({
        "period": PERIOD, "revision": 1, "seal": {"content_hash": "x"},
        "settlement": {"lines": lines}}))
    return book


def test_a_held_line_is_decided_once_with_a_reason(ledger: Ledger) -> None:
    record = ledger.final(PERIOD)
    assert hold_states(ledger, PERIOD, 1, record) == {"a": "held"}
    with pytest.raises(LedgerError, match="written reason"):
        decide(ledger, PERIOD, "a", "release", "  ", "audit")
    with pytest.raises(LedgerError, match="not held"):
        decide(ledger, PERIOD, "b", "release", "why", "audit")
    with pytest.raises(LedgerError):
        decide(ledger, PERIOD, "a", "forget", "why", "audit")
    decide(ledger, PERIOD, "a", "confirm", "bots, seen in the logs", "audit")
    assert hold_states(ledger, PERIOD, 1, record) == {"a": "confirmed"}
    with pytest.raises(LedgerError, match="already confirmed"):
        decide(ledger, PERIOD, "a", "release", "changed my mind", "minister")
    actions = [(e["action"], e.get("producer_id")) for e in ledger.events()]
    assert actions == [("hold confirm", "a"), ("refused", None)]


def test_a_revision_is_not_paid_while_a_hold_is_open(ledger: Ledger) -> None:
    line = PaymentLine("b", "IR00", 20, f"PAHNA-{PERIOD}-R1-b")
    record_export(ledger, PERIOD, 1, [line], "f" * 64, "cli")
    paid = {line.reference: {"status": "paid", "amount_minor": 20, "bank_reference": "",
                             "reason": ""}}
    assert record_confirmations(ledger, PERIOD, 1, paid, "bank", "cli") is False
    decide(ledger, PERIOD, "a", "confirm", "withheld", "audit")
    assert record_confirmations(ledger, PERIOD, 1, paid, "bank", "cli") is True
    assert ledger.paid(PERIOD, 1) is not None
