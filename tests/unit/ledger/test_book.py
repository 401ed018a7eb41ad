"""The ledger: finals are read-only and refused changes are logged; void and reissue keep
both; adjustments reference the original and land on a later statement."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pahna.errors import ImmutableStatementError, LedgerError
from pahna.ledger.book import Ledger
from pahna.settle.adjustments import Adjustment
from pahna.settle.costs import Cost

RECORD = {"period": "1404-08", "seal": {"content_hash": "abc"}, "settlement": {"lines": []}}


def test_final_is_read_only_and_refusals_are_logged(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.write_draft("1404-08", {"draft": 1})
    assert ledger.write_final("1404-08", RECORD) == 1
    path = ledger.final_path("1404-08", 1)
    assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    with pytest.raises(ImmutableStatementError, match="revision 1"):
        ledger.write_final("1404-08", RECORD)
    with pytest.raises(ImmutableStatementError):
        ledger.write_draft("1404-08", {"draft": 2})
    with pytest.raises(ImmutableStatementError):
        ledger.import_costs([Cost("p", "1404-08", 1, 2)])
    assert [e["attempt"] for e in ledger.events() if e["action"] == "refused"] == [
        "finalize", "a new draft", "importing costs"]
    assert ledger.status("1404-08") == "final"


def test_void_and_reissue_keep_both(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.write_final("1404-08", RECORD)
    assert ledger.void("1404-08", "wrong tariff") == 1
    assert ledger.status("1404-08") == "voided"
    assert ledger.write_final("1404-08", {**RECORD, "seal": {"content_hash": "def"}}) == 2
    assert ledger.revisions("1404-08") == [1, 2]
    assert ledger.final("1404-08", 1)["seal"]["content_hash"] == "abc"
    assert ledger.final("1404-08")["revision"] == 2
    ledger.mark_paid("1404-08", "BATCH-1")
    assert ledger.status("1404-08") == "paid"
    with pytest.raises(ImmutableStatementError):
        ledger.void("1404-08", "too late")
    with pytest.raises(ImmutableStatementError):
        ledger.mark_paid("1404-08", "BATCH-2")


def test_adjustments_need_a_final_original_and_an_open_carrier(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    adjustment = Adjustment(ledger.next_adjustment_id("1404-09"), "1404-09", "p", -500,
                            "1404-08", 1, "double-counted flows")
    with pytest.raises(LedgerError, match="no final"):
        ledger.add_adjustment(adjustment)
    ledger.write_final("1404-08", RECORD)
    ledger.add_adjustment(adjustment)
    assert ledger.adjustments() == [adjustment]
    assert ledger.next_adjustment_id("1404-09") == "adj-1404-09-0002"
    ledger.write_final("1404-09", RECORD)
    late = Adjustment("adj-1404-09-0002", "1404-09", "p", 1, "1404-08", 1, "late")
    with pytest.raises(ImmutableStatementError):
        ledger.add_adjustment(late)
