"""`settle` and `verify` make integrity's sums in settlement's own pass on DuckDB: with
the signals' own passes made to fail, an inflated month still settles with its held
line, finalizes and verifies."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.inflated_month import INFLATED, inflated_final
from tests.unit.web.conftest import PERIOD

from pahna.aggregate.engines.duckdb import DuckDbEngine
from pahna.ledger.book import Ledger
from pahna.verification import verify


def test_settle_and_verify_take_no_pass_of_the_signals_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("a second pass over the month for the signals")

    monkeypatch.setattr(DuckDbEngine, "signals", refused)
    monkeypatch.setattr(DuckDbEngine, "_signals_from_rows", refused)
    workspace = inflated_final(tmp_path / "home")
    lines = Ledger(workspace.home).final(PERIOD)["settlement"]["lines"]
    (held,) = [ln for ln in lines if ln["producer_id"] == INFLATED]
    assert held["holds"]
    assert verify(workspace, PERIOD)[0] == []
